# -*- coding: utf-8 -*-
"""Helpers for running the collection's modules in-process."""

from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args


def run_module(main, capsys, **args):
    """Call a module's main() with these arguments; return the JSON it printed."""
    args.setdefault("_ansible_remote_tmp", "/tmp")
    args.setdefault("_ansible_keep_remote_files", False)
    with patch_module_args(args):
        with pytest.raises(SystemExit):
            main()
    return json.loads(capsys.readouterr().out)

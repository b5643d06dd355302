# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

import crhq_testbed  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope="session", name="converged_check_run")
def fixture_converged_check_run():
    """(recap, output) of a --check --diff -vvv re-run of the converge playbook."""
    return crhq_testbed.check_run()

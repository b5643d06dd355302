# -*- coding: utf-8 -*-
"""Make the collection importable as ansible_collections.crhq.platform when pytest runs from a checkout."""

from __future__ import annotations

import importlib.util
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if importlib.util.find_spec("ansible_collections.crhq") is None:  # pragma: no cover - scripts/test sets PYTHONPATH
    base = os.path.join(ROOT, ".tmp", "collections")
    link = os.path.join(base, "ansible_collections", "crhq", "platform")
    os.makedirs(os.path.dirname(link), exist_ok=True)
    if not os.path.islink(link):
        os.symlink(ROOT, link)
    sys.path.insert(0, base)

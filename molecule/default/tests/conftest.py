# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

from crhq_testbed import fixture_converged_check_run  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

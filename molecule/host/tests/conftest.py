# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import subprocess
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

from crhq_testbed import fixture_converged_check_run  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

GRADER = "crhq-host-grader"


@pytest.fixture(scope="session", name="grader")
def fixture_grader():
    return testinfra.get_host("ansible://" + GRADER, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def converge(limit, *extra):
    """Run the converge playbook again, as an operator would."""
    proc = subprocess.run(["ansible-playbook", "-i", os.environ["MOLECULE_INVENTORY_FILE"],
                           os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml"), "-l", limit] + list(extra),
                          capture_output=True, text=True, check=False, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout

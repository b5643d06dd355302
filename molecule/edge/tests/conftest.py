# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import sys

import pytest
import testinfra

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "resources", "tests"))

from crhq_testbed import fixture_converged_check_run  # noqa: E402,F401  pylint: disable=wrong-import-position,unused-import

PEBBLE = "crhq-edge-pebble"
DIRECTORY = "https://%s:14000/dir" % PEBBLE


@pytest.fixture(scope="session", name="grader")
def fixture_grader():
    """The Pebble container, which also runs testssl, nmap and curl against the CRHQ hosts."""
    grader = testinfra.get_host("ansible://" + PEBBLE, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])
    # Pebble's issuing root, to verify the served chains (Pebble makes a new one at every start)
    grader.check_output("curl -sf --cacert /etc/pebble/api-ca.crt https://localhost:15000/roots/0 -o /tmp/pebble-root.pem")
    return grader


@pytest.fixture(name="site")
def fixture_site(host):
    """(host name served, address) of the CRHQ host under test."""
    name = host.ansible.get_variables()["instance_hostname"]
    return name

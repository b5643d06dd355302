# -*- coding: utf-8 -*-
"""Fixtures of the site scenario; the shared machinery is the crhq_testbed plugin (molecule/resources/pytest)."""

from __future__ import annotations

import pytest
from crhq_testbed import get_host, group_hosts


@pytest.fixture(scope="session", name="crhq_names")
def fixture_crhq_names():
    """Inventory names of the CRHQ hosts: Debian 12 first, then Debian 13."""
    return group_hosts("crhq")


@pytest.fixture(scope="session", name="first")
def fixture_first(crhq_names):
    """The Debian 12 host: the one whose backups are restored, on itself and on the next release."""
    return get_host(crhq_names[0])


@pytest.fixture(scope="session", name="second")
def fixture_second(crhq_names):
    """The Debian 13 host: the fresh host a Debian 12 backup is restored onto."""
    return get_host(crhq_names[1])


@pytest.fixture(name="site")
def fixture_site(host):
    """The host name the CRHQ host under test serves (a Docker network alias the helper resolves)."""
    return host.ansible.get_variables()["instance_hostname"]


@pytest.fixture(scope="session", name="acme_directory")
def fixture_acme_directory(crhq_names):
    return get_host(crhq_names[0]).ansible.get_variables()["certbot_acme_directory"]

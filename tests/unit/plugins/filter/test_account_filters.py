# -*- coding: utf-8 -*-
"""account_changes and home_directories as a role calls them: thin wrappers over module_utils/accounts.py, each bad
input refused with the filter's name."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.account_changes import FilterModule as ChangesFilters
from ansible_collections.crhq.platform.plugins.filter.home_directories import FilterModule as HomesFilters
from ansible_collections.crhq.platform.plugins.module_utils.accounts import parse_accounts

from ..module_utils.test_accounts import AGENT, GROUP, PASSWD, SHADOW

account_changes = ChangesFilters().filters()["account_changes"]
home_directories = HomesFilters().filters()["home_directories"]


def test_the_filters_return_what_module_utils_decides():
    read = parse_accounts(PASSWD, GROUP, SHADOW)
    assert account_changes(read, AGENT) == []
    assert account_changes(read, dict(AGENT, shell="/bin/bash")) == ["shell"]
    assert [home["path"] for home in home_directories(read)] == ["/root", "/var/lib/postgresql", "/home/admin", "/home/lost"]


@pytest.mark.parametrize("call, message", [
    (lambda: account_changes(None, AGENT), "account_changes: needs host_facts's accounts"),
    (lambda: account_changes({}, {"name": "agent", "uid": 1}), "account_changes: wanted has keys"),
    (lambda: home_directories([]), "home_directories: needs host_facts's accounts"),
    (lambda: home_directories({"users": {"root": {"uid": 0}}}), "home_directories: an account entry lacks 'home'"),
])
def test_bad_input_is_refused_naming_the_filter(call, message):
    with pytest.raises(AnsibleFilterError, match=message):
        call()

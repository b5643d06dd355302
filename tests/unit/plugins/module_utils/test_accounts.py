# -*- coding: utf-8 -*-
"""The local accounts as the three files hold them (Debian's own lines), what the user module would change, and
which home directories the hardening role closes; a hash never comes out, a broken line is named."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import accounts
from ansible_collections.crhq.platform.plugins.module_utils.accounts import (AccountsError, account_changes,
                                                                             home_directories, parse_accounts,
                                                                             password_kind)

PASSWD = """root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
postgres:x:105:111:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
crhq:x:999:999:CRHQ instance acme:/var/lib/crhq:/usr/sbin/nologin
agent:x:998:998:CRHQ agents:/home/agent:/usr/sbin/nologin
admin:x:1000:1000:Admin,,,:/home/admin:/bin/bash
lost:x:1001:4242::/home/lost:/bin/bash
root:x:0:0:a second root line:/elsewhere:/bin/sh
+@nis::::::
"""
GROUP = """root:x:0:
sudo:x:27:admin
ssl-cert:x:110:postgres
postgres:x:111:
crhq:x:999:
agent:x:998:
admin:x:1000:
nogroup:x:65534:
proc:x:996:admin,polkitd
"""
SHADOW = """root:$y$j9T$abcdefghijklmnopqrstuv$0123456789abcdefghijklmnopqrstuvwxyzABCDE:20000:0:99999:7:::
daemon:*:20000:0:99999:7:::
postgres:!*:20000::::::
crhq:!:20000::::::
agent:!:20000::::::
admin:!$y$j9T$abc$def:20000:0:99999:7:::
"""


def test_each_user_has_its_fields_groups_and_the_kind_of_password_only():
    read = parse_accounts(PASSWD, GROUP, SHADOW)
    assert read["users"]["admin"] == {"uid": 1000, "gid": 1000, "group": "admin", "groups": ["proc", "sudo"],
                                      "comment": "Admin,,,", "home": "/home/admin", "shell": "/bin/bash",
                                      "password": "!hash"}
    assert read["users"]["root"]["password"] == "hash" and read["users"]["root"]["home"] == "/root"
    assert read["users"]["agent"] == {"uid": 998, "gid": 998, "group": "agent", "groups": [], "comment": "CRHQ agents",
                                      "home": "/home/agent", "shell": "/usr/sbin/nologin", "password": "!"}
    assert read["users"]["postgres"]["groups"] == ["ssl-cert"] and read["users"]["postgres"]["password"] == "!*"
    assert read["users"]["lost"]["group"] == "" and read["users"]["lost"]["password"] is None  # no group, no shadow
    assert "+@nis" not in read["users"]
    assert read["groups"]["proc"] == {"gid": 996, "members": ["admin", "polkitd"]}
    assert "$y$" not in repr(read)


def test_without_shadow_no_password_is_known():
    read = parse_accounts(PASSWD, GROUP)
    assert {entry["password"] for entry in read["users"].values()} == {None}


@pytest.mark.parametrize("field, kind", [("", ""), ("!", "!"), ("!!", "!!"), ("*", "*"), ("!*", "!*"),
                                         ("$6$salt$hash", "hash"), ("!$6$salt$hash", "!hash"), ("x", "hash")])
def test_a_password_field_is_named_only_when_it_holds_no_secret(field, kind):
    assert password_kind(field) == kind


@pytest.mark.parametrize("passwd, group, message", [
    ("root:x:0:0:root:/root\n", "", "passwd line 1: 6 fields, 7 expected"),
    ("root:x:zero:0:root:/root:/bin/bash\n", "", "passwd line 1: the uid 'zero' is not a number"),
    ("", "root:x:0\n", "group line 1: 3 fields, 4 expected"),
    ("", "root:x::\n", "group line 1: the gid '' is not a number"),
])
def test_a_line_that_cannot_be_read_is_named(passwd, group, message):
    with pytest.raises(AccountsError, match="^" + message):
        parse_accounts(passwd, group)


def test_read_accounts_reads_the_files_and_names_them_when_one_is_missing(monkeypatch, tmp_path):
    for name, text in (("passwd", PASSWD), ("group", GROUP)):
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(accounts, "PASSWD", str(tmp_path / "passwd"))
    monkeypatch.setattr(accounts, "GROUP", str(tmp_path / "group"))
    monkeypatch.setattr(accounts, "SHADOW", str(tmp_path / "shadow"))  # unreadable shadow: passwords unknown
    assert accounts.read_accounts() == parse_accounts(PASSWD, GROUP)
    monkeypatch.setattr(accounts, "GROUP", str(tmp_path / "absent"))
    with pytest.raises(AccountsError, match="cannot read .*absent"):
        accounts.read_accounts()


AGENT = {"name": "agent", "group": "agent", "groups": [], "home": "/home/agent", "shell": "/usr/sbin/nologin",
         "comment": "CRHQ agents", "password": "!"}


def test_a_user_as_wanted_needs_no_change_and_each_difference_is_named():
    read = parse_accounts(PASSWD, GROUP, SHADOW)
    assert account_changes(read, AGENT) == []
    assert account_changes(read, {"name": "crhq", "group": "crhq", "shell": "/usr/sbin/nologin"}) == []
    assert account_changes(read, dict(AGENT, name="admin")) == ["group", "groups", "home", "shell", "comment", "password"]
    assert account_changes(read, {"name": "admin", "groups": ["sudo", "proc"]}) == []  # a set, in any order
    assert account_changes(read, dict(AGENT, name="nobody-here")) == ["absent"]
    assert account_changes(parse_accounts(PASSWD, GROUP), AGENT) == ["password"]  # unknown: the module decides


@pytest.mark.parametrize("wanted, message", [
    ({"shell": "/bin/sh"}, "wanted has no name"),
    ({"name": "agent", "uid": 998}, "keys this filter does not compare: uid"),
    ({"name": "agent", "password": "$y$j9T$hash"}, "a wanted password can only be one of"),
])
def test_a_wanted_user_it_cannot_compare_is_refused(wanted, message):
    with pytest.raises(AccountsError, match=message):
        account_changes(parse_accounts(PASSWD, GROUP, SHADOW), wanted)


def test_home_directories_of_root_regular_and_service_accounts_each_once():
    homes = home_directories(parse_accounts(PASSWD, GROUP, SHADOW))
    assert homes == [{"path": "/root", "mode": "0700"}, {"path": "/var/lib/postgresql", "mode": "0750"},
                     {"path": "/home/admin", "mode": "0750"}, {"path": "/home/lost", "mode": "0750"}]
    # not agent's (/home/agent, a system uid with no login shell), crhq's (nologin) nor nobody's
    assert home_directories(parse_accounts(PASSWD, GROUP), "0750", "0700")[0] == {"path": "/root", "mode": "0750"}

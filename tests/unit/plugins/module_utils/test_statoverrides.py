# -*- coding: utf-8 -*-
"""dpkg's statoverride database read once: which wanted owner and mode overrides it does not hold yet."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.statoverride_changes import statoverride_changes as the_filter
from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import (DpkgStatusError, read_statoverrides,
                                                                                statoverride_changes)

WANTED = [{"path": "/etc/cron.d", "mode": "0700"}, {"path": "/etc/cron.daily", "mode": "0700"},
          {"path": "/usr/bin/x86_64-linux-gnu-gcc-12", "mode": "0750"}]


def test_an_empty_or_missing_database_holds_nothing_so_every_override_is_wanted():
    for text in ("", None, "\n"):
        assert statoverride_changes(text, WANTED) == [dict(entry, current=None) for entry in WANTED]


def test_overrides_held_as_wanted_are_left_out_whatever_the_mode_is_written_as():
    text = "root root 700 /etc/cron.d\nroot root 0700 /etc/cron.daily\nroot root 750 /usr/bin/x86_64-linux-gnu-gcc-12\n"
    assert statoverride_changes(text, WANTED) == []


def test_a_different_owner_group_or_mode_is_returned_with_what_the_database_holds():
    text = "root root 755 /etc/cron.d\nroot crontab 700 /etc/cron.daily\nman root 750 /usr/bin/x86_64-linux-gnu-gcc-12\n"
    changes = statoverride_changes(text, WANTED)
    assert [change["path"] for change in changes] == [entry["path"] for entry in WANTED]
    assert changes[0]["current"] == {"owner": "root", "group": "root", "mode": 0o755}
    assert changes[1]["current"] == {"owner": "root", "group": "crontab", "mode": 0o700}
    assert changes[2]["current"]["owner"] == "man" and changes[2]["mode"] == "0750"


def test_other_paths_in_the_database_are_not_this_roles_business():
    text = "root root 700 /etc/cron.d\nDebian-exim Debian-exim 640 /var/log/exim4/mainlog\n"
    assert [change["path"] for change in statoverride_changes(text, WANTED)] == ["/etc/cron.daily", "/usr/bin/x86_64-linux-gnu-gcc-12"]


def test_a_wanted_owner_and_group_other_than_root_and_extra_keys_are_kept():
    wanted = [{"path": "/var/log/app", "mode": 750, "owner": "root", "group": "adm", "why": "logs"}]
    assert statoverride_changes("root adm 750 /var/log/app\n", wanted) == []
    assert statoverride_changes("root root 750 /var/log/app\n", wanted)[0]["why"] == "logs"


def test_a_path_with_spaces_is_read_whole():
    assert read_statoverrides("root root 700 /srv/a dir/x\n") == {"/srv/a dir/x": {"owner": "root", "group": "root", "mode": 0o700}}


@pytest.mark.parametrize("text, message", [
    ("root root 700\n", "line 1 of the statoverride database is not 'owner group mode path'"),
    ("root root 700 /etc/cron.d\nroot root rwx /etc/cron.daily\n", "line 2: the mode must be octal like 0750 (got 'rwx')"),
    ("root root 0700 relative/path\n", "is not 'owner group mode path'"),
])
def test_a_database_dpkg_did_not_write_is_an_error_that_names_the_line(text, message):
    with pytest.raises(DpkgStatusError, match=message.replace("(", r"\(").replace(")", r"\)")):
        statoverride_changes(text, WANTED)


@pytest.mark.parametrize("wanted, message", [
    ("/etc/cron.d", "must be a list of {path, mode}"),
    ([{"path": "etc/cron.d", "mode": "0700"}], "needs an absolute path and a mode"),
    ([{"path": "/etc/cron.d"}], "needs an absolute path and a mode"),
    ([{"path": "/etc/cron.d", "mode": "0800"}], "/etc/cron.d: the mode must be octal"),
])
def test_bad_wanted_overrides_are_errors_that_say_what_is_wrong(wanted, message):
    with pytest.raises(DpkgStatusError, match=message.replace("{", r"\{").replace("}", r"\}")):
        statoverride_changes("", wanted)


def test_the_filter_names_itself_in_its_errors():
    assert the_filter("root root 700 /etc/cron.d\n", WANTED[:1]) == []
    with pytest.raises(AnsibleFilterError, match="^statoverride_changes: line 1 "):
        the_filter("garbage\n", WANTED)


@pytest.mark.skipif(shutil.which("dpkg-statoverride") is None, reason="needs dpkg-statoverride (Debian)")
def test_the_database_dpkg_statoverride_itself_writes(tmp_path):
    """A real peer: dpkg-statoverride writes a database of its own (--admindir), and what it holds is read back."""
    def run(*args):
        subprocess.run(["dpkg-statoverride", "--admindir", str(tmp_path)] + list(args), check=True,
                       capture_output=True, env=dict(os.environ, LC_ALL="C"))
    run("--add", "root", "root", "0700", "/etc/cron.d")
    run("--add", "root", "root", "755", "/etc/cron.daily")
    text = (tmp_path / "statoverride").read_text()
    changes = statoverride_changes(text, WANTED)
    assert [(change["path"], change["current"]) for change in changes] == [
        ("/etc/cron.daily", {"owner": "root", "group": "root", "mode": 0o755}),
        ("/usr/bin/x86_64-linux-gnu-gcc-12", None)]

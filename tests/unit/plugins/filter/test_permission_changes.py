# -*- coding: utf-8 -*-
"""permission_changes against real files read by the real ansible.builtin.find module."""

from __future__ import annotations

import grp
import os
import pwd

import pytest
from ansible.errors import AnsibleFilterError
from ansible.modules import find as find_module

from ansible_collections.crhq.platform.plugins.filter import permission_changes as plugin
from ansible_collections.crhq.platform.tests.unit.plugins.modules.module_runner import run_module

FILTER = plugin.FilterModule().filters()["permission_changes"]
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name


@pytest.fixture(name="tree")
def fixture_tree(tmp_path, capsys):
    """A cron-like directory (0700), a password-database-like file (0640) and a home (0755), and find's view of them."""
    (tmp_path / "cron.d").mkdir(mode=0o700)
    (tmp_path / "shadow").write_text("x\n")
    (tmp_path / "shadow").chmod(0o640)
    (tmp_path / "home").mkdir()
    (tmp_path / "home").chmod(0o755)
    result = run_module(find_module.main, capsys, paths=[str(tmp_path)], file_type="any", hidden=True, get_checksum=False)
    assert not result.get("failed"), result
    return tmp_path, result["files"]


def test_only_the_targets_that_differ_are_returned_in_their_order(tree):
    root, found = tree
    targets = [{"path": str(root / "home"), "mode": "0750"},  # mode only: the home's owner is left as it is
               {"path": str(root / "cron.d"), "owner": ME, "group": MY_GROUP, "mode": "0700"},
               {"path": str(root / "shadow"), "owner": ME, "group": MY_GROUP, "mode": "0600", "note": "kept"}]
    assert FILTER(found, targets) == [targets[0], targets[2]]


def test_another_owner_or_group_is_a_change_and_a_missing_path_is_none(tree):
    root, found = tree
    other_group = "root" if MY_GROUP != "root" else "nogroup"
    targets = [{"path": str(root / "cron.d"), "owner": ME, "group": other_group, "mode": "700"},
               {"path": str(root / "no-such-file"), "mode": "0600"}]
    assert FILTER(found, targets) == [targets[0]]


def test_everything_in_place_gives_nothing(tree):
    root, found = tree
    assert FILTER(found, [{"path": str(root / "shadow"), "owner": ME, "group": MY_GROUP, "mode": "0640"},
                          {"path": str(root / "home"), "mode": "0755"}]) == []


@pytest.mark.parametrize("found, targets, message", [
    ({"files": []}, [], "a list of found files and a list of targets"),
    ([{"mode": "0644"}], [], "a found entry has no path"),
    ([], [{"mode": "0644"}], "a target has no path"),
    ([], [{"path": "/etc/crontab"}], "/etc/crontab: a target needs the mode"),
    ([], [{"path": "/etc/crontab", "mode": "rw-------"}], "/etc/crontab: mode must be an octal string"),
])
def test_bad_input_names_the_problem(found, targets, message):
    with pytest.raises(AnsibleFilterError, match=message):
        FILTER(found, targets)

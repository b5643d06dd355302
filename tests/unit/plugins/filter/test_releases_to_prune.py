# -*- coding: utf-8 -*-
"""releases_to_prune on plain lists and on what the real ansible.builtin.find module reports."""

from __future__ import annotations

import os

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.modules import find as find_module

from ansible_collections.crhq.platform.plugins.filter import releases_to_prune as plugin
from ansible_collections.crhq.platform.tests.unit.plugins.modules.module_runner import run_module

FILTER = plugin.FilterModule().filters()["releases_to_prune"]
BASE = "/opt/crhq/app/releases/"


def entries(*releases):
    """find entries for (name, mtime) pairs."""
    return [{"path": BASE + name, "mtime": mtime, "isdir": True} for name, mtime in releases]


FIVE = entries(("r1", 100), ("r2", 200), ("r3", 300), ("r4", 400), ("r5", 500))


def test_registered_with_documentation_that_parses():
    assert list(plugin.FilterModule().filters()) == ["releases_to_prune"]
    documentation = yaml.safe_load(plugin.DOCUMENTATION)
    assert documentation["name"] == "releases_to_prune"
    assert set(documentation["options"]) == {"_input", "keep", "protect"}
    assert yaml.safe_load(plugin.EXAMPLES) and yaml.safe_load(plugin.RETURN)["_value"]["type"] == "list"


def test_all_but_the_newest_keep_oldest_first():
    assert FILTER(FIVE, keep=2) == [BASE + "r1", BASE + "r2", BASE + "r3"]
    assert FILTER(FIVE, keep=5) == []
    assert FILTER(FIVE, keep=9) == []
    assert FILTER(FIVE, keep=1) == [BASE + "r1", BASE + "r2", BASE + "r3", BASE + "r4"]
    assert FILTER([], keep=1) == []


def test_the_order_of_the_input_does_not_matter():
    assert FILTER(FIVE[::-1], keep=2) == FILTER(FIVE, keep=2)


def test_protected_releases_stay_and_count_toward_keep():
    # current is the newest, previous an old one after a rollback: one more slot for the newest of the rest
    assert FILTER(FIVE, keep=3, protect=[BASE + "r5", BASE + "r1"]) == [BASE + "r2", BASE + "r3"]
    # more protected than keep: they all stay, nothing else does
    assert FILTER(FIVE, keep=1, protect=[BASE + "r5", BASE + "r1"]) == [BASE + "r2", BASE + "r3", BASE + "r4"]


def test_protect_matches_by_path_or_by_name():
    # the link target names the release through another path (a symbolic link higher up), or by name only
    assert FILTER(FIVE, keep=3, protect=["/srv/app/releases/r2", "r3"]) == [BASE + "r1", BASE + "r4"]
    # a trailing slash or a dot does not matter
    assert FILTER(FIVE, keep=3, protect=[BASE + "r2/", BASE + "./r3"]) == [BASE + "r1", BASE + "r4"]


def test_protect_may_be_one_string_and_may_hold_nothing_yet():
    assert FILTER(FIVE, keep=2, protect=BASE + "r1") == [BASE + "r2", BASE + "r3", BASE + "r4"]
    assert FILTER(FIVE, keep=2, protect=[BASE + "r1", None, ""]) == [BASE + "r2", BASE + "r3", BASE + "r4"]
    assert FILTER(FIVE, keep=2, protect=None) == FILTER(FIVE, keep=2)
    # a protected name that is not there changes nothing
    assert FILTER(FIVE, keep=2, protect=["gone"]) == FILTER(FIVE, keep=2)


def test_ties_in_mtime_are_broken_by_name():
    same = entries(("2026-01-b", 100), ("2026-01-a", 100), ("2026-01-c", 100))
    assert FILTER(same, keep=1) == [BASE + "2026-01-a", BASE + "2026-01-b"]
    assert FILTER(same, keep=2) == [BASE + "2026-01-a"]


def test_files_and_links_beside_the_releases_are_not_releases():
    found = FIVE + [{"path": BASE + "current", "mtime": 1, "isdir": False, "islnk": True},
                    {"path": BASE + "notes.txt", "mtime": 2, "isdir": False},
                    {"path": BASE + "linked", "mtime": 3, "isdir": True, "islnk": True}]
    assert FILTER(found, keep=4) == [BASE + "r1"]


def test_string_keep_from_extra_vars_and_float_mtimes():
    found = [{"path": BASE + "a", "mtime": 1.5, "isdir": True}, {"path": BASE + "b", "mtime": 1.25, "isdir": True}]
    assert FILTER(found, keep="1") == [BASE + "b"]


def test_duplicate_entries_count_once():
    assert FILTER(FIVE + FIVE[:1], keep=4) == [BASE + "r1"]


@pytest.mark.parametrize("found, kwargs, message", [
    (FIVE, {"keep": 0}, "keep must be at least 1, got 0"),
    (FIVE, {"keep": -2}, "keep must be at least 1, got -2"),
    (FIVE, {"keep": True}, "keep must be an integer of at least 1, got True"),
    (FIVE, {"keep": "three"}, "keep must be an integer of at least 1, got 'three'"),
    (FIVE, {"keep": None}, "keep must be an integer of at least 1, got None"),
    ("not a list", {"keep": 1}, "expects the `files` list of ansible.builtin.find, got str"),
    ({"files": FIVE}, {"keep": 1}, "expects the `files` list of ansible.builtin.find, got dict"),
    (["r1"], {"keep": 1}, "entry 0 is a str, not a dict of ansible.builtin.find"),
    ([{"mtime": 1}], {"keep": 1}, "entry 0 has no path (is this the `files` list of ansible.builtin.find?)"),
    ([{"path": "", "mtime": 1}], {"keep": 1}, "entry 0 has no path"),
    ([{"path": "/r/a"}], {"keep": 1}, "/r/a: mtime must be a number, got None"),
    ([{"path": "/r/a", "mtime": "yesterday"}], {"keep": 1}, "/r/a: mtime must be a number, got 'yesterday'"),
    (FIVE, {"keep": 1, "protect": {"current": "/r/a"}}, "protect must be a list of release paths or names, got dict"),
    (FIVE, {"keep": 1, "protect": [3]}, "protect must hold paths or names (strings), got 3"),
])
def test_bad_input_names_the_problem(found, kwargs, message):
    with pytest.raises(AnsibleFilterError) as error:
        FILTER(found, **kwargs)
    assert str(error.value).startswith("releases_to_prune: " + message)
    assert error.value.__cause__ is None and error.value.__suppress_context__


# --- with the real find module over a real directory ----------------------------------------------------------

@pytest.fixture(name="find")
def fixture_find(capsys):
    def find(directory, **options):
        result = run_module(find_module.main, capsys, paths=[str(directory)], **options)
        assert not result.get("failed"), result
        return result["files"]
    return find


@pytest.fixture(name="install")
def fixture_install(tmp_path):
    """/…/app/releases/r1..r5 (r5 newest), current -> r5 and previous -> r2 beside them, and a link to app."""
    app = tmp_path / "app"
    releases = app / "releases"
    releases.mkdir(parents=True)
    for age, name in enumerate(["r1", "r2", "r3", "r4", "r5"]):
        (releases / name).mkdir()
        os.utime(releases / name, (1_700_000_000 + age * 60, 1_700_000_000 + age * 60))
    (app / "current").symlink_to(releases / "r5")
    (app / "previous").symlink_to(releases / "r2")
    (releases / "current").symlink_to("r5")  # a link inside the releases directory is not a release
    (tmp_path / "linked-app").symlink_to(app)
    return app


def test_with_find_over_directories(find, install):
    found = find(install / "releases", file_type="directory")
    protect = [os.readlink(install / "current"), os.readlink(install / "previous")]
    assert FILTER(found, keep=3, protect=protect) == [str(install / "releases" / "r1"), str(install / "releases" / "r3")]


def test_with_find_over_everything_and_targets_through_another_path(find, install, tmp_path):
    found = find(install / "releases", file_type="any")
    assert str(install / "releases" / "current") in [entry["path"] for entry in found]
    # the links as seen through /…/linked-app: other paths, same release names
    protect = [str(tmp_path / "linked-app" / "releases" / "r5"), str(tmp_path / "linked-app" / "releases" / "r2")]
    assert FILTER(found, keep=2, protect=protect) == [str(install / "releases" / name) for name in ("r1", "r3", "r4")]

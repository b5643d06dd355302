# -*- coding: utf-8 -*-
"""paths_in_place against real files read by the real ansible.builtin.find module."""

from __future__ import annotations

import grp
import hashlib
import os
import pwd

import pytest
from ansible.errors import AnsibleFilterError
from ansible.modules import find as find_module

from ansible_collections.crhq.platform.plugins.filter import paths_in_place as plugin
from ansible_collections.crhq.platform.tests.unit.plugins.modules.module_runner import run_module

FILTER = plugin.FilterModule().filters()["paths_in_place"]
ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
TEXT = "# Managed by crhq.platform\nKey=value\n"


@pytest.fixture(name="find")
def fixture_find(capsys):
    def find(directory):
        """The `files` list of ansible.builtin.find over the directory, checksums on, as the roles run it."""
        result = run_module(find_module.main, capsys, paths=[str(directory)], file_type="any", hidden=True, get_checksum=True)
        assert not result.get("failed"), result
        return result["files"]
    return find


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    conf = tmp_path / "crhq.conf"
    conf.write_text(TEXT)
    conf.chmod(0o640)
    sub = tmp_path / "conf.d"
    sub.mkdir()
    sub.chmod(0o750)
    return tmp_path


def wanted(tree, **changes):
    entries = [{"path": str(tree / "crhq.conf"), "owner": ME, "group": MY_GROUP, "mode": "0640"},
               {"path": str(tree / "conf.d"), "state": "directory", "owner": ME, "group": MY_GROUP, "mode": "0750"},
               {"path": str(tree / "missing.conf"), "owner": ME, "group": MY_GROUP}]
    for entry in entries:
        entry.update(changes.get(os.path.basename(entry["path"]), {}))
    return entries


def contents(tree, text=TEXT):
    return {str(tree / "crhq.conf"): text, str(tree / "missing.conf"): "x\n"}


def test_file_and_directory_in_place_missing_path_not(find, tree):
    assert FILTER(find(tree), wanted(tree), contents(tree)) == [str(tree / "crhq.conf"), str(tree / "conf.d")]


def test_the_checksum_is_the_one_find_reports():
    # the published SHA-1 test vector "abc", which the comparison relies on
    assert hashlib.sha1(b"abc").hexdigest() == "a9993e364706816aba3e25717850c26c9cd0d89d"


@pytest.mark.parametrize("change", [
    {"crhq.conf": {"mode": "0644"}},
    {"crhq.conf": {"owner": "crhq-nobody-here"}},
    {"crhq.conf": {"group": "crhq-nobody-here"}},
    {"crhq.conf": {"state": "directory"}},
])
def test_a_file_with_other_mode_owner_group_or_type_is_not_in_place(find, tree, change):
    assert str(tree / "crhq.conf") not in FILTER(find(tree), wanted(tree, **change), contents(tree))


def test_drifted_content_is_not_in_place(find, tree):
    (tree / "crhq.conf").write_text(TEXT + "# local edit\n")
    assert str(tree / "crhq.conf") not in FILTER(find(tree), wanted(tree), contents(tree))
    # and the same text as the template, byte for byte, is
    assert str(tree / "crhq.conf") in FILTER(find(tree), wanted(tree), contents(tree, TEXT + "# local edit\n"))


def test_non_ascii_content_is_compared_as_utf8(find, tree):
    (tree / "crhq.conf").write_text("Banner: Zugriff nur für Befugte\n", encoding="utf-8")
    assert str(tree / "crhq.conf") in FILTER(find(tree), wanted(tree), contents(tree, "Banner: Zugriff nur für Befugte\n"))


def test_a_directory_where_a_file_belongs_is_not_in_place(find, tree):
    (tree / "crhq.conf").unlink()
    (tree / "crhq.conf").mkdir(mode=0o640)
    (tree / "crhq.conf").chmod(0o640)
    assert str(tree / "crhq.conf") not in FILTER(find(tree), wanted(tree), contents(tree))


def test_modes_are_compared_as_octal_strings(find, tree):
    (tree / "conf.d").chmod(0o2750)
    assert str(tree / "conf.d") not in FILTER(find(tree), wanted(tree), contents(tree))
    assert str(tree / "conf.d") in FILTER(find(tree), wanted(tree, **{"conf.d": {"mode": "2750"}}), contents(tree))


def test_a_link_is_in_place_when_it_points_where_wanted():
    """The certbot role's links to certbot's live certificate (path_facts's lnk_target, as written in the link)."""
    live = "/etc/letsencrypt/live/crhq.example.com/fullchain.pem"
    found = [{"path": "/tls/fullchain.pem", "islnk": True, "isreg": False, "lnk_target": live, "mode": "0777",
              "pw_name": "root", "gr_name": "root"},
             {"path": "/tls/privkey.pem", "islnk": True, "isreg": False, "lnk_target": "/elsewhere/privkey.pem"},
             {"path": "/tls/chain.pem", "islnk": False, "isreg": True, "checksum": "x", "mode": "0644"}]
    want = [{"path": "/tls/fullchain.pem", "state": "link", "src": live},
            {"path": "/tls/privkey.pem", "state": "link", "src": live.replace("fullchain", "privkey")},
            {"path": "/tls/chain.pem", "state": "link", "src": live.replace("fullchain", "chain")},
            {"path": "/tls/missing.pem", "state": "link", "src": live}]
    assert FILTER(found, want) == ["/tls/fullchain.pem"]


def test_a_secret_file_is_in_place_by_type_owner_group_and_mode_without_its_content(tree, capsys):
    """A password the secret module made is never read back: host_facts's private_paths read has no checksum of it."""
    from ansible_collections.crhq.platform.plugins.modules import host_facts  # pylint: disable=import-outside-toplevel
    (tree / "restic.password").write_text("s3cret\n")
    (tree / "restic.password").chmod(0o600)
    (tree / "open.password").write_text("s3cret\n")
    (tree / "open.password").chmod(0o644)
    read = run_module(host_facts.main, capsys, private_paths=[str(tree / name) for name in
                                                              ("restic.password", "open.password", "conf.d", "gone.password")])
    assert not any("checksum" in entry for entry in read["paths"]["files"]), read
    assert read["paths"]["missing"] == [str(tree / "gone.password")]
    want = [{"path": str(tree / name), "owner": ME, "group": MY_GROUP, "mode": "0600", "secret": True}
            for name in ("restic.password", "open.password", "conf.d", "gone.password")]
    assert FILTER(read["paths"]["files"], want) == [str(tree / "restic.password")]


@pytest.mark.parametrize("found, want, text, message", [
    ("not a list", [], {}, "expects a list of found files and a list of wanted paths, got str and list"),
    ([{"mode": "0644"}], [], {}, "a found entry has no path"),
    ([], [{"mode": "0644"}], {}, "a wanted entry has no path"),
    ([], [{"path": "/x", "state": "socket"}], {}, "/x: state must be file, directory or link, got 'socket'"),
    ([], [{"path": "/x", "state": "link"}], {}, "/x: a link needs src, where it points"),
    ([], [{"path": "/x", "mode": 420}], {"/x": ""}, "/x: mode must be an octal string such as '0644', got 420"),
    ([], [{"path": "/x", "mode": "u=rw"}], {"/x": ""}, "/x: mode must be an octal string"),
    ([], [{"path": "/x"}], {}, "/x: no content given to compare the file with"),
    ([], [{"path": "/x", "state": "directory", "secret": True}], {}, "/x: only a file can be a secret, not a directory"),
    ([], [], ["not", "a", "dict"], "contents must map paths to text, got list"),
    ([{"path": "/x", "isreg": True, "pw_name": "root", "gr_name": "root", "mode": "0644"}], [{"path": "/x"}], {"/x": ""},
     "/x: the find result has no checksum (run ansible.builtin.find with get_checksum: true)"),
])
def test_bad_input_names_the_problem(found, want, text, message):
    with pytest.raises(AnsibleFilterError) as error:
        FILTER(found, want, text)
    assert str(error.value).startswith("paths_in_place: ") and message in str(error.value)


def test_documentation_blocks():
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(plugin, block).strip()

# -*- coding: utf-8 -*-
"""crhq.platform.path_facts against real files, compared with the real ansible.builtin.find module."""

from __future__ import annotations

import grp
import hashlib
import json
import os
import pathlib
import pwd
import shutil
import tempfile

import pytest
from ansible.module_utils import _internal as ansible_internal
from ansible.module_utils.common import warnings as ansible_warnings
from ansible.modules import find as find_module

from ansible_collections.crhq.platform.plugins.module_utils.file_state import paths_in_place
from ansible_collections.crhq.platform.plugins.module_utils import host_reads
from ansible_collections.crhq.platform.plugins.modules import path_facts

from .module_runner import run_module

ME = pwd.getpwuid(os.getuid()).pw_name
MY_GROUP = grp.getgrgid(os.getgid()).gr_name
TEXT = "# Managed by crhq.platform\nKey=value\n"
KEYS = {"path", "mode", "isreg", "isdir", "islnk", "uid", "gid", "pw_name", "gr_name", "size", "mtime"}


@pytest.fixture(autouse=True)
def fixture_as_on_a_managed_host(monkeypatch):
    """Warnings go into the module's result, as on a managed host (once controller code is imported in this
    process, for example by the filter tests, ansible would send them to the controller's display instead)."""
    monkeypatch.setattr(ansible_internal, "is_controller", False)


def run(capsys, **args):
    """path_facts' result; only its own warnings (ansible keeps them per process, and find runs in this one too)."""
    ansible_warnings._global_warnings.clear()  # pylint: disable=protected-access
    return run_module(path_facts.main, capsys, **args)


def find(capsys, directory, **args):
    """ansible.builtin.find's result over the directory, checksums on, as the roles ran it."""
    args = dict(dict(paths=[str(directory)], file_type="any", hidden=True, get_checksum=True), **args)
    return run_module(find_module.main, capsys, **args)


@pytest.fixture(name="tree")
def fixture_tree(tmp_path):
    """conf.d/ (0750) holding crhq.conf (0640), a symlink to it, a setgid directory and a plain file."""
    conf_d = tmp_path / "conf.d"
    conf_d.mkdir()
    conf_d.chmod(0o750)
    conf = conf_d / "crhq.conf"
    conf.write_text(TEXT)
    conf.chmod(0o640)
    (conf_d / "link.conf").symlink_to(conf)
    journal = conf_d / "journal"
    journal.mkdir()
    journal.chmod(0o2755)
    (tmp_path / "plain").write_text("not a directory\n")
    return tmp_path


def test_existing_file_directory_and_symlink(tree, capsys):
    conf_d = tree / "conf.d"
    result = run(capsys, paths=[str(conf_d / "crhq.conf"), str(conf_d), str(conf_d / "link.conf")])
    assert result["changed"] is False and not result.get("failed") and "warnings" not in result
    assert result["missing"] == []
    conf, directory, link = result["files"]
    assert set(conf) == KEYS | {"checksum"} and set(directory) == KEYS and set(link) == KEYS | {"lnk_target", "lnk_source"}
    assert (conf["path"], conf["isreg"], conf["isdir"], conf["islnk"]) == (str(conf_d / "crhq.conf"), True, False, False)
    assert (conf["mode"], conf["size"], conf["pw_name"], conf["gr_name"]) == ("0640", len(TEXT), ME, MY_GROUP)
    assert (conf["uid"], conf["gid"]) == (os.getuid(), os.getgid())
    assert conf["mtime"] == os.lstat(conf_d / "crhq.conf").st_mtime
    assert (directory["path"], directory["isreg"], directory["isdir"], directory["islnk"]) == (str(conf_d), False, True, False)
    assert directory["mode"] == "0750"
    # like find: the link itself (lstat), not the file it points to; so no checksum
    assert (link["isreg"], link["isdir"], link["islnk"], link["mode"]) == (False, False, True, "0777")
    assert link["lnk_target"] == str(conf_d / "crhq.conf")  # as written in the link, as stat's lnk_target
    assert link["lnk_source"] == str(conf_d / "crhq.conf")  # resolved, as stat's lnk_source


def test_a_chain_of_relative_links_resolves_to_the_last_path(tree, capsys):
    """How the hardening role finds the real file behind /usr/bin/cc (/etc/alternatives/cc, gcc, gcc-12, ...)."""
    bin_dir, alternatives = tree / "bin", tree / "alternatives"
    bin_dir.mkdir()
    alternatives.mkdir()
    (bin_dir / "x86_64-linux-gnu-gcc-12").write_text("#!/bin/sh\n")
    (bin_dir / "gcc-12").symlink_to("x86_64-linux-gnu-gcc-12")
    (alternatives / "cc").symlink_to(bin_dir / "gcc-12")
    (bin_dir / "cc").symlink_to("../alternatives/cc")
    (bin_dir / "dangling").symlink_to("nowhere")
    cc, dangling = run(capsys, paths=[str(bin_dir / "cc"), str(bin_dir / "dangling")])["files"]
    assert (cc["lnk_target"], cc["lnk_source"]) == ("../alternatives/cc", str(bin_dir / "x86_64-linux-gnu-gcc-12"))
    assert dangling["lnk_source"] == str(bin_dir / "nowhere")  # like stat: the path need not exist


def test_missing_paths_and_missing_parents_are_listed_without_a_warning(tree, capsys):
    conf = str(tree / "conf.d" / "crhq.conf")
    absent = [str(tree / "absent.conf"),                    # missing file in an existing directory
              str(tree / "modprobe.d"),                     # missing directory
              str(tree / "modprobe.d" / "blacklist.conf"),  # file under a missing directory
              str(tree / "a" / "b" / "c.conf"),             # several levels missing
              str(tree / "plain" / "x.conf")]               # parent is a regular file, not a directory
    result = run(capsys, paths=absent[:2] + [conf] + absent[2:])
    assert not result.get("failed") and "warnings" not in result, result
    assert [entry["path"] for entry in result["files"]] == [conf]
    assert result["missing"] == absent


def test_find_warns_where_path_facts_does_not(tree, capsys):
    """The problem of issue #12: find over a directory a fresh host does not have yet."""
    found = find(capsys, tree / "modprobe.d", patterns=["blacklist.conf"])
    warnings = [json.dumps(warning) for warning in found["warnings"]]  # ansible-core 2.19: WarningSummary dicts
    assert found["files"] == [] and any("is not a directory" in warning for warning in warnings), warnings
    result = run(capsys, paths=[str(tree / "modprobe.d" / "blacklist.conf")])
    assert result["files"] == [] and "warnings" not in result


def test_checksum_is_sha1_of_content_and_what_find_reports(tree, capsys):
    conf = tree / "conf.d" / "crhq.conf"
    ours = run(capsys, paths=[str(conf)])["files"][0]
    theirs = {entry["path"]: entry for entry in find(capsys, tree / "conf.d")["files"]}[str(conf)]
    assert ours["checksum"] == hashlib.sha1(TEXT.encode("utf-8")).hexdigest() == theirs["checksum"]


def test_entries_equal_finds_for_every_key_returned(tree, capsys):
    """File, symlink and setgid directory: every key path_facts returns has find's value, mode string included (find
    has no lnk_target; stat's is tested above)."""
    found = {entry["path"]: entry for entry in find(capsys, tree / "conf.d")["files"]}
    found.update({entry["path"]: entry for entry in find(capsys, tree)["files"]})
    paths = [str(tree / "conf.d" / name) for name in ("crhq.conf", "link.conf", "journal")] + [str(tree / "conf.d"), str(tree / "plain")]
    ours = run(capsys, paths=paths)["files"]
    assert [entry["path"] for entry in ours] == paths
    for entry in ours:
        entry.pop("lnk_target", None)
        entry.pop("lnk_source", None)
        assert entry == {key: found[entry["path"]][key] for key in entry}, entry["path"]
    modes = {entry["path"]: entry["mode"] for entry in ours}
    assert modes[str(tree / "conf.d" / "journal")] == "2755"  # setgid kept, four digits like find
    assert modes[str(tree / "conf.d")] == "0750" and modes[str(tree / "conf.d" / "link.conf")] == "0777"


def test_no_checksum_when_not_asked(tree, capsys):
    result = run(capsys, paths=[str(tree / "conf.d" / "crhq.conf")], get_checksum=False)
    assert set(result["files"][0]) == KEYS


def test_output_feeds_paths_in_place_like_finds(tree, capsys):
    conf_d = tree / "conf.d"
    wanted = [{"path": str(conf_d / "crhq.conf"), "owner": ME, "group": MY_GROUP, "mode": "0640"},
              {"path": str(conf_d), "state": "directory", "owner": ME, "group": MY_GROUP, "mode": "0750"},
              {"path": str(conf_d / "journal"), "state": "directory", "owner": ME, "group": MY_GROUP, "mode": "2755"},
              {"path": str(conf_d / "link.conf"), "owner": ME, "group": MY_GROUP, "mode": "0640"},
              {"path": str(conf_d / "stale.conf"), "owner": ME, "group": MY_GROUP, "mode": "0640"},
              {"path": str(tree / "missing.d"), "state": "directory", "owner": ME, "group": MY_GROUP, "mode": "0755"},
              {"path": str(tree / "missing.d" / "x.conf"), "owner": ME, "group": MY_GROUP}]
    contents = {entry["path"]: TEXT for entry in wanted if entry.get("state", "file") == "file"}
    (conf_d / "stale.conf").write_text("# edited by hand\n")
    (conf_d / "stale.conf").chmod(0o640)
    ours = run(capsys, paths=[entry["path"] for entry in wanted])
    # the roles' old way: find over the parent directories with the basenames as patterns (tree/missing.d warns)
    dirs = sorted({os.path.dirname(entry["path"]) for entry in wanted})
    theirs = run_module(find_module.main, capsys, paths=dirs, file_type="any", hidden=True, get_checksum=True,
                        patterns=sorted({os.path.basename(entry["path"]) for entry in wanted}))
    expected = [str(conf_d / "crhq.conf"), str(conf_d), str(conf_d / "journal")]
    assert paths_in_place(ours["files"], wanted, contents) == expected
    assert paths_in_place(theirs["files"], wanted, contents) == expected
    assert ours["missing"] == [str(tree / "missing.d"), str(tree / "missing.d" / "x.conf")]


def test_relative_or_empty_path_fails_naming_it(tree, capsys):
    result = run(capsys, paths=[str(tree / "conf.d"), "etc/issue", ""])
    assert result["failed"]
    assert "'etc/issue'" in result["msg"] and "''" in result["msg"] and str(tree) not in result["msg"]


def test_empty_list_and_duplicates(tree, capsys):
    assert run(capsys, paths=[]) == {"changed": False, "files": [], "missing": [], "invocation": {
        "module_args": {"paths": [], "get_checksum": True}}}
    conf = str(tree / "conf.d" / "crhq.conf")
    result = run(capsys, paths=[conf, str(tree / "gone"), conf, str(tree / "gone")])
    assert [entry["path"] for entry in result["files"]] == [conf] and result["missing"] == [str(tree / "gone")]


def test_check_mode_reads_the_same_and_changes_nothing(tree, capsys):
    paths = [str(tree / "conf.d" / "crhq.conf"), str(tree / "absent")]
    before = sorted(os.listdir(tree))
    normal = run(capsys, paths=paths)
    checked = run(capsys, paths=paths, _ansible_check_mode=True)
    assert checked["changed"] is False and checked["files"] == normal["files"] and checked["missing"] == normal["missing"]
    assert sorted(os.listdir(tree)) == before


def as_nobody(function):
    """Run function in a child process with the uid and gid of nobody; return what it returned (JSON)."""
    nobody = pwd.getpwnam("nobody")
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)
            out = json.dumps(function())
        except BaseException as exc:  # noqa: BLE001 - reported to the parent
            out = json.dumps({"child_error": repr(exc)})
        os.write(write_end, out.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end) as handle:
        data = handle.read()
    os.waitpid(child, 0)
    return json.loads(data)


def read_as_other_user(function):
    return as_nobody(function) if os.getuid() == 0 else function()


class FakeModule:
    """What read_path needs of AnsibleModule, without parsing arguments in a child process."""

    @staticmethod
    def digest_from_file(path, algorithm):
        from ansible.module_utils.basic import AnsibleModule
        return AnsibleModule.digest_from_file(FakeModule, path, algorithm)


def attempt(path):
    def call():
        try:
            return {"entry": host_reads.read_path(FakeModule, path, True)}
        except host_reads.PathError as exc:
            return {"error": str(exc)}
    return call


@pytest.fixture(name="shared")
def fixture_shared():
    """A directory (0755) the other user can reach; pytest's own temporary tree is private to this user."""
    path = tempfile.mkdtemp(prefix="crhq-path-facts-")
    os.chmod(path, 0o755)
    yield pathlib.Path(path)
    for root, dirs, dummy in os.walk(path):
        for name in dirs:
            os.chmod(os.path.join(root, name), 0o700)
    shutil.rmtree(path)


def test_parent_not_readable_fails_with_a_clear_message(shared):
    closed = shared / "closed"
    closed.mkdir()
    (closed / "secret.conf").write_text(TEXT)
    # as root the read runs as nobody, whom 0700 keeps out; as another user it runs as that user, whom 0000 keeps out
    closed.chmod(0o700 if os.getuid() == 0 else 0o000)
    outcome = read_as_other_user(attempt(str(closed / "secret.conf")))
    assert "child_error" not in outcome, outcome
    assert outcome["error"].startswith(str(closed / "secret.conf") + ": cannot be read, a parent directory")
    assert "Permission denied" in outcome["error"] and "become" in outcome["error"]


def test_unreadable_file_fails_on_its_checksum(shared):
    private = shared / "private.conf"
    private.write_text(TEXT)
    private.chmod(0o600 if os.getuid() == 0 else 0o000)
    outcome = read_as_other_user(attempt(str(private)))
    assert "child_error" not in outcome, outcome
    assert outcome["error"] == "%s: cannot read the file's content for its checksum: Permission denied" % private


def test_missing_path_in_a_readable_tree_is_not_an_error_for_another_user(shared):
    assert read_as_other_user(attempt(str(shared / "nothing" / "here.conf"))) == {"entry": None}


def test_a_path_that_cannot_be_read_fails_the_task_naming_it(tree, capsys, monkeypatch):
    blocked = str(tree / "conf.d" / "crhq.conf")
    real_lstat = os.lstat

    def lstat(path, *args, **kwargs):
        if path == blocked:
            raise PermissionError(13, "Permission denied", path)
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(host_reads.os, "lstat", lstat)
    result = run(capsys, paths=[str(tree / "absent"), blocked])
    assert result["failed"] and "files" not in result
    assert result["msg"].startswith(blocked + ": cannot be read, a parent directory does not let this user through")

# -*- coding: utf-8 -*-
"""crhq.platform.secret run in-process against a real temporary directory."""

from __future__ import annotations

import json
import os
import re
import stat

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.keyring import parse_keyring
from ansible_collections.crhq.platform.plugins.modules import secret

from .module_runner import run_module


def run(capsys, **args):
    return run_module(secret.main, capsys, **args)


def material(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def assert_no_material(result, path):
    text = json.dumps(result)
    content = material(path)
    if content.lstrip().startswith("{"):
        for entry in parse_keyring(content)["keys"]:
            assert entry["key"] not in text
    else:
        for line in content.splitlines():
            assert line.strip() not in text


def test_keyring_created_0600_then_left_alone(tmp_path, capsys):
    path = str(tmp_path / "master.keyring")
    first = run(capsys, path=path, type="keyring")
    assert first["changed"] and first["created"] and len(first["key_ids"]) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert_no_material(first, path)
    before = material(path)
    second = run(capsys, path=path, type="keyring")
    assert not second["changed"] and second["key_ids"] == first["key_ids"]
    assert material(path) == before


def test_rotation_adds_a_primary_and_keeps_old_keys(tmp_path, capsys):
    path = str(tmp_path / "master.keyring")
    first = run(capsys, path=path, type="keyring")
    old = parse_keyring(material(path))
    rotated = run(capsys, path=path, type="keyring", rotate=True)
    assert rotated["changed"] and rotated["rotated"]
    assert rotated["key_ids"][0] == first["primary_key_id"] != rotated["primary_key_id"]
    assert parse_keyring(material(path))["keys"][0] == old["keys"][0]
    assert_no_material(rotated, path)


def test_check_mode_writes_nothing_and_diff_shows_ids_only(tmp_path, capsys):
    path = str(tmp_path / "master.keyring")
    planned = run(capsys, path=path, type="keyring", _ansible_check_mode=True, _ansible_diff=True)
    assert planned["changed"] and not os.path.exists(path)
    assert planned["diff"]["before"] == "absent\n"
    run(capsys, path=path, type="keyring")
    planned = run(capsys, path=path, type="keyring", rotate=True, _ansible_check_mode=True, _ansible_diff=True)
    assert planned["changed"] and len(parse_keyring(material(path))["keys"]) == 1
    assert re.match(r"^key [0-9a-f]{16} \(primary\)\n$", planned["diff"]["before"])
    assert_no_material(planned, path)


@pytest.mark.parametrize("kind, pattern", [
    ("token", r"^[A-Za-z0-9_-]{43}\n$"),
    ("api_key", r"^crhq_ak_[0-9A-Za-z]{43}\n$"),
    ("hub_key", r"^crhq_hk_[0-9A-Za-z]{43}\n$"),
    ("totp", r"^[A-Z2-7]{32}\n$"),
    ("backup_codes", r"^([a-z0-9]{5}-[a-z0-9]{5}\n){10}$"),
])
def test_token_kinds(tmp_path, capsys, kind, pattern):
    path = str(tmp_path / kind)
    result = run(capsys, path=path, type=kind, mode="0640")
    assert result["changed"]
    assert re.match(pattern, material(path))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    assert_no_material(result, path)
    assert not run(capsys, path=path, type=kind, mode="0640")["changed"]


def test_fingerprint_is_the_api_key_hash(tmp_path, capsys):
    from ansible_collections.crhq.platform.plugins.module_utils.auth import api_key_hash
    path = str(tmp_path / "hub.key")
    result = run(capsys, path=path, type="hub_key")
    assert result["fingerprint"] == api_key_hash(material(path).strip())


def test_mode_is_enforced_on_existing_files(tmp_path, capsys):
    path = str(tmp_path / "session.secret")
    run(capsys, path=path, type="token")
    os.chmod(path, 0o644)
    result = run(capsys, path=path, type="token", mode="0600")
    assert result["changed"] and stat.S_IMODE(os.stat(path).st_mode) == 0o600


@pytest.mark.parametrize("content, kind, message", [
    ("not json", "keyring", "is not a valid keyring (keyring is not valid JSON); it was left untouched"),
    ('{"format": "crhq-keyring", "version": 1, "primary": "x", "keys": []}', "keyring", "non-empty list"),
    ("a\nb\n", "token", "does not hold exactly one line"),
    ("wrongprefix_abc\n", "api_key", "does not start with the prefix 'crhq_ak_'"),
    ("\n", "backup_codes", "holds no backup codes"),
])
def test_invalid_existing_material_fails_and_is_untouched(tmp_path, capsys, content, kind, message):
    path = tmp_path / "existing"
    path.write_text(content)
    result = run(capsys, path=str(path), type=kind, rotate=(kind == "keyring"))
    assert result["failed"] and message in result["msg"]
    assert path.read_text() == content


@pytest.mark.parametrize("args, message", [
    ({"type": "token", "rotate": True}, "rotate=true only applies to type=keyring"),
    ({"type": "keyring", "prefix": "x"}, "prefix only applies"),
    ({"type": "api_key", "prefix": "bad-prefix"}, "prefix must be"),
    ({"type": "token", "bytes": 8}, "bytes must be at least 16"),
    ({"type": "backup_codes", "count": 0}, "count must be at least 1"),
])
def test_bad_arguments(tmp_path, capsys, args, message):
    result = run(capsys, path=str(tmp_path / "x"), **args)
    assert result["failed"] and message in result["msg"]
    assert not (tmp_path / "x").exists()


def test_missing_directory_is_named(tmp_path, capsys):
    result = run(capsys, path=str(tmp_path / "nope" / "key"), type="keyring")
    assert result["failed"] and "does not exist; create it first" in result["msg"]


def test_scram_verifier_is_returned_and_stable_but_not_the_token(tmp_path, capsys):
    path = str(tmp_path / "db.password")
    first = run(capsys, path=path, type="token", scram_sha256=True)
    second = run(capsys, path=path, type="token", scram_sha256=True)
    assert first["scram_sha256"].startswith("SCRAM-SHA-256$4096:")
    assert first["scram_sha256"] == second["scram_sha256"] and not second["changed"]
    assert_no_material(first, path)
    bad = run(capsys, path=str(tmp_path / "k"), type="keyring", scram_sha256=True)
    assert bad["failed"] and "scram_sha256=true only applies to type=token" in bad["msg"]


# --- defects found by an independent review (issue 11); each test failed before its fix -----------------------

def test_rotation_keeps_the_owner_group_and_mode_of_the_keyring(tmp_path, capsys):
    path = str(tmp_path / "master.keyring")
    run(capsys, path=path, type="keyring", group="daemon", mode="0640")
    before = os.stat(path)
    assert stat.S_IMODE(before.st_mode) == 0o640 and before.st_gid != os.getgid()
    rotated = run(capsys, path=path, type="keyring", rotate=True)  # no owner, group or mode in the task
    after = os.stat(path)
    assert rotated["changed"] and len(rotated["key_ids"]) == 2
    assert (after.st_uid, after.st_gid, stat.S_IMODE(after.st_mode)) == (before.st_uid, before.st_gid, 0o640)
    assert after.st_ino != before.st_ino  # a new file, moved into place in one step


def _rotate_in_a_child(path, barrier, rounds):
    import io
    import sys

    from ansible.module_utils.testing import patch_module_args

    barrier.wait()
    for _round in range(rounds):
        sys.stdout = io.StringIO()
        with patch_module_args({"path": path, "type": "keyring", "rotate": True,
                                "_ansible_remote_tmp": "/tmp", "_ansible_keep_remote_files": False}):
            try:
                secret.main()
            except SystemExit:
                pass
        assert '"failed"' not in sys.stdout.getvalue(), sys.stdout.getvalue()


def test_concurrent_rotations_keep_every_key(tmp_path, capsys):
    import multiprocessing

    path = str(tmp_path / "master.keyring")
    run(capsys, path=path, type="keyring")
    context = multiprocessing.get_context("fork")
    workers, rounds = 6, 4
    barrier = context.Barrier(workers)
    children = [context.Process(target=_rotate_in_a_child, args=(path, barrier, rounds))
                for _worker in range(workers)]
    for child in children:
        child.start()
    for child in children:
        child.join(60)
    assert [child.exitcode for child in children] == [0] * workers
    assert len(parse_keyring(material(path))["keys"]) == 1 + workers * rounds


def test_a_new_file_never_replaces_one_written_meanwhile(tmp_path, capsys, monkeypatch):
    path = tmp_path / "session.secret"
    original = secret.generate

    def another_writer_comes_first(module, kind, existing_text):
        path.write_text("theirs\n")
        return original(module, kind, existing_text)

    monkeypatch.setattr(secret, "generate", another_writer_comes_first)
    result = run(capsys, path=str(path), type="token")
    assert result["failed"] and "File exists" in result["msg"]
    assert path.read_text() == "theirs\n"
    assert [p.name for p in tmp_path.iterdir()] == ["session.secret"]  # no temporary file left


@pytest.mark.parametrize("content, kind, message", [
    ("crhq_ak_short\n", "api_key", "is not valid api_key material: it holds 5 characters"),
    ("x\n", "token", "is not valid token material: it holds 1 characters"),
    ("AAAA\n", "totp", "is not valid totp material: it holds 4 characters"),
    ("crhq_hk_" + "!" * 43 + "\n", "hub_key", "after its prefix it must hold only base62 characters"),
    ("hello\n", "backup_codes", "backup code 1 is not two groups of 5"),
])
def test_material_of_the_wrong_alphabet_or_length_is_refused_and_untouched(tmp_path, capsys, content, kind, message):
    path = tmp_path / "existing"
    path.write_text(content)
    result = run(capsys, path=str(path), type=kind)
    assert result["failed"] and message in result["msg"] and "left untouched" in result["msg"]
    assert path.read_text() == content


def test_a_prefix_with_a_trailing_newline_is_refused(tmp_path, capsys):
    result = run(capsys, path=str(tmp_path / "k"), type="api_key", prefix="crhq_ak_\n")
    assert result["failed"] and "prefix must be" in result["msg"]
    assert not (tmp_path / "k").exists()


def test_scram_salt_is_random_kept_on_the_host_and_renewed_with_the_password(tmp_path, capsys):
    one, two = tmp_path / "a.password", tmp_path / "b.password"
    one.write_text("x" * 43 + "\n")
    two.write_text("x" * 43 + "\n")
    first = run(capsys, path=str(one), type="token", scram_sha256=True)
    other = run(capsys, path=str(two), type="token", scram_sha256=True)
    # equal passwords, different salts
    assert first["scram_sha256"].split("$")[1] != other["scram_sha256"].split("$")[1]
    kept = tmp_path / "a.password.scram"
    assert kept.read_text() == first["scram_sha256"] + "\n" and stat.S_IMODE(kept.stat().st_mode) == 0o600
    assert first["changed"]  # the verifier file was written
    again = run(capsys, path=str(one), type="token", scram_sha256=True)
    assert again["scram_sha256"] == first["scram_sha256"] and not again["changed"]
    kept.write_text("damaged\n")
    repaired = run(capsys, path=str(one), type="token", scram_sha256=True)
    assert repaired["changed"] and repaired["scram_sha256"] != first["scram_sha256"]
    one.write_text("y" * 43 + "\n")  # a new password: a new verifier with a new salt
    renewed = run(capsys, path=str(one), type="token", scram_sha256=True)
    assert renewed["changed"] and renewed["scram_sha256"].split("$")[1] != repaired["scram_sha256"].split("$")[1]
    planned = run(capsys, path=str(two), type="token", scram_sha256=True, _ansible_check_mode=True)
    assert planned["scram_sha256"] == other["scram_sha256"] and not planned["changed"]


def test_retire_removes_old_keys_keeps_the_primary_and_the_file_attributes(tmp_path, capsys):
    path = str(tmp_path / "master.keyring")
    first = run(capsys, path=path, type="keyring", group="daemon", mode="0640")
    rotated = run(capsys, path=path, type="keyring", rotate=True)
    old, new = first["primary_key_id"], rotated["primary_key_id"]
    before = os.stat(path)
    planned = run(capsys, path=path, type="keyring", retire=[old], _ansible_check_mode=True, _ansible_diff=True)
    assert planned["changed"] and planned["retired"] == [old] and planned["key_ids"] == [new]
    assert planned["diff"]["after"] == "key %s (primary)\n" % new and old in planned["diff"]["before"]
    assert len(parse_keyring(material(path))["keys"]) == 2
    retired = run(capsys, path=path, type="keyring", retire=[old, "0123456789abcdef"])
    assert retired["changed"] and retired["retired"] == [old] and retired["key_ids"] == [new]
    after = os.stat(path)
    assert (after.st_uid, after.st_gid, after.st_mode) == (before.st_uid, before.st_gid, before.st_mode)
    assert_no_material(retired, path)
    again = run(capsys, path=path, type="keyring", retire=[old])
    assert not again["changed"] and again["retired"] == []
    primary = run(capsys, path=path, type="keyring", retire=[new])
    assert primary["failed"] and "is the primary key and cannot retire" in primary["msg"]
    for args, message in [({"retire": ["nothex"]}, "retire takes key ids"),
                          ({"retire": [old], "rotate": True}, "not in the task that rotates")]:
        bad = run(capsys, path=path, type="keyring", **args)
        assert bad["failed"] and message in bad["msg"]
    assert parse_keyring(material(path))["primary"] == new


def test_check_mode_on_a_fresh_host_predicts_the_file_when_its_directory_is_only_predicted(tmp_path, capsys):
    path = str(tmp_path / "keys" / "master.keyring")  # the directory a task before would have made
    planned = run(capsys, path=path, type="keyring", _ansible_check_mode=True, _ansible_diff=True)
    assert planned["changed"] and planned["created"] and planned["key_ids"] == []
    assert "directory does not exist yet" in planned["diff"]["after"]
    assert not (tmp_path / "keys").exists()
    token = run(capsys, path=str(tmp_path / "keys" / "session.secret"), type="token", scram_sha256=True,
                _ansible_check_mode=True)
    assert token["changed"] and "fingerprint" not in token
    # a real run still names the missing directory
    assert "does not exist; create it first" in run(capsys, path=path, type="keyring")["msg"]


# several files in one run of the module (`secrets`)

def test_secrets_makes_each_file_with_its_own_or_the_tasks_mode_and_reports_in_order(tmp_path, capsys):
    keyring, token, codes = (str(tmp_path / name) for name in ("master.keyring", "db.password", "codes"))
    items = [{"path": keyring, "type": "keyring"}, {"path": token, "type": "token", "scram_sha256": True},
             {"path": codes, "type": "backup_codes", "count": 3, "mode": "0400"}]
    first = run(capsys, secrets=items, mode="0640")
    assert first["changed"] and [r["path"] for r in first["results"]] == [keyring, token, codes]
    assert [r["created"] for r in first["results"]] == [True, True, True]
    assert first["results"][0]["primary_key_id"] and first["results"][1]["scram_sha256"].startswith("SCRAM-SHA-256$")
    assert first["results"][2]["codes"] == 3
    assert [stat.S_IMODE(os.stat(p).st_mode) for p in (keyring, token, codes)] == [0o640, 0o640, 0o400]
    for result, path in zip(first["results"], (keyring, token, codes)):
        assert_no_material(result, path)
    before = [material(p) for p in (keyring, token, codes)]
    second = run(capsys, secrets=items, mode="0640")
    assert not second["changed"] and not any(r["changed"] for r in second["results"])
    assert second["results"][1]["scram_sha256"] == first["results"][1]["scram_sha256"]
    assert [material(p) for p in (keyring, token, codes)] == before


def test_secrets_checks_every_item_before_it_touches_a_file(tmp_path, capsys):
    first, second = str(tmp_path / "one"), str(tmp_path / "two")
    result = run(capsys, secrets=[{"path": first, "type": "token"}, {"path": second, "type": "keyring", "prefix": "x"}])
    assert result["failed"]
    assert result["msg"] == "secrets[1] (%s): prefix only applies to types token, api_key and hub_key" % second
    assert not os.path.exists(first) and not os.path.exists(second)


def test_secrets_stops_at_an_invalid_file_and_names_it(tmp_path, capsys):
    made, broken = tmp_path / "made", tmp_path / "broken"
    broken.write_text("a\nb\n")
    result = run(capsys, secrets=[{"path": str(made), "type": "token"}, {"path": str(broken), "type": "token"}])
    assert result["failed"] and result["msg"].startswith("secrets[1] (%s): " % broken)
    assert result["changed"] and [r["path"] for r in result["results"]] == [str(made)]
    assert "does not hold exactly one line" in result["msg"]
    assert broken.read_text() == "a\nb\n" and made.exists()


def test_secrets_in_check_mode_changes_nothing_and_shows_one_diff_per_new_file(tmp_path, capsys):
    kept = tmp_path / "kept"
    run(capsys, path=str(kept), type="token")
    new = tmp_path / "new"
    planned = run(capsys, secrets=[{"path": str(kept), "type": "token"}, {"path": str(new), "type": "hub_key"}],
                  _ansible_check_mode=True, _ansible_diff=True)
    assert planned["changed"] and [r["changed"] for r in planned["results"]] == [False, True]
    assert [d["after_header"] for d in planned["diff"]] == [str(new)] and "new hub_key" in planned["diff"][0]["after"]
    assert not new.exists()


@pytest.mark.parametrize("args, message", [
    ({"path": "/tmp/x", "type": "token", "secrets": [{"path": "/tmp/y", "type": "token"}]}, "mutually exclusive"),
    ({"secrets": [{"path": "/tmp/y", "type": "token"}], "rotate": True}, "mutually exclusive"),
    ({"secrets": [{"path": "/tmp/y", "type": "backup_codes"}], "count": 3}, "mutually exclusive"),
    ({"path": "/tmp/x"}, "type"),
    ({}, "one of the following is required: path, secrets"),
    ({"secrets": [{"path": "/tmp/y"}]}, "missing required arguments: type"),
])
def test_secrets_and_path_exclude_each_other(capsys, args, message):
    result = run(capsys, **args)
    assert result["failed"] and message in result["msg"]

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

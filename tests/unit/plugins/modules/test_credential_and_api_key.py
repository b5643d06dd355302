# -*- coding: utf-8 -*-
"""crhq.platform.credential and crhq.platform.api_key against the app's real command on SQLite."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.crhq.platform.plugins.modules import api_key, credential

from .module_runner import run_module
from .real_app import RealApp

VALUE = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return RealApp(str(tmp_path_factory.mktemp("real-app")))


def store(capsys, app, **args):
    return run_module(credential.main, capsys, **app.params(**args))


def key(capsys, app, **args):
    return run_module(api_key.main, capsys, **app.params(**args))


def test_credential_is_stored_encrypted_idempotent_and_never_returned(capsys, app):
    created = store(capsys, app, name="openai", value=VALUE, description="provider")
    assert created["changed"] and created["created"] and created["credential"]["version"] == 1
    assert created["credential"]["hint"] == VALUE[-4:]
    assert VALUE not in json.dumps(created) and VALUE[:-4] not in json.dumps(app.sql("SELECT * FROM vault_credential"))
    stored = app.sql("SELECT value FROM vault_credential WHERE name = 'openai'")[0][0]
    assert stored.startswith("crhq.v1.")
    again = store(capsys, app, name="openai", value=VALUE, description="provider")
    assert not again["changed"] and again["fields"] == []
    planned = store(capsys, app, name="openai", value=VALUE + "2", _ansible_check_mode=True)
    assert planned["changed"] and planned["fields"] == ["value", "version"]
    assert app.sql("SELECT version FROM vault_credential WHERE name = 'openai'") == [(1,)]
    changed = store(capsys, app, name="openai", value=VALUE + "2")
    assert changed["changed"] and changed["credential"]["version"] == 2
    with_newline = store(capsys, app, name="newline", value="line one\n")
    assert with_newline["changed"]
    assert not store(capsys, app, name="newline", value="line one\n")["changed"]
    assert store(capsys, app, name="newline", value="line one")["changed"]  # stored exactly as given
    actors = {row[0] for row in app.sql("SELECT actor FROM vault_auditevent")}
    assert actors == {"ansible"}
    actions = [row[0] for row in app.sql("SELECT action FROM vault_auditevent WHERE object_id = 'openai' ORDER BY seq")]
    assert actions == ["credential.create", "credential.compare", "credential.compare", "credential.update"]


def test_credential_delete_and_bad_input(capsys, app):
    store(capsys, app, name="to-delete", value="x" * 20)
    gone = store(capsys, app, name="to-delete", state="absent")
    assert gone["changed"] and gone["credential"]["deleted"]
    assert not store(capsys, app, name="to-delete", state="absent")["changed"]
    bad = store(capsys, app, name="bad name!", value="x")
    assert bad["failed"] and "letters, digits" in bad["msg"]
    missing = store(capsys, app, name="x")
    assert missing["failed"] and "value" in missing["msg"]


def test_api_key_issued_once_into_a_root_only_file(capsys, app, tmp_path):
    store(capsys, app, name="github", value="ghp_" + "g" * 36)
    path = tmp_path / "agent.key"
    issued = key(capsys, app, name="agent", credentials=["github"], key_file=str(path))
    assert issued["changed"] and "key" not in issued and issued["api_key"]["credentials"] == ["github"]
    text = path.read_text().strip()
    assert text.startswith("crhq_ak_") and len(text) == 57 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert text not in json.dumps(issued)
    assert app.sql("SELECT key_hash FROM vault_apikey WHERE name = 'agent'")[0][0] != text
    again = key(capsys, app, name="agent", credentials=["github"], key_file=str(path))
    assert not again["changed"] and path.read_text().strip() == text
    wider = key(capsys, app, name="agent", credentials=["github", "openai"], scopes=["credentials:read",
                                                                                     "credentials:list"],
                key_file=str(path))
    assert wider["changed"] and wider["api_key"]["credentials"] == ["github", "openai"]
    assert path.read_text().strip() == text  # the same key, with new scopes
    path.unlink()
    lost = key(capsys, app, name="agent", credentials=["github", "openai"],
               scopes=["credentials:read", "credentials:list"], key_file=str(path))
    assert lost["failed"] and "set rotate: true" in lost["msg"]
    rotated = key(capsys, app, name="agent", credentials=["github"], key_file=str(path), rotate=True)
    assert rotated["changed"] and path.read_text().strip() != text


def test_api_key_returned_once_and_revoked(capsys, app):
    issued = key(capsys, app, name="pipeline", scopes=["credentials:write"])
    assert issued["changed"] and issued["key"].startswith("crhq_ak_")
    assert "key" not in key(capsys, app, name="pipeline", scopes=["credentials:write"])
    planned = key(capsys, app, name="pipeline", state="absent", _ansible_check_mode=True)
    assert planned["changed"] and planned["api_key"]["state"] == "revoked"
    assert app.sql("SELECT revoked_at FROM vault_apikey WHERE name = 'pipeline'") == [(None,)]
    revoked = key(capsys, app, name="pipeline", state="absent")
    assert revoked["changed"] and not key(capsys, app, name="pipeline", state="absent")["changed"]
    unknown = key(capsys, app, name="nope", credentials=["no-such-credential"])
    assert unknown["failed"] and "no credential named 'no-such-credential'" in unknown["msg"]
    actions = [row[0] for row in app.sql("SELECT action FROM vault_auditevent WHERE action LIKE 'api_key.%' ORDER BY seq")]
    assert "api_key.issue" in actions and "api_key.revoke" in actions and "api_key.update" in actions


def test_the_app_is_not_installed(capsys, tmp_path):
    result = run_module(credential.main, capsys, name="x", value="y", command=str(tmp_path / "missing"),
                        env_file=str(tmp_path / "app.env"))
    assert result["failed"] and "the CRHQ app is not installed" in result["msg"]


def test_an_expiring_key_is_idempotent_and_its_expiry_can_change(capsys, app, tmp_path):
    path = str(tmp_path / "expiring.key")
    first = key(capsys, app, name="expiring", expires_days=30, key_file=path)
    assert first["changed"] and first["api_key"]["expires_at"]
    assert not key(capsys, app, name="expiring", expires_days=30, key_file=path)["changed"]
    longer = key(capsys, app, name="expiring", expires_days=60, key_file=path)
    assert longer["changed"] and longer["api_key"]["expires_at"] > first["api_key"]["expires_at"]
    bad = key(capsys, app, name="expiring", expires_days=0, key_file=path)
    assert bad["failed"] and "expires_days must be at least 1" in bad["msg"]


def test_rotation_with_the_modules_loses_nothing(capsys, tmp_path):
    from ansible_collections.crhq.platform.plugins.modules import app_rewrap, secret

    app = RealApp(str(tmp_path))
    for number in range(5):
        store(capsys, app, name="rot-%d" % number, value="value-%d-%s" % (number, "z" * 20))
    store(capsys, app, name="rot-0", value="second value of rot-0, 1234")
    old = run_module(secret.main, capsys, path=app.keyring_file, type="keyring")["primary_key_id"]
    new = run_module(secret.main, capsys, path=app.keyring_file, type="keyring", rotate=True)["primary_key_id"]
    planned = run_module(app_rewrap.main, capsys, **app.params(_ansible_check_mode=True))
    assert planned["changed"] and planned["rewrapped"] == 11 and planned["key_ids"] == {new: 11}
    in_use = run_module(app_rewrap.main, capsys, **app.params(unused_key_ids=[old]))
    assert in_use["failed"] and "stored values still use %s (11)" % old in in_use["msg"]
    done = run_module(app_rewrap.main, capsys, **app.params())
    assert done["changed"] and done["checked"] == 11 and done["counts"]["credential_version"] == 6
    assert done["key_ids_before"] == {old: 11} and done["key_ids"] == {new: 11}
    assert not run_module(app_rewrap.main, capsys, **app.params())["changed"]
    assert not run_module(app_rewrap.main, capsys, **app.params(unused_key_ids=[old]))["changed"]
    retired = run_module(secret.main, capsys, path=app.keyring_file, type="keyring", retire=[old])
    assert retired["changed"] and retired["key_ids"] == [new]
    # every value still there and decrypting with the new key alone: the app compares them, nothing changes
    for number in range(1, 5):
        assert not store(capsys, app, name="rot-%d" % number, value="value-%d-%s" % (number, "z" * 20))["changed"]
    assert not store(capsys, app, name="rot-0", value="second value of rot-0, 1234")["changed"]


def test_verify_after_a_restore_names_the_missing_keys(capsys, tmp_path):
    from ansible_collections.crhq.platform.plugins.modules import app_rewrap, secret

    app = RealApp(str(tmp_path))
    store(capsys, app, name="restored", value="value-restored-" + "r" * 20)
    ok = run_module(app_rewrap.main, capsys, **app.params(verify=True))
    assert not ok["changed"] and ok["checked"] == 2
    original = open(app.keyring_file, encoding="utf-8").read()
    os.unlink(app.keyring_file)  # a fresh host's own keyring instead of the exported one
    run_module(secret.main, capsys, path=app.keyring_file, type="keyring")
    missing = run_module(app_rewrap.main, capsys, **app.params(verify=True))
    assert missing["failed"] and "2 stored values cannot be decrypted" in missing["msg"]
    assert "playbooks/export_keys.yml" in missing["msg"] and json.loads(original)["primary"] in missing["msg"]

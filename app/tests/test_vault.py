"""The credential store, API keys and the audit log (issue 11): real envelopes, real hashes, the API as nginx
hands it requests."""

import datetime
import io
import json
import logging
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from crhq_app import crypto
from crhq_app.vault import apikeys, audit, store
from crhq_app.vault.models import ApiKey, AuditEvent, Credential, CredentialVersion, value_context, version_context
from crhq_testing import log_in, make_client

SECRET = "sk-live-0123456789abcdefghijklmnopqrstuv"
OTHER = "ghp-another-secret-value-9876543210"
ANSIBLE = {"actor_type": "ansible", "actor": "ansible"}


def command(*args, stdin=None, monkeypatch=None):
    out = io.StringIO()
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    call_command(*args, stdout=out)
    return json.loads(out.getvalue())


def issue(monkeypatch, name="agent-job", scopes=("credentials:read",), credentials=("openai",), **extra):
    args = ["api_key", "issue", "--name", name]
    for scope in scopes:
        args += ["--scope", scope]
    for credential in credentials:
        args += ["--credential", credential]
    for option, value in extra.items():
        args += ["--" + option.replace("_", "-")] + ([] if value is True else [str(value)])
    return command(*args, monkeypatch=monkeypatch)


@pytest.fixture
def stored(db):
    return [store.create("openai", SECRET, "provider key", "test", ANSIBLE),
            store.create("github", OTHER, "", "test", ANSIBLE)]


def bearer(key, address="203.0.113.20"):
    return make_client(address=address, HTTP_AUTHORIZATION="Bearer " + key)


def events(action=None):
    found = AuditEvent.objects.order_by("seq")
    return [e for e in found if action is None or e.action == action]


# --- API key format ---------------------------------------------------------------------------------------------

def test_api_key_format_prefix_checksum_and_storage(db, stored, monkeypatch):
    result = issue(monkeypatch)
    key = result["key"]
    assert re.fullmatch(r"crhq_ak_[0-9A-Za-z]{49}", key) and apikeys.well_formed(key)
    # one changed character anywhere fails the checksum: a scanner tells a real key from noise
    flipped = key[:20] + ("A" if key[20] != "A" else "B") + key[21:]
    assert not apikeys.well_formed(flipped)
    assert not apikeys.well_formed(key + "\n") and not apikeys.well_formed(key[:-1])
    row = ApiKey.objects.get(name="agent-job")
    assert row.key_hash == apikeys.key_hash(key) and row.key_id == row.key_hash[:16] == result["api_key"]["key_id"]
    assert key not in json.dumps(list(ApiKey.objects.values()), default=str)
    # shown once: issuing again under the same name changes nothing and shows no key
    again = issue(monkeypatch)
    assert again == {"changed": False, "api_key": again["api_key"]} and "key" not in again
    listed = command("api_key", "list")
    assert key not in json.dumps(listed) and listed["keys"][0]["credentials"] == ["openai"]


def test_key_file_is_root_only_and_output_holds_no_key(db, stored, monkeypatch, tmp_path):
    path = tmp_path / "agent.key"
    result = issue(monkeypatch, key_file=str(path))
    key = path.read_text().strip()
    assert apikeys.well_formed(key) and (path.stat().st_mode & 0o777) == 0o600
    assert "key" not in result and key not in json.dumps(result)


def test_dry_run_issues_nothing(db, stored, monkeypatch):
    result = issue(monkeypatch, dry_run=True)
    assert result["changed"] and "key" not in result and not ApiKey.objects.exists()


# --- what a scoped key may do -----------------------------------------------------------------------------------

def test_a_key_reads_its_credential_and_is_refused_another_both_audited(db, stored, monkeypatch):
    key = issue(monkeypatch)["key"]
    client = bearer(key)
    ok = client.get("/api/v1/credentials/openai/value")
    assert ok.status_code == 200 and ok.json() == {"name": "openai", "version": 1, "value": SECRET}
    assert ok["Cache-Control"].startswith("max-age=0") and ok["X-Request-ID"]
    refused = client.get("/api/v1/credentials/github/value")
    assert refused.status_code == 403 and OTHER not in refused.content.decode()
    missing = client.get("/api/v1/credentials/nope/value")
    # a key cannot tell a credential outside its reach from one that does not exist
    assert missing.status_code == 403 and missing.json()["error"] == refused.json()["error"].replace("github", "nope")
    read, denied, _missing = events("credential.read")
    key_id = ApiKey.objects.get().key_id
    assert (read.result, read.object_id, read.actor_type, read.actor) == ("ok", "openai", "api_key", key_id + ":agent-job")
    assert (denied.result, denied.object_id, denied.address) == ("denied", "github", "203.0.113.20")
    assert read.request_id == ok["X-Request-ID"]
    assert ApiKey.objects.get().last_used_from == "203.0.113.20"


def test_scopes_limit_the_endpoints(db, stored, monkeypatch):
    key = issue(monkeypatch, scopes=("credentials:list",))["key"]
    client = bearer(key)
    listed = client.get("/api/v1/credentials")
    assert listed.status_code == 200 and [c["name"] for c in listed.json()["credentials"]] == ["openai"]
    assert client.get("/api/v1/credentials/openai/value").status_code == 403
    assert client.put("/api/v1/credentials/openai", json.dumps({"value": "x" * 20}),
                      content_type="application/json").status_code == 403
    assert client.get("/api/v1/audit").status_code == 403
    assert [e.result for e in events("credential.read")] == ["denied"]


@pytest.mark.parametrize("header, status", [
    ("Bearer crhq_ak_" + "A" * 49, 401),   # malformed (checksum)
    ("Basic dXNlcjpwYXNz", 401),
    ("Bearer ", 401),
])
def test_bad_keys_are_refused_and_audited_without_the_key(db, stored, header, status):
    client = make_client(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/credentials/openai/value")
    assert response.status_code == status and SECRET not in response.content.decode()
    for event in events():
        assert "AAAAAAAAAA" not in json.dumps(event.as_dict())


def test_unknown_expired_and_revoked_keys_are_refused(db, stored, monkeypatch):
    unknown = apikeys.new_key()
    assert bearer(unknown).get("/api/v1/credentials/openai/value").status_code == 401
    assert events("auth.api_key")[-1].actor == "api_key:?" + audit.keyed_hash(unknown)
    key = issue(monkeypatch)["key"]
    ApiKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    expired = bearer(key).get("/api/v1/credentials/openai/value")
    assert expired.status_code == 401 and expired.json() == {"error": "the API key is expired"}
    ApiKey.objects.update(expires_at=None)
    assert bearer(key).get("/api/v1/credentials/openai/value").status_code == 200
    revoked = command("api_key", "revoke", "--name", "agent-job")
    assert revoked["changed"] and not command("api_key", "revoke", "--name", "agent-job")["changed"]
    assert bearer(key).get("/api/v1/credentials/openai/value").json() == {"error": "the API key is revoked"}
    assert [e.detail["reason"] for e in events("auth.api_key")] == ["API key unknown", "API key expired",
                                                                    "API key revoked"]
    # a new key may take the revoked one's name
    assert issue(monkeypatch)["changed"]


# --- people: the UI and the API with a session -------------------------------------------------------------------

def test_a_person_manages_credentials_in_the_ui_and_never_sees_a_value(user, stored):
    client = make_client()
    log_in(client, user)
    page = client.get("/credentials/")
    assert page.status_code == 200 and "openai" in page.content.decode()
    assert SECRET not in page.content.decode() and "&hellip;" + SECRET[-4:] in page.content.decode()
    created = client.post("/credentials/", {"name": "slack", "description": "", "value": "xoxb-" + "7" * 30})
    assert created.status_code == 302
    detail = client.get("/credentials/slack/")
    assert "7" * 30 not in detail.content.decode() and 'type="password"' in detail.content.decode()
    client.post("/credentials/slack/", {"description": "bot", "value": "xoxb-" + "8" * 30})
    slack = Credential.objects.get(name="slack")
    assert (slack.version, slack.description) == (2, "bot")
    client.post("/credentials/slack/delete")
    assert Credential.objects.get(name="slack").deleted_at is not None
    client.post("/credentials/slack/restore")
    assert Credential.objects.get(name="slack").deleted_at is None
    assert [e.action for e in events() if e.object_id == "slack"] == [
        "credential.create", "credential.update", "credential.delete", "credential.restore"]
    assert all(e.actor == "user:%d:alice" % user.pk for e in events() if e.object_id == "slack")


def test_session_api_writes_need_the_csrf_token(user, stored):
    logged_in = make_client()
    log_in(logged_in, user)
    client = make_client(enforce_csrf_checks=True, HTTP_ORIGIN="https://crhq.test")
    client.cookies = logged_in.cookies
    body = json.dumps({"name": "new", "value": "v" * 20})
    assert client.post("/api/v1/credentials", body, content_type="application/json").status_code == 403
    token = client.get("/credentials/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', token).group(1)
    created = client.post("/api/v1/credentials", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201 and created.json()["name"] == "new"
    # a bearer key needs no CSRF token: it is not a cookie a browser sends by itself
    assert make_client(enforce_csrf_checks=True).get("/api/v1/credentials").status_code == 401


def test_audit_log_is_for_staff(make_user, stored):
    person, admin = make_user("bob"), make_user("root", staff=True)
    client = make_client()
    log_in(client, person)
    assert client.get("/audit/").status_code == 403 and client.get("/api/v1/audit").status_code == 403
    client = make_client()
    log_in(client, admin)
    page = client.get("/audit/")
    assert page.status_code == 200 and "Verify the hash chain" in page.content.decode()
    assert "Hash chain intact" in client.get("/audit/?verify=1").content.decode()
    api = client.get("/api/v1/audit?after=0&limit=1000").json()
    actions = [e["action"] for e in api["events"]]
    assert actions.count("auth.login") >= 2 and "audit.read" in actions and "credential.create" in actions
    assert [e["result"] for e in api["events"] if e["action"] == "audit.read"][0] == "denied"


def test_logins_and_failures_are_audited(user, db):
    client = make_client(address="198.51.100.7")
    client.post("/login/", {"username": "alice", "password": "wrong"})
    client.post("/login/", {"username": "mallory", "password": "wrong"})
    log_in(client, user)
    failed, unknown, ok = events("auth.login")
    assert (failed.result, failed.object_id, failed.address) == ("denied", "alice", "198.51.100.7")
    # a name no account has may be a password typed in the wrong field: only its keyed hash is kept
    assert unknown.object_id == "unknown:" + audit.keyed_hash("mallory") and "mallory" not in json.dumps(unknown.as_dict())
    assert "wrong" not in json.dumps(unknown.as_dict())
    assert ok.result == "ok" and ok.detail == {"second_factor": "totp"}


# --- the audit log itself ----------------------------------------------------------------------------------------

def test_the_chain_verifies_and_names_the_first_changed_row(db, stored):
    for number in range(5):
        audit.record("test.event", detail={"n": number}, **ANSIBLE)
    assert audit.verify()["ok"] and audit.verify()["rows"] == 7
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert json.loads(out.getvalue())["ok"]
    with connection.cursor() as cursor:  # the owner removes the guard, as an attacker with the owner's password
        cursor.execute("DROP TRIGGER vault_auditevent_no_update")
        cursor.execute("UPDATE vault_auditevent SET result = 'denied' WHERE seq = 4")
    broken = audit.verify()
    assert (broken["ok"], broken["first_broken"], broken["rows"]) == (False, 4, 3)
    assert "does not match its hash" in broken["reason"]
    with pytest.raises(CommandError, match="broken at row 4"):
        call_command("audit_verify", stdout=io.StringIO())


def test_a_deleted_row_breaks_the_chain(db, stored):
    for number in range(3):
        audit.record("test.event", detail={"n": number}, **ANSIBLE)
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER vault_auditevent_no_delete")
        cursor.execute("DELETE FROM vault_auditevent WHERE seq = 2")
    assert audit.verify()["first_broken"] == 3 and "missing" in audit.verify()["reason"]


def test_audit_rows_cannot_be_changed_or_deleted(db, stored):
    event = events()[0]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(result="denied")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()


def test_fail_closed_no_value_without_its_audit_row(db, stored, monkeypatch):
    key = issue(monkeypatch)["key"]
    before = AuditEvent.objects.count()

    def refuse(*args, **kwargs):
        raise DatabaseError("permission denied for table vault_auditevent")

    monkeypatch.setattr(AuditEvent, "save", refuse)
    response = bearer(key).get("/api/v1/credentials/openai/value")
    assert response.status_code == 503 and SECRET not in response.content.decode()
    assert "nothing is returned" in response.json()["error"]
    monkeypatch.undo()
    assert AuditEvent.objects.count() == before


def test_audit_rows_go_to_the_journal_on_commit(db, stored, caplog, django_capture_on_commit_callbacks):
    with caplog.at_level(logging.INFO, logger="crhq.audit"):
        with django_capture_on_commit_callbacks(execute=True):
            event = audit.record("test.event", detail={"n": 1}, **ANSIBLE)
    line = json.loads(caplog.records[-1].getMessage())
    assert line["hash"] == event.hash and line["seq"] == event.seq


# --- values: encrypted one by one, kept by version, never in plain text anywhere -----------------------------------

def test_values_are_envelopes_bound_to_id_and_version(db, stored):
    openai = Credential.objects.get(name="openai")
    assert openai.value.startswith("crhq.v1.") and crypto.decrypt(openai.value, value_context(openai.pk)) == SECRET
    with pytest.raises(crypto.CredentialError):  # moved to another credential's row, it does not decrypt
        crypto.decrypt(openai.value, value_context(openai.pk + 1))
    store.update(openai, "test", ANSIBLE, value=OTHER)
    first, second = CredentialVersion.objects.filter(credential=openai).order_by("version")
    assert crypto.decrypt(first.value, version_context(openai.pk, 1)) == SECRET
    assert crypto.decrypt(second.value, version_context(openai.pk, 2)) == OTHER


def test_no_plaintext_in_the_database_or_the_logs(db, monkeypatch, caplog):
    with caplog.at_level(logging.DEBUG):
        store.create("openai", SECRET, "", "test", ANSIBLE)
        key = issue(monkeypatch)["key"]
        bearer(key).get("/api/v1/credentials/openai/value")
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute('SELECT * FROM "%s"' % table)
            dump.append(repr(cursor.fetchall()))
    dump = "\n".join(dump)
    assert SECRET not in dump and SECRET[:-4] not in dump and key not in dump
    assert SECRET not in caplog.text and key not in caplog.text


def test_credential_command_is_idempotent_and_audited(db, monkeypatch):
    first = command("credential", "set", "--name", "openai", stdin=SECRET + "\n", monkeypatch=monkeypatch)
    assert first["changed"] and first["created"]
    again = command("credential", "set", "--name", "openai", stdin=SECRET + "\n", monkeypatch=monkeypatch)
    assert not again["changed"] and SECRET not in json.dumps(again)
    changed = command("credential", "set", "--name", "openai", stdin=OTHER, monkeypatch=monkeypatch)
    assert changed["changed"] and changed["fields"] == ["value", "version"]
    planned = command("credential", "set", "--name", "openai", "--dry-run", stdin="x" * 20, monkeypatch=monkeypatch)
    assert planned["changed"] and Credential.objects.get().version == 2
    assert [(e.action, e.actor) for e in events()] == [
        ("credential.create", "ansible"), ("credential.compare", "ansible"), ("credential.compare", "ansible"),
        ("credential.update", "ansible")]
    gone = command("credential", "delete", "--name", "openai")
    assert gone["changed"] and not command("credential", "delete", "--name", "openai")["changed"]
    back = command("credential", "set", "--name", "openai", stdin=OTHER, monkeypatch=monkeypatch)
    assert back["changed"] and back["restored"] and back["fields"] == []


def test_the_collection_filters_and_the_app_share_one_envelope(db, monkeypatch):
    filters = pytest.importorskip("ansible_collections.crhq.platform.plugins.filter.decrypt_credential")
    encrypt_filter = pytest.importorskip("ansible_collections.crhq.platform.plugins.filter.encrypt_credential")
    from django.conf import settings
    decrypt = filters.FilterModule().filters()["decrypt_credential"]
    encrypt = encrypt_filter.FilterModule().filters()["encrypt_credential"]
    credential = store.create("openai", SECRET, "", "test", ANSIBLE)
    # stored by the app, decrypted by the filter
    assert decrypt(credential.value, settings.CRHQ_KEYRING, context=value_context(credential.pk)) == SECRET
    # encrypted by the filter, served by the app
    Credential.objects.filter(pk=credential.pk).update(
        value=encrypt(OTHER, settings.CRHQ_KEYRING, context=value_context(credential.pk)))
    key = issue(monkeypatch)["key"]
    assert bearer(key).get("/api/v1/credentials/openai/value").json()["value"] == OTHER


# --- session tokens: bearer tokens of people ---------------------------------------------------------------------

def _token(client):
    made = client.post("/api/v1/tokens")
    assert made.status_code == 201, made.content
    return made.json()


def test_a_logged_in_person_makes_a_short_lived_token_and_uses_it(user, stored, settings):
    client = make_client()
    log_in(client, user)
    made = _token(client)
    token = made["token"]
    assert re.fullmatch(r"crhq_st_[0-9A-Za-z]{49}", token)
    from crhq_app.vault.models import SessionToken
    row = SessionToken.objects.get()
    assert row.token_hash != token and token not in json.dumps(list(SessionToken.objects.values()), default=str)
    assert (row.expires_at - row.created_at).total_seconds() <= settings.CRHQ_TOKEN_SECONDS
    read = bearer(token).get("/api/v1/credentials/openai/value")
    assert read.status_code == 200 and read.json()["value"] == SECRET
    assert events("credential.read")[-1].actor == "user:%d:alice token:%s" % (user.pk, row.token_id)
    # listed without the token; a token cannot make tokens; revoked, it stops
    assert token not in client.get("/api/v1/tokens").content.decode()
    assert bearer(token).post("/api/v1/tokens").status_code == 403
    assert client.delete("/api/v1/tokens/" + row.token_id).status_code == 200
    assert bearer(token).get("/api/v1/credentials/openai/value").json() == {"error": "the session token is revoked"}


def test_tokens_need_both_factors_and_end_with_log_out_everywhere(user, stored):
    half = make_client()
    assert half.post("/login/", {"username": "alice", "password": "correct horse battery staple"}).status_code == 302
    assert half.post("/api/v1/tokens").status_code == 401  # password alone: not logged in
    client = make_client()
    log_in(client, user)
    token = _token(client)["token"]
    assert bearer(token).get("/api/v1/credentials").status_code == 200
    client.post("/logout/everywhere/")
    ended = bearer(token).get("/api/v1/credentials")
    assert ended.status_code == 401 and "logged out everywhere" in ended.json()["error"]


def test_an_expired_token_is_refused(user, stored):
    client = make_client()
    log_in(client, user)
    token = _token(client)["token"]
    from crhq_app.vault.models import SessionToken
    SessionToken.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert bearer(token).get("/api/v1/credentials").json() == {"error": "the session token is expired"}
    assert [e.detail["reason"] for e in events("auth.token")] == ["session token expired"]


def test_log_out_everywhere_does_not_happen_without_its_audit_row(user, monkeypatch):
    client = make_client()
    log_in(client, user)
    epoch = user.session_epoch

    def refuse(*args, **kwargs):
        raise DatabaseError("permission denied for table vault_auditevent")

    monkeypatch.setattr(AuditEvent, "save", refuse)
    with pytest.raises(audit.AuditUnavailable):
        client.post("/logout/everywhere/")
    user.refresh_from_db()
    assert user.session_epoch == epoch


def test_an_expired_key_is_replaced_by_a_new_one(db, stored, monkeypatch):
    first = issue(monkeypatch, expires_days=1)["key"]
    ApiKey.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    again = issue(monkeypatch, expires_days=1)
    assert again["changed"] and again["key"] != first and again["api_key"]["state"] == "active"
    assert bearer(again["key"]).get("/api/v1/credentials/openai/value").status_code == 200
    assert [e.detail.get("reason") for e in events("api_key.revoke")] == ["expired"]


def test_a_key_file_that_cannot_be_written_issues_no_key(db, stored, monkeypatch, tmp_path):
    (tmp_path / "agent.key").mkdir()
    (tmp_path / ".agent.key.tmp").mkdir()  # in the way of the temporary file
    with pytest.raises(CommandError, match="cannot write the key file .*; no key was issued"):
        issue(monkeypatch, key_file=str(tmp_path / "agent.key"))
    assert not ApiKey.objects.exists()
    with pytest.raises(CommandError, match="must be an absolute path"):
        issue(monkeypatch, key_file="relative.key")

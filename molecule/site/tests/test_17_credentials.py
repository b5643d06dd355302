# -*- coding: utf-8 -*-
"""The credential store and its audit log on the converged hosts (issue 11): an agent job in crhq-agent@.service
reads the one credential its API key may read, through nginx TLS, and is refused another; both are audited in the
database, the journal and nginx's log; the app's database role cannot change the audit log."""

from __future__ import annotations

import hashlib
import json
import secrets

import pytest
from crhq_testbed import run_playbook

testinfra_hosts = ["ansible://crhq"]

WORK = "/var/lib/crhq-agent/work/.crhq"
APP_PSQL = ("PGPASSWORD=$(cat /etc/crhq/keys/db-app.password) psql -h /run/postgresql -U crhq_app -d crhq "
            "-v ON_ERROR_STOP=1 -qAt")
POSTGRES_PSQL = "runuser -u postgres -- psql -d crhq -v ON_ERROR_STOP=1 -qAt"

FETCH = r'''
import hashlib, json, socket, ssl, sys, urllib.error, urllib.request
work, site = sys.argv[1], sys.argv[2]
key = open(work + "/fetch.key").read().strip()
context = ssl.create_default_context(cafile=work + "/ca.pem")
out = {}
for name in ("agent-allowed", "agent-other"):
    request = urllib.request.Request("https://%s/api/v1/credentials/%s/value" % (site, name),
                                     headers={"Authorization": "Bearer " + key})
    try:
        with urllib.request.urlopen(request, context=context, timeout=15) as response:
            value = json.load(response)["value"]
            out[name] = {"status": response.status, "sha256": hashlib.sha256(value.encode()).hexdigest(),
                         "request_id": response.headers["X-Request-ID"]}
    except urllib.error.HTTPError as exc:
        out[name] = {"status": exc.code, "body": exc.read().decode()[:300], "request_id": exc.headers["X-Request-ID"]}
try:
    open("/etc/crhq/keys/master.keyring").read()
    out["keyring"] = "read"
except OSError as exc:
    out["keyring"] = type(exc).__name__
try:
    s = socket.socket(socket.AF_UNIX)
    s.connect("/run/crhq-app/app.sock")
    out["app_socket"] = "connected"
except OSError as exc:
    out["app_socket"] = type(exc).__name__
for label, family, address in (("database_socket", socket.AF_UNIX, "/run/postgresql/.s.PGSQL.5432"),
                               ("database_tcp", socket.AF_INET, ("127.0.0.1", 5432))):
    s = socket.socket(family)
    s.settimeout(10)
    try:
        s.connect(address)
        out[label] = "connected"
    except OSError as exc:
        out[label] = type(exc).__name__
with open(work + "/fetch-result.json", "w") as handle:
    json.dump(out, handle)
'''


@pytest.fixture(scope="module", name="values")
def fixture_values():
    """The two credentials' values, made here; stored on both hosts by the scenario's playbook, twice."""
    values = {"allowed_value": "sk-allowed-" + secrets.token_urlsafe(24),
              "other_value": "sk-other-" + secrets.token_urlsafe(24)}
    args = ["-e", "allowed_value=%s other_value=%s" % (values["allowed_value"], values["other_value"])]
    first = run_playbook("agent_credentials.yml", *args).assert_ok()
    second = run_playbook("agent_credentials.yml", *args).assert_ok()
    values["first_run"], values["second_run"] = first, second
    return values


def put(host, path, text, owner="agent", mode="0444"):
    host.check_output("printf '%%s' %s > %s && chown %s:%s %s && chmod %s %s", text, path, owner, owner, path, mode,
                      path)


@pytest.fixture(scope="module", name="fetched")
def fixture_fetched(values, helper):
    """Run the agent job on each host once; {host name: its result file}."""
    return {}


def run_job(host, helper, fetched, site):
    name = host.backend.get_hostname()
    if name not in fetched:
        put(host, WORK + "/ca.pem", helper.check_output("cat /tmp/pebble-root.pem") + "\n")
        put(host, WORK + "/fetch.py", FETCH)
        host.check_output("mkdir -p /etc/systemd/system/crhq-agent@fetch.service.d && printf '%%s\\n' "
                          "'[Service]' 'Type=oneshot' 'ExecStart=' %s > "
                          "/etc/systemd/system/crhq-agent@fetch.service.d/test.conf && systemctl daemon-reload",
                          "ExecStart=/usr/bin/python3 %s/fetch.py %s %s" % (WORK, WORK, site))
        host.run("rm -f %s/fetch-result.json", WORK)
        started = host.run("systemctl start crhq-agent@fetch.service")
        assert started.rc == 0, host.run("journalctl -u crhq-agent@fetch.service -n 30 --no-pager").stdout
        fetched[name] = json.loads(host.file(WORK + "/fetch-result.json").content_string)
    return fetched[name]


def test_the_modules_store_and_issue_once(values, host):
    name = host.backend.get_hostname()
    assert values["first_run"].recap[name]["changed"] >= 3, values["first_run"].recap
    assert values["second_run"].recap[name]["changed"] == 0, values["second_run"].output[-3000:]
    for value in (values["allowed_value"], values["other_value"]):
        assert value not in values["first_run"].output and value not in values["second_run"].output
    key_file = host.file(WORK + "/fetch.key")
    assert key_file.user == "agent" and key_file.mode == 0o400
    key = key_file.content_string.strip()
    assert key.startswith("crhq_ak_") and key not in values["first_run"].output
    # stored: hashes and envelopes only
    dump = host.check_output("runuser -u postgres -- pg_dump -d crhq --data-only -t 'vault_*'")
    assert key not in dump and values["allowed_value"] not in dump and "crhq.v1." in dump
    assert hashlib.sha256(key.encode()).hexdigest() in dump


def test_an_agent_job_reads_its_credential_and_is_refused_another(values, host, helper, fetched, site):
    result = run_job(host, helper, fetched, site)
    allowed, other = result["agent-allowed"], result["agent-other"]
    assert allowed["status"] == 200, allowed
    assert allowed["sha256"] == hashlib.sha256(values["allowed_value"].encode()).hexdigest()
    assert other["status"] == 403 and "may not use credential" in other["body"], other
    assert values["other_value"] not in json.dumps(result)


def test_the_agent_still_cannot_read_the_keyring_the_socket_or_the_database(values, host, helper, fetched, site):
    result = run_job(host, helper, fetched, site)
    assert result["keyring"] in ("PermissionError", "FileNotFoundError"), result
    assert result["app_socket"] in ("PermissionError", "FileNotFoundError"), result
    # the database is not even reachable: its socket directory is closed to the unit, its port to the agent user
    assert result["database_socket"] in ("PermissionError", "FileNotFoundError"), result
    assert result["database_tcp"] in ("ConnectionRefusedError", "PermissionError"), result
    # the precondition of both refusals: outside the agent's unit and user, the database answers on both
    host.check_output("python3 -c 'import socket; socket.socket(socket.AF_UNIX).connect(\"/run/postgresql/.s.PGSQL.5432\")'")
    host.check_output("python3 -c 'import socket; socket.socket().connect((\"127.0.0.1\", 5432))'")


def test_both_reads_are_audited_in_the_database_the_journal_and_nginx(values, host, helper, fetched, site):
    result = run_job(host, helper, fetched, site)
    rows = host.check_output(POSTGRES_PSQL + " -F '|' -c \"select action, result, actor_type, actor, object_id, "
                             "request_id, address from vault_auditevent where request_id in ('%s', '%s') order by seq\""
                             % (result["agent-allowed"]["request_id"], result["agent-other"]["request_id"]))
    lines = [line.split("|") for line in rows.splitlines()]
    assert [(r[0], r[1], r[2], r[4]) for r in lines] == [
        ("credential.read", "ok", "api_key", "agent-allowed"), ("credential.read", "denied", "api_key", "agent-other")]
    assert all(r[3].endswith(":agent-fetch") for r in lines)
    # the journal has each committed row, with its hash; nginx's access log has the same request id
    journal = host.check_output("journalctl -u crhq-app.service -o cat --no-pager | grep -F %s",
                                result["agent-allowed"]["request_id"])
    entry = json.loads(journal.splitlines()[-1].split(" ", 2)[2])
    assert entry["action"] == "credential.read" and len(entry["hash"]) == 64
    assert values["allowed_value"] not in host.check_output("journalctl -u crhq-app.service -o cat --no-pager")
    assert host.run("grep -c request_id=%s /var/log/nginx/access.log", result["agent-allowed"]["request_id"]).stdout.strip() == "1"


def test_the_app_role_may_add_audit_rows_but_never_change_them(values, host):
    assert int(host.check_output(APP_PSQL + " -c 'select count(*) from vault_auditevent'")) > 0
    # the same role may change the credential table, so the refusals below are the audit log's own
    assert host.run(APP_PSQL + " -c \"begin; update vault_credential set description = description; rollback\"").rc == 0
    for statement in ("update vault_auditevent set result = 'ok'", "delete from vault_auditevent",
                      "truncate vault_auditevent"):
        refused = host.run(APP_PSQL + " -c %s", statement)
        assert refused.rc != 0 and "permission denied for table vault_auditevent" in refused.stderr, (statement, refused)
    # the owner, who runs migrations, is stopped by the triggers
    owner = host.run("PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d crhq -c %s",
                     "update vault_auditevent set result = 'ok'")
    assert owner.rc != 0 and "append-only" in owner.stderr, owner


def test_verify_audit_names_the_first_changed_row(values, host):
    name = host.backend.get_hostname()
    assert run_playbook("playbooks/verify_audit.yml", limit=name).assert_ok()
    seq, result = host.check_output(POSTGRES_PSQL + " -F '|' -c 'select seq, result from vault_auditevent "
                                    "order by seq limit 1 offset 2'").split("|")
    tampered = "denied" if result != "denied" else "ok"
    tamper = ("alter table vault_auditevent disable trigger user; update vault_auditevent set result = '%s' "
              "where seq = %s; alter table vault_auditevent enable trigger user")
    host.check_output(POSTGRES_PSQL + " -c %s", tamper % (tampered, seq))
    try:
        broken = run_playbook("playbooks/verify_audit.yml", limit=name)
        assert broken.returncode != 0
        assert "hash chain is broken at row %s: its content does not match its hash" % seq in broken.output
    finally:
        host.check_output(POSTGRES_PSQL + " -c %s", tamper % (result, seq))
    assert run_playbook("playbooks/verify_audit.yml", limit=name).assert_ok()

# -*- coding: utf-8 -*-
"""The instance database and its backups on both hosts: access rules, modes, and the backup timer really firing.

The destructive tests (restores, a failed backup, repository damage) are in test_40_restore.py, after this file."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

testinfra_hosts = ["ansible://crhq"]

OWNER_PSQL = "PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d crhq -v ON_ERROR_STOP=1 -qAt"
LAST_SUCCESS = "/var/lib/crhq-backup/last-success"


def snapshots(host):
    """The repository's snapshots, read by restic itself (a failing restic fails the test, it does not read 0)."""
    return json.loads(host.check_output("crhq-restic snapshots --json"))


def test_database_listens_on_loopback_only(host):
    listeners = host.check_output("ss -Htln 'sport = :5432'")
    found = {line.split()[3].rsplit(":", 1)[0] for line in listeners.splitlines()}
    assert found and found <= {"127.0.0.1", "[::1]"}


def test_owner_logs_in_over_scram_with_the_password_generated_on_the_host(host):
    assert host.check_output(OWNER_PSQL + " -c 'select current_user'") == "crhq"
    stored = host.check_output("runuser -u postgres -- psql -qAt -c \"select rolpassword from pg_authid where rolname='crhq'\"")
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert host.check_output("runuser -u postgres -- psql -qAt -c 'show password_encryption'") == "scram-sha-256"
    f = host.file("/etc/crhq/keys/db.password")
    assert f.user == "root" and f.group == "root" and f.mode == 0o600  # only root runs migrations
    assert host.run("setpriv --reuid=crhq --regid=crhq --init-groups cat /etc/crhq/keys/db.password").rc != 0
    runtime = host.file("/etc/crhq/keys/db-app.password")
    assert runtime.user == "root" and runtime.group == "crhq" and runtime.mode == 0o640


@pytest.mark.parametrize("role, password_file", [("crhq", "db.password"), ("crhq_app", "db-app.password")])
def test_scram_salt_is_random_and_the_verifier_is_kept_root_only(host, role, password_file):
    """PostgreSQL stores exactly the verifier kept next to the password, whose salt is random: not derived from
    the password, as it once was (equal passwords shared a salt, and the salt let guesses be computed ahead)."""
    kept = host.file("/etc/crhq/keys/%s.scram" % password_file)
    assert kept.user == "root" and kept.group == "root" and kept.mode == 0o600
    verifier = kept.content_string.strip()
    stored = host.check_output(
        "runuser -u postgres -- psql -qAt -c \"select rolpassword from pg_authid where rolname='%s'\"" % role)
    assert stored == verifier
    password = host.file("/etc/crhq/keys/%s" % password_file).content_string.strip().encode()
    salt = base64.b64decode(verifier.split("$")[1].split(":")[1])
    assert len(salt) == 16
    assert salt != hmac.new(password, b"crhq scram salt v1", hashlib.sha256).digest()[:16]


QUOTING = "a b $HOME 'single' \"double\" `touch /tmp/crhq-quoting-pwned`; touch /tmp/crhq-quoting-pwned2"


def test_backup_environment_values_arrive_as_written_and_never_run(host):
    """The scenario's backup_environment holds spaces, $, both quotes, backquotes and a semicolon: sourced the way
    crhq-restic sources it, the value is exactly that text, and nothing in it ran."""
    host.run("rm -f /tmp/crhq-quoting-pwned /tmp/crhq-quoting-pwned2")
    value = host.check_output("sh -c 'set -a; . /etc/crhq/backup/restic.env; set +a; printenv CRHQ_TEST_QUOTING'")
    assert value == QUOTING
    assert not host.file("/tmp/crhq-quoting-pwned").exists and not host.file("/tmp/crhq-quoting-pwned2").exists
    assert json.loads(host.check_output("crhq-restic snapshots --json")) is not None


APP_PSQL = ("PGPASSWORD=$(cat /etc/crhq/keys/db-app.password) psql -h /run/postgresql -U crhq_app -d crhq "
            "-v ON_ERROR_STOP=1 -qAt")


def test_the_runtime_role_reads_and_writes_rows_and_nothing_more(host):
    """The app's own role (what a compromised app would hold) may change data, not the schema."""
    assert host.check_output(APP_PSQL + " -c 'select current_user'") == "crhq_app"
    assert host.check_output(APP_PSQL + " -c 'select count(*) >= 0 from django_session'") == "t"
    host.check_output(APP_PSQL + " -c \"insert into django_session values ('crhq-test-row', 'x', now()); "
                      "delete from django_session where session_key = 'crhq-test-row'\"")
    for statement, error in [
        ("create table crhq_test_ddl (id int)", "permission denied for schema public"),
        ("alter table django_session add column crhq_test int", "must be owner of table django_session"),
        ("drop table django_session", "must be owner of table django_session"),
        ("truncate django_session", "permission denied for table django_session"),
    ]:
        result = host.run(APP_PSQL + " -c '%s'" % statement)
        assert result.rc != 0 and error in result.stderr, (statement, result.stderr)
    flags = host.check_output("runuser -u postgres -- psql -qAt -c \"select rolsuper, rolcreatedb, rolcreaterole, "
                              "rolreplication, rolbypassrls from pg_roles where rolname = 'crhq_app'\"")
    assert flags == "f|f|f|f|f"


@pytest.mark.parametrize("command, error", [
    ("PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d postgres -c 'select 1'", "pg_hba.conf rejects connection"),
    ("psql -h 127.0.0.1 -U postgres -d crhq -w -c 'select 1'", "pg_hba.conf rejects connection"),
    # on the socket the instance's roles need their password (scram); any other role or database is rejected
    ("runuser -u nobody -- psql -d crhq -U crhq -w -c 'select 1'", "no password supplied"),
    ("runuser -u nobody -- psql -d crhq -U nobody -w -c 'select 1'", "pg_hba.conf rejects connection"),
    ("runuser -u crhq -- psql -d crhq -U crhq -w -c 'select 1'", "no password supplied"),
    ("runuser -u crhq -- psql -d postgres -U crhq_app -w -c 'select 1'", "pg_hba.conf rejects connection"),
    ("PGPASSWORD=$(cat /etc/crhq/keys/db-app.password) psql -h 127.0.0.1 -U crhq_app -d crhq -c 'select 1'",
     "pg_hba.conf rejects connection"),
    ("PGPASSWORD=wrong psql -h 127.0.0.1 -U crhq -d crhq -c 'select 1'", "password authentication failed"),
])
def test_everything_else_is_rejected(host, command, error):
    result = host.run(command)
    assert result.rc != 0 and error in result.stderr, result.stderr


def test_public_has_no_rights_and_the_owner_owns_the_schema(host):
    acl = host.check_output("runuser -u postgres -- psql -qAt -c \"select datacl from pg_database where datname='crhq'\"")
    assert "=" in acl and not acl.strip("{}").startswith("=") and ",=" not in acl
    schema = host.check_output("runuser -u postgres -- psql -d crhq -qAt -c "
                               "\"select nspowner::regrole, nspacl from pg_namespace where nspname='public'\"")
    owner, nspacl = schema.split("|")
    assert owner == "crhq" and ",=" not in nspacl and not nspacl.strip("{}").startswith("=")


def test_backup_timer_is_scheduled(host):
    timer = host.check_output("systemctl show crhq-backup.timer -p Persistent -p RandomizedDelayUSec -p UnitFileState")
    assert "Persistent=yes" in timer and "UnitFileState=enabled" in timer and "RandomizedDelayUSec=1h" in timer
    assert host.service("crhq-backup-check.timer").is_enabled


@pytest.mark.parametrize("path", ["/var/backups/crhq", "/etc/crhq/backup/restic.password", "/etc/crhq/backup/restic.env",
                                  "/etc/crhq/keys/db.password", "PGDATA"])
def test_other_users_cannot_read_backups_or_passwords(host, path):
    if path == "PGDATA":
        path = host.check_output("runuser -u postgres -- psql -qAt -c 'show data_directory'")
    result = host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups ls -la %s", path)
    assert result.rc != 0 and "Permission denied" in result.stderr, (path, result.stdout)


def test_the_backup_timer_fires_and_a_snapshot_appears(host):
    """The role's own timer, made due in a few seconds by a runtime drop-in, starts the backup service, and its
    snapshot is in the repository. Counted by time, not by number: the retention (one a day) folds a snapshot of
    the same day into the new one, such as the one the daily timer made when the run passed midnight."""
    before = {snapshot["id"] for snapshot in snapshots(host)}
    since = host.check_output("date +%Y-%m-%dT%H:%M:%S")  # local time, as restic writes it
    started = host.check_output("systemctl show -p ExecMainStartTimestampMonotonic --value crhq-backup.service")
    dropin = "/run/systemd/system/crhq-backup.timer.d"
    host.check_output("mkdir -p %s && printf '[Timer]\\nOnCalendar=\\nOnActiveSec=2s\\nRandomizedDelaySec=0\\n' > %s/due-now.conf"
                      " && systemctl daemon-reload && systemctl restart crhq-backup.timer", dropin, dropin)
    try:
        # watch the unit, not the repository: a read of the repository while the backup runs would hold a lock
        # that the backup's own `forget --prune` needs
        deadline = time.time() + 120  # a backup of this small instance takes seconds
        while time.time() < deadline:
            unit = dict(line.split("=", 1) for line in host.check_output(
                "systemctl show -p ExecMainStartTimestampMonotonic -p ActiveState -p Result crhq-backup.service").splitlines())
            if unit["ExecMainStartTimestampMonotonic"] != started and unit["ActiveState"] in ("inactive", "failed"):
                break
            time.sleep(2)
        journal = host.run("journalctl -u crhq-backup.service --no-pager | tail -20").stdout
        assert unit["ExecMainStartTimestampMonotonic"] != started, "the timer did not start the backup:\n" + journal
        assert unit["Result"] == "success", journal
        new = [snapshot for snapshot in snapshots(host) if snapshot["id"] not in before]
        assert len(new) == 1 and new[0]["time"][:19] >= since, (since, new, journal)
        assert host.check_output("systemctl show -p LastTriggerUSecMonotonic --value crhq-backup.timer") not in ("", "0")
        assert host.file(LAST_SUCCESS).exists
    finally:
        host.check_output("rm -rf %s && systemctl daemon-reload && systemctl restart crhq-backup.timer", dropin)
    assert "OnActiveSec" not in host.check_output("systemctl cat crhq-backup.timer")


def test_the_memory_settings_are_shares_of_the_hosts_ram(host):
    # the role reads the RAM itself (host_facts memory), not the hardware facts the site no longer gathers
    ram_mb = int(host.check_output("awk '/^MemTotal:/ {print $2}' /proc/meminfo")) // 1024
    expected = max(int(ram_mb * 0.25), 32)  # postgresql_shared_buffers_ratio's default
    assert expected != 128, "PostgreSQL's own default would pass this test"
    shown = host.check_output("runuser -u postgres -- psql -qAt -c "
                              "\"select setting::bigint * 8 / 1024 from pg_settings where name = 'shared_buffers'\"")
    assert int(shown) == expected
    conf = host.check_output("cat /etc/postgresql/*/main/conf.d/50-crhq.conf")
    assert "# memory, from %d MiB of RAM" % ram_mb in conf
    assert "effective_cache_size = %dMB" % max(int(ram_mb * 0.5), 64) in conf

# -*- coding: utf-8 -*-
"""The instance database and its backups, proven with real PostgreSQL, restic and restores."""

from __future__ import annotations

import subprocess

import pytest
from conftest import FIRST, SECOND, get, restore

testinfra_hosts = ["ansible://" + FIRST]

OWNER_PSQL = "PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d crhq -v ON_ERROR_STOP=1 -qAt"
MARKER = "crhq-plaintext-marker-7f3a9c"
ROWS_SQL = (
    "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text, raw bytea, at timestamptz);"
    "INSERT INTO notes SELECT g, '%s ' || g || ' grüße ✓ ' || repeat('x', g), decode(md5(g::text), 'hex'),"
    " '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g"
    " ON CONFLICT DO NOTHING;" % MARKER
)
DIGEST_SQL = "COPY (SELECT * FROM notes ORDER BY id) TO STDOUT"


def digest(host):
    return host.check_output(OWNER_PSQL + " -c %s | sha256sum", DIGEST_SQL)


def snapshots(host):
    return host.check_output("crhq-restic snapshots --compact | grep -c '^[0-9a-f]\\{8\\} ' || true")


@pytest.mark.parametrize("name", [FIRST, SECOND])
def test_database_listens_on_loopback_only(name):
    listeners = get(name).check_output("ss -Htln 'sport = :5432'")
    addresses = {line.split()[3].rsplit(":", 1)[0] for line in listeners.splitlines()}
    assert addresses and addresses <= {"127.0.0.1", "[::1]"}


@pytest.mark.parametrize("name", [FIRST, SECOND])
def test_owner_logs_in_over_scram_with_the_password_generated_on_the_host(name):
    host = get(name)
    assert host.check_output(OWNER_PSQL + " -c 'select current_user'") == "crhq"
    stored = host.check_output("runuser -u postgres -- psql -qAt -c \"select rolpassword from pg_authid where rolname='crhq'\"")
    assert stored.startswith("SCRAM-SHA-256$4096:")
    assert host.check_output("runuser -u postgres -- psql -qAt -c 'show password_encryption'") == "scram-sha-256"
    f = host.file("/etc/crhq/keys/db.password")
    assert f.user == "root" and f.group == "crhq" and f.mode == 0o640


@pytest.mark.parametrize("command, error", [
    ("PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d postgres -c 'select 1'", "pg_hba.conf rejects connection"),
    ("psql -h 127.0.0.1 -U postgres -d crhq -w -c 'select 1'", "pg_hba.conf rejects connection"),
    ("runuser -u nobody -- psql -d crhq -U crhq -w -c 'select 1'", "pg_hba.conf rejects connection"),
    ("runuser -u crhq -- psql -d crhq -U crhq -w -c 'select 1'", "pg_hba.conf rejects connection"),
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


def test_backup_drop_and_restore_gives_back_every_byte(host):
    host.check_output(OWNER_PSQL + " -c %s", ROWS_SQL)
    host.check_output("install -o crhq -g crhq -m 0640 /dev/null /var/lib/crhq/notes.txt && echo %s > /var/lib/crhq/notes.txt", MARKER)
    before = digest(host)
    assert host.run("systemctl start crhq-backup.service").rc == 0
    assert host.file("/var/lib/crhq-backup/last-success").exists
    assert not host.file("/var/backups/crhq/staging").exists  # the plaintext dump is gone
    host.check_output("runuser -u postgres -- dropdb crhq")
    host.check_output("rm -rf /var/lib/crhq")
    restore(FIRST)
    assert digest(host) == before
    assert host.file("/var/lib/crhq/notes.txt").content_string == MARKER + "\n"
    assert host.file("/var/lib/crhq/notes.txt").user == "crhq"
    assert not host.file("/var/backups/crhq/restore").exists
    assert not host.file("/var/lib/postgresql/crhq-restore.dump").exists


def test_raw_repository_holds_no_plaintext(host):
    assert host.run("grep -r -l -a %s /var/backups/crhq/restic", MARKER).rc == 1
    assert host.run("grep -r -l -a 'CREATE TABLE' /var/backups/crhq/restic").rc == 1


def test_a_fresh_host_on_the_next_release_restores_the_snapshot(host):
    second = get(SECOND)
    before = digest(host)
    second.check_output("rm -rf /var/backups/crhq/restic")
    for path, parent in (("/var/backups/crhq/restic", "/var/backups/crhq/"), ("/etc/crhq/backup/restic.password", "/etc/crhq/backup/")):
        copy = subprocess.run("docker cp %s:%s - | docker cp - %s:%s" % (FIRST, path, SECOND, parent),
                              shell=True, capture_output=True, text=True, check=False)
        assert copy.returncode == 0, copy.stderr
    restore(SECOND)
    assert digest(second) == before
    assert second.file("/var/lib/crhq/notes.txt").content_string == MARKER + "\n"
    # restic keeps numeric ids; the files must belong to this host's crhq user
    assert second.file("/var/lib/crhq/notes.txt").user == "crhq" and second.file("/var/lib/crhq").group == "crhq"
    assert second.check_output("runuser -u postgres -- psql -qAt -c 'show server_version_num'") >= "170000"


def test_a_failed_backup_removes_no_snapshot(host):
    count = snapshots(host)
    stamp = host.file("/var/lib/crhq-backup/last-success").content_string
    host.check_output("systemctl stop postgresql")
    try:
        assert host.run("systemctl start crhq-backup.service").rc != 0
    finally:
        host.check_output("systemctl start postgresql")
    assert snapshots(host) == count
    assert host.file("/var/lib/crhq-backup/last-success").content_string == stamp
    assert "pg_dump" in host.check_output("journalctl -u crhq-backup.service --no-pager | tail -20")


@pytest.mark.parametrize("path", ["/var/backups/crhq", "/etc/crhq/backup/restic.password", "/etc/crhq/backup/restic.env",
                                  "/etc/crhq/keys/db.password", "PGDATA"])
def test_other_users_cannot_read_backups_or_passwords(host, path):
    if path == "PGDATA":
        path = host.check_output("runuser -u postgres -- psql -qAt -c 'show data_directory'")
    result = host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups ls -la %s", path)
    assert result.rc != 0 and "Permission denied" in result.stderr, (path, result.stdout)


def test_check_mode_on_converged_host_changes_nothing(host, converged_check_run):
    recap = converged_check_run[0]
    assert all(recap[name]["changed"] == 0 and recap[name]["failed"] == 0 for name in (FIRST, SECOND)), recap


def test_no_secret_in_verbose_output(host, converged_check_run):
    from crhq_testbed import secret_values
    output = converged_check_run[1]
    for value in secret_values(host, ["/etc/crhq/keys/db.password", "/etc/crhq/backup/restic.password",
                                      "/etc/crhq/keys/master.keyring"]):
        assert value not in output


def test_corrupted_repository_fails_the_check_loudly(host):
    assert host.run("systemctl start crhq-backup-check.service").rc == 0
    host.check_output("for f in $(find /var/backups/crhq/restic/index /var/backups/crhq/restic/data -type f); do "
                      "printf 'CORRUPT' | dd of=$f bs=1 seek=40 conv=notrunc status=none; done")
    assert host.run("systemctl start crhq-backup-check.service").rc != 0
    journal = host.check_output("journalctl -u crhq-backup-check.service --no-pager | tail -30")
    assert "Failed with result 'exit-code'" in journal or "failed" in journal.lower()

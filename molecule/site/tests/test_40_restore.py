# -*- coding: utf-8 -*-
"""Backups proven by restores, with real PostgreSQL and restic. Runs last, in this order: the restores drop the
database and the data, the restore onto the Debian 13 host replaces its repository, and the last test damages
the Debian 12 host's repository for good."""

from __future__ import annotations

import json
import subprocess
import time

from crhq_testbed import credential_survey, run_playbook

OWNER_PSQL = "PGPASSWORD=$(cat /etc/crhq/keys/db.password) psql -h 127.0.0.1 -U crhq -d crhq -v ON_ERROR_STOP=1 -qAt"
MARKER = "crhq-plaintext-marker-7f3a9c"
ROWS_SQL = (
    "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text, raw bytea, at timestamptz);"
    "INSERT INTO notes SELECT g, '%s ' || g || ' grüße ✓ ' || repeat('x', g), decode(md5(g::text), 'hex'),"
    " '2026-01-01'::timestamptz + g * interval '1 hour' FROM generate_series(1, 500) g"
    " ON CONFLICT DO NOTHING;" % MARKER
)
DIGEST_SQL = "COPY (SELECT * FROM notes ORDER BY id) TO STDOUT"
LAST_SUCCESS = "/var/lib/crhq-backup/last-success"
KEYRING = "/etc/crhq/keys/master.keyring"


def digest(host):
    return host.check_output(OWNER_PSQL + " -c %s | sha256sum", DIGEST_SQL)


def snapshots(host):
    """The repository's snapshots, read by restic itself (a failing restic fails the test, it does not read 0)."""
    return json.loads(host.check_output("crhq-restic snapshots --json"))


def restore(name):
    """playbooks/restore.yml against one host, as an operator would."""
    return run_playbook("playbooks/restore.yml", limit=name, timeout=900).assert_ok()


def test_backup_drop_and_restore_gives_back_every_byte(first):
    first.check_output(OWNER_PSQL + " -c %s", ROWS_SQL)
    first.check_output("install -o crhq -g crhq -m 0640 /dev/null /var/lib/crhq/notes.txt && echo %s > /var/lib/crhq/notes.txt", MARKER)
    before = digest(first)
    assert first.run("systemctl start crhq-backup.service").rc == 0
    assert first.file(LAST_SUCCESS).exists
    assert not first.file("/var/backups/crhq/staging").exists  # the plaintext dump is gone
    first.check_output("runuser -u postgres -- dropdb --force crhq")  # the app is connected
    first.check_output("rm -rf /var/lib/crhq")
    run = restore(first.backend.get_hostname())
    assert "Stop them while the data is replaced" in run.output and first.service("crhq-app.service").is_running
    assert digest(first) == before
    assert first.file("/var/lib/crhq/notes.txt").content_string == MARKER + "\n"
    assert first.file("/var/lib/crhq/notes.txt").user == "crhq"
    assert not first.file("/var/backups/crhq/restore").exists
    assert not first.file("/var/lib/postgresql/crhq-restore.pgc").exists


def test_raw_repository_holds_no_plaintext(first):
    assert first.run("grep -r -l -a %s /var/backups/crhq/restic", MARKER).rc == 1
    assert first.run("grep -r -l -a 'CREATE TABLE' /var/backups/crhq/restic").rc == 1


def copy_between(source, target, path, parent):
    copy = subprocess.run("docker cp %s:%s - | docker cp - %s:%s" % (source, path, target, parent),
                          shell=True, capture_output=True, text=True, check=False)
    assert copy.returncode == 0, copy.stderr


def test_a_fresh_host_on_the_next_release_restores_the_snapshot(first, second):
    """The server is lost: its backup repository and its exported keys (export_keys.yml) go to a fresh host of the
    next Debian release. Without the keyring the restore says that stored credentials cannot be decrypted; with
    it, every credential and every kept version decrypts there as on the lost server."""
    before = digest(first)
    credentials = credential_survey(first)
    assert credentials["count"] > 0
    source, target = first.backend.get_hostname(), second.backend.get_hostname()
    second.check_output("rm -rf /var/backups/crhq/restic")
    copy_between(source, target, "/var/backups/crhq/restic", "/var/backups/crhq/")
    # #12: site.yml on a fresh host that meets an existing repository with its own new password says what to do,
    # instead of trying to initialise a repository over it
    met = run_playbook("converge.yml", "--tags", "backup", limit=target)
    assert met.returncode != 0
    assert "exists, but this host's password" in met.output and "exported restic.password" in met.output, met.output[-3000:]
    copy_between(source, target, "/etc/crhq/backup/restic.password", "/etc/crhq/backup/")
    # the fresh host's own keyring holds none of the lost server's keys
    assert not set(credentials["key_ids"]) & {k["id"] for k in json.loads(second.file(KEYRING).content_string)["keys"]}
    without_keys = run_playbook("playbooks/restore.yml", limit=target, timeout=900)
    assert without_keys.returncode != 0
    assert "stored values cannot be decrypted" in without_keys.output and "export_keys.yml" in without_keys.output
    # the exported keyring in place (root:crhq 0640 as export_keys.yml tells), then the restore again
    copy_between(source, target, KEYRING, "/etc/crhq/keys/")
    second.check_output("chown root:crhq %s && chmod 0640 %s", KEYRING, KEYRING)
    restore(target)
    assert credential_survey(second) == credentials
    assert digest(second) == before
    assert second.file("/var/lib/crhq/notes.txt").content_string == MARKER + "\n"
    # restic keeps numeric ids; the files must belong to this host's crhq user
    assert second.file("/var/lib/crhq/notes.txt").user == "crhq" and second.file("/var/lib/crhq").group == "crhq"
    assert int(second.check_output("runuser -u postgres -- psql -qAt -c 'show server_version_num'")) >= 170000


def alerts(host):
    return host.run("cat /tmp/crhq-backup-alerts").stdout.split()


def wait_for_alert(host, count):
    """The alert unit runs after the failed unit (OnFailure=): wait for the command's line."""
    for _attempt in range(60):
        if len(alerts(host)) > count:
            return alerts(host)
        time.sleep(0.5)
    return alerts(host)


def test_a_failed_backup_removes_no_snapshot_and_alerts(first):
    count = len(snapshots(first))
    stamp = first.file(LAST_SUCCESS).content_string
    before = alerts(first)
    assert "crhq-backup.service" not in before  # the precondition: no backup has failed before
    first.check_output("systemctl stop postgresql")
    try:
        assert first.run("systemctl start crhq-backup.service").rc != 0
    finally:
        first.check_output("systemctl start postgresql")
    # the alert: backup_alert_command ran with the failed unit's name, the journal has an error, last-failure names it
    assert wait_for_alert(first, len(before)) == before + ["crhq-backup.service"]
    journal = first.check_output("journalctl -t crhq-backup-alert -p err --no-pager")
    assert "crhq-backup.service failed" in journal, journal
    assert first.file("/var/lib/crhq-backup/last-failure").content_string.split()[1] == "crhq-backup.service"
    assert first.check_output("systemctl show -p Result --value crhq-backup.service") == "exit-code"
    assert first.check_output("systemctl show -p ActiveState --value crhq-backup.service") == "failed"
    assert len(snapshots(first)) == count
    assert first.file(LAST_SUCCESS).content_string == stamp
    assert "pg_dump" in first.check_output("journalctl -u crhq-backup.service --no-pager | tail -20")


def test_corrupted_repository_fails_the_check_loudly(first):
    assert first.run("systemctl start crhq-backup-check.service").rc == 0
    first.check_output("for f in $(find /var/backups/crhq/restic/index /var/backups/crhq/restic/data -type f); do "
                       "printf 'CORRUPT' | dd of=$f bs=1 seek=40 conv=notrunc status=none; done")
    before = alerts(first)
    assert first.run("systemctl start crhq-backup-check.service").rc != 0
    assert first.check_output("systemctl show -p Result --value crhq-backup-check.service") == "exit-code"
    assert wait_for_alert(first, len(before))[-1] == "crhq-backup-check.service"

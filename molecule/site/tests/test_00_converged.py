# -*- coding: utf-8 -*-
"""The converged hosts as a whole: check mode changes nothing, no secret in any output, the instance's layout.

Runs first: later tests install packages (lynis, ssh-audit), and dpkg resets the modes of directories it
unpacks into, which a check-mode run would then report."""

from __future__ import annotations

import json

import pytest
from crhq_testbed import assert_check_mode_clean, assert_no_secret, secret_values

testinfra_hosts = ["ansible://crhq"]

KEYS = "/etc/crhq/keys"
KEY_FILES = ["%s/master.keyring" % KEYS, "%s/session.secret" % KEYS, "%s/hub.key" % KEYS]
SECRET_FILES = KEY_FILES + ["%s/%s" % (KEYS, name)
                            for name in ("db.password", "db-app.password", "app-admin.password", "app-admin.totp-uri")]
SECRET_FILES.append("/etc/crhq/backup/restic.password")


def test_check_mode_on_converged_host_changes_nothing(host, converged_check_run):
    assert_check_mode_clean(converged_check_run, [host.backend.get_hostname()])


def test_no_secret_in_verbose_check_mode_output(host, converged_check_run):
    assert_no_secret(converged_check_run.output, secret_values(host, SECRET_FILES), "the --check --diff -vvv run")


def test_no_secret_in_the_first_converge_output(host, first_converge_output):
    """The first converge made every key, token and password: its -vvv output must hold none of them."""
    assert host.backend.get_hostname() in first_converge_output
    assert_no_secret(first_converge_output, secret_values(host, SECRET_FILES), "the first converge's -vvv output")


def test_app_user_has_no_login(host):
    user = host.user("crhq")
    assert user.exists and user.group == "crhq"
    assert user.shell == "/usr/sbin/nologin"
    assert host.check_output("getent shadow crhq").split(":")[1] in ("!", "!*", "*")


@pytest.mark.parametrize("path, owner, mode", [
    ("/etc/crhq", "root", 0o750),
    (KEYS, "root", 0o750),
    ("/var/lib/crhq", "crhq", 0o750),
    ("/var/log/crhq", "crhq", 0o750),
])
def test_directories(host, path, owner, mode):
    d = host.file(path)
    assert d.is_directory and d.user == owner and d.group == "crhq" and d.mode == mode


@pytest.mark.parametrize("path", KEY_FILES)
def test_key_files_are_root_owned_and_group_readable_only(host, path):
    f = host.file(path)
    assert f.is_file and f.user == "root" and f.group == "crhq" and f.mode == 0o640


def test_keyring_is_valid(host):
    ring = json.loads(host.file("%s/master.keyring" % KEYS).content_string)
    assert ring["format"] == "crhq-keyring" and ring["version"] == 1
    assert ring["primary"] in [k["id"] for k in ring["keys"]]


def test_token_formats(host):
    assert host.file("%s/hub.key" % KEYS).content_string.startswith("crhq_hk_")
    assert len(host.file("%s/session.secret" % KEYS).content_string.strip()) == 43


@pytest.mark.parametrize("path", KEY_FILES)
def test_other_users_cannot_read_keys(host, path):
    result = host.run("setpriv --reuid=nobody --regid=nogroup --clear-groups cat %s", path)
    assert result.rc != 0 and "Permission denied" in result.stderr
    # the app user, a member of the group, can
    assert host.run("setpriv --reuid=crhq --regid=crhq --init-groups cat %s", path).rc == 0


def test_nginx_serves_a_certificate_valid_beyond_the_renewal_window(host, site):
    assert host.service("nginx").is_running and host.service("nginx").is_enabled
    cert = "/etc/nginx/tls/%s/fullchain.pem" % site
    assert host.run("openssl x509 -checkend %s -noout -in %s", str(30 * 86400), cert).rc == 0
    # the key behind the served chain is root's alone
    key = host.file(host.file("/etc/nginx/tls/%s/privkey.pem" % site).linked_to)
    assert key.user == "root" and key.mode & 0o077 == 0, (key.user, oct(key.mode))


def test_nginx_answers_with_headers_on_loopback(host, site):
    out = host.check_output("curl -sk -o /dev/null -D - --resolve %s:443:127.0.0.1 https://%s/healthz", site, site)
    assert out.startswith("HTTP/2 200")
    for header in ("strict-transport-security", "x-frame-options: deny", "x-content-type-options: nosniff",
                   "content-security-policy", "referrer-policy", "permissions-policy"):
        assert header in out.lower()


def test_the_first_converge_prints_no_warning(first_converge_output):
    """A normal run prints no warning and no deprecation: community.postgresql's db/database aliases did, and
    ansible.builtin.find's "Skipped ... is not a directory" for folders a fresh host does not have yet."""
    found = sorted({line.strip() for line in first_converge_output.splitlines()
                    if "[DEPRECATION WARNING]" in line or "[WARNING]" in line})
    assert not found, found

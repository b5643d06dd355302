# -*- coding: utf-8 -*-
"""Every role reads what it manages once (paths, packages, units) and changes only what differs. A read that wrongly
called something "in place" would leave it as a person or a package left it: here each kind of thing the reads judge
is broken by hand first (and the break is checked), then one run of the roles puts every one back, and the run after
changes nothing. The host roles' files have their own test (test_20_host.py, test_drift_in_managed_files_is_put_back),
the database's roles and privileges theirs (test_32_db_drift.py)."""

from __future__ import annotations

from crhq_testbed import APT_GET, converge

testinfra_hosts = ["ansible://crhq"]

TAGS = "instance,postgresql,app,nginx,certbot,backup,hardening_ssh,hardening_fail2ban,hardening_time"


def file_state(host, path):
    """(mode, owner, group, sha256) of a path."""
    return host.check_output("stat -c '%%a %%U %%G' %s && (sha256sum %s 2>/dev/null || true) | cut -d' ' -f1", path, path)


def unit_state(host, unit):
    return host.check_output("systemctl is-enabled %s; systemctl is-active %s || true", unit, unit).split()


def test_one_run_puts_back_what_was_changed_by_hand_and_the_next_changes_nothing(host):
    name = host.backend.get_hostname()
    tls = "/etc/nginx/tls/%s" % host.ansible.get_variables()["instance_hostname"]
    appended = [  # content: a local edit appended
        "/etc/nginx/conf.d/crhq.conf",
        tls + "/ocsp-stapling.conf",
        "/etc/systemd/system/crhq-backup.timer",
        "/etc/systemd/system/crhq-app-clearsessions.timer",
        "/usr/local/sbin/crhq-backup",
    ]
    moded = {  # mode, owner or group changed
        "/var/lib/crhq": "chmod 0755",
        "/usr/local/sbin/crhq-nginx-validate": "chmod 0700",
        "/etc/crhq/app.env": "chgrp root",
        "/etc/ssh/sshd_config": "chmod 0644",
        "/etc/crhq/backup": "chmod 0755",
    }
    stopped = ["crhq-backup-check.timer", "crhq-app-clearsessions.timer", "fail2ban.service"]
    paths = appended + list(moded)
    before = {path: file_state(host, path) for path in paths}
    units = {unit: unit_state(host, unit) for unit in stopped}
    assert all(state == ["enabled", "active"] for state in units.values()), units
    conf = host.check_output("runuser -u postgres -- psql -qAt -c 'show config_file'").rsplit("/", 1)[0]
    settings = conf + "/conf.d/50-crhq.conf"
    settings_before = file_state(host, settings)
    assert host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout == "installed"

    for path in appended + [settings]:
        host.check_output("echo '# test_33: a local edit' >> %s", path)
    for path, command in moded.items():
        host.check_output(command + " %s", path)
    for unit in stopped:
        host.check_output("systemctl disable --now %s", unit)
    # a package the app role needs, removed (dpkg then lists it as missing, and the role installs it again)
    host.check_output(APT_GET + " remove python3-venv")
    broken = {path: file_state(host, path) for path in paths}
    assert all(broken[path] != before[path] for path in paths), "a break by hand did not show"
    assert all(unit_state(host, unit) != ["enabled", "active"] for unit in stopped)
    assert host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout != "installed"

    run = converge("--tags", TAGS, limit=name)
    left = {path: file_state(host, path) for path in paths if file_state(host, path) != before[path]}
    assert not left, "left as they were changed by hand: %s" % left
    assert file_state(host, settings) == settings_before
    assert {unit: unit_state(host, unit) for unit in stopped} == units
    assert host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout == "installed"
    assert run.recap[name]["changed"] > 0, run.recap

    again = converge("--tags", TAGS, limit=name)
    assert again.recap[name]["changed"] == 0, again.output[-3000:]

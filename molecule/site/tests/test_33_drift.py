# -*- coding: utf-8 -*-
"""Every role reads what it manages once (paths, packages, units) and changes only what differs. A read that wrongly
called something "in place" would leave it as a person or a package left it: here each kind of thing the reads judge
is broken by hand first (and the break is checked), then the converge puts every one back, and the run after
changes nothing. Both hosts are broken first, then the same runs cover both at once. The host roles' files have
their own test (test_20_host.py, test_drift_in_managed_files_is_put_back), the database's roles and privileges theirs
(test_32_db_drift.py).

The same runs prove #12's "nothing half-applied": on the Debian 12 host PostgreSQL is also stopped and masked, so the
first run fails there in the middle (at the database role, with the app and the roles after it not yet run) while
it repairs the other host; the next run, with PostgreSQL back, finishes that host, and the one after that changes
nothing on either."""

from __future__ import annotations

import re

import pytest
from crhq_testbed import APT_GET, converge, get_host, group_hosts, run_playbook

testinfra_hosts = ["ansible://crhq"]

STOPPED = ["crhq-backup-check.timer", "crhq-app-clearsessions.timer", "fail2ban.service"]
# the settings the roles judge from a file's text (crhq.platform.host_facts's contents): how each is seen, how it is
# broken by hand (/etc/hosts is the container engine's mount, so it is written in place, not replaced)
TEXTS = {
    "hosts": (r"grep -P '^127\.0\.1\.1\s' /etc/hosts",
              r"sed 's/^127\.0\.1\.1\s.*/127.0.1.1\told-name/' /etc/hosts > /tmp/hosts && cat /tmp/hosts > /etc/hosts"),
    "login.defs": ("grep -E '^UMASK' /etc/login.defs", r"sed -i -E 's/^UMASK\s.*/UMASK\t022/' /etc/login.defs"),
    "statoverride": ("dpkg-statoverride --list /etc/cron.d", "dpkg-statoverride --remove /etc/cron.d"),
    "pam stacks": ("grep -c pam_faillock /etc/pam.d/common-auth /etc/pam.d/common-account",
                   "DEBIAN_FRONTEND=noninteractive pam-auth-update --remove crhq-faillock crhq-faillock-notify"),
    "ufw defaults": ("grep -E '^IPV6=' /etc/default/ufw", "sed -i 's/^IPV6=.*/IPV6=no/' /etc/default/ufw"),
    # the accounts (crhq.platform.host_facts's accounts): the agent given a shell, the app user a password
    "agent account": ("getent passwd agent", "usermod --shell /bin/bash agent"),
    "app user's password": ("passwd --status crhq | cut -d' ' -f1,2", "usermod --password '$6$test33$x' crhq"),
}


def file_state(host, path):
    """(mode, owner, group, sha256) of a path."""
    return host.check_output("stat -c '%%a %%U %%G' %s && (sha256sum %s 2>/dev/null || true) | cut -d' ' -f1", path, path)


def texts_state(host):
    """What each of TEXTS shows now (a command that finds nothing shows nothing)."""
    return {name: host.run(seen_by).stdout for name, (seen_by, _broken_by) in TEXTS.items()}


def unit_state(host, unit):
    return host.check_output("systemctl is-enabled %s; systemctl is-active %s || true", unit, unit).split()


def break_by_hand(host):
    """Breaks each kind of thing on one host, checks that each break shows, and returns the states before and after
    the break."""
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
        # a secret the backup role's read finds in place by its mode alone (put back, never made again: same content)
        "/etc/crhq/backup/restic.password": "chmod 0644",
        # the permissions concern (paths it does not write: crhq.platform.permission_changes decides)
        "/etc/crontab": "chmod 0644",
        "/root": "chmod 0755",
    }
    paths = appended + list(moded)
    before = {path: file_state(host, path) for path in paths}
    units = {unit: unit_state(host, unit) for unit in STOPPED}
    assert all(state == ["enabled", "active"] for state in units.values()), units
    conf = host.check_output("runuser -u postgres -- psql -qAt -c 'show config_file'").rsplit("/", 1)[0]
    settings = conf + "/conf.d/50-crhq.conf"
    settings_before = file_state(host, settings)
    assert host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout == "installed"
    texts = texts_state(host)

    for path in appended + [settings]:
        host.check_output("echo '# test_33: a local edit' >> %s", path)
    for path, command in moded.items():
        host.check_output(command + " %s", path)
    for unit in STOPPED:
        host.check_output("systemctl disable --now %s", unit)
    for _seen_by, broken_by in TEXTS.values():
        host.check_output(broken_by)
    # a package the app role needs, removed (dpkg then lists it as missing, and the role installs it again)
    host.check_output(APT_GET + " remove python3-venv")
    broken = {path: file_state(host, path) for path in paths}
    assert all(broken[path] != before[path] for path in paths), "a break by hand did not show"
    assert all(unit_state(host, unit) != ["enabled", "active"] for unit in STOPPED)
    assert host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout != "installed"
    broken_texts = texts_state(host)
    assert all(broken_texts[name] != texts[name] for name in TEXTS), (texts, broken_texts)
    return {"paths": paths, "before": before, "units": units, "settings": settings, "settings_before": settings_before,
            "texts": texts}


@pytest.fixture(scope="module", name="drift")
def fixture_drift():
    """Breaks every host by hand and stops and masks PostgreSQL on the first, then runs the converge: once (failing
    on the first host at the database), once more with PostgreSQL back, and once to see nothing left to change."""
    names = group_hosts("crhq")
    hosts = {name: get_host(name) for name in names}
    seen = {name: break_by_hand(host) for name, host in hosts.items()}
    halted = hosts[names[0]]
    halted.check_output("systemctl stop postgresql && systemctl mask postgresql")
    try:
        failed = run_playbook("converge.yml", limit="crhq")
    finally:
        halted.check_output("systemctl unmask postgresql && systemctl start postgresql")
    run = converge(limit="crhq")
    for name, host in hosts.items():
        seen[name]["after"] = {path: file_state(host, path) for path in seen[name]["paths"]}
        seen[name]["settings_after"] = file_state(host, seen[name]["settings"])
        seen[name]["units_after"] = {unit: unit_state(host, unit) for unit in STOPPED}
        seen[name]["venv"] = host.run("dpkg-query -W -f '${db:Status-Status}' python3-venv").stdout
        seen[name]["texts_after"] = texts_state(host)
    return {"hosts": seen, "halted": names[0], "failed": failed, "run": run, "again": converge(limit="crhq"),
            "app_running": hosts[names[0]].service("crhq-app").is_running}


def test_one_run_puts_back_what_was_changed_by_hand_and_the_next_changes_nothing(host, drift):
    name = host.backend.get_hostname()
    seen = drift["hosts"][name]
    left = {path: state for path, state in seen["after"].items() if state != seen["before"][path]}
    assert not left, "left as they were changed by hand: %s" % left
    assert seen["settings_after"] == seen["settings_before"]
    assert seen["units_after"] == seen["units"]
    assert seen["venv"] == "installed"
    assert seen["texts_after"] == seen["texts"]
    # the first run repaired the host it did not fail on; on the other, the first run and the next together
    repaired = drift["failed"] if name != drift["halted"] else drift["run"]
    assert repaired.recap[name]["changed"] > 0, repaired.recap
    assert drift["again"].recap[name]["changed"] == 0, drift["again"].output[-3000:]


def test_a_converge_failed_mid_run_recovers_on_the_next_run(drift):
    """#12, nothing half-applied (test_38 until stop 30, now sharing this file's runs)."""
    name, failed = drift["halted"], drift["failed"]
    assert failed.returncode != 0 and failed.recap[name]["failed"] == 1, failed.output[-3000:]
    # it failed in the middle, at the database role (ansible-core prints the failure and its origin on stderr)
    origins = re.findall(r"^Origin: (\S+)", failed.stderr, re.M)
    assert "fatal: [%s]" % name in failed.stderr and len(origins) == 1, failed.stderr[-3000:]
    assert "/roles/postgresql/tasks/" in origins[0], failed.stderr[-3000:]
    assert all(recap["failed"] == 0 for other, recap in failed.recap.items() if other != name), failed.recap
    assert drift["run"].recap[name]["failed"] == 0 and drift["run"].recap[name]["changed"] > 0
    again = drift["again"]
    assert again.recap[name]["changed"] == 0 and again.recap[name]["failed"] == 0, again.output[-3000:]
    assert drift["app_running"]

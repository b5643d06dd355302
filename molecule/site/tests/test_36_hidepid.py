# -*- coding: utf-8 -*-
"""The whole instance under the /proc a VM gets. On a VM or bare metal the hardening role mounts /proc with
`hidepid=invisible` (each user sees only their own processes); a container's /proc is its engine's, so the role leaves
it, and the vps scenario, which proves the mount on a real kernel, converges only the host roles and the instance role
(the whole site under software emulation would take well over an hour). Here each container's /proc is remounted with
the role's hidepid=invisible (without the role's gid= exception, which only lets members of its group, logind on a VM,
see more; a container's /proc is a proc instance of its own: the machine's is untouched), every
service of the instance is restarted under it, and the site must still serve through nginx TLS with the database
answering, and a backup must complete. /proc is put back afterwards."""

from __future__ import annotations

import pytest
from crhq_testbed import https

testinfra_hosts = ["ansible://crhq"]

# restarted in this order: the database first, so the app's first connection meets the restarted one
SERVICES = ["postgresql.service", "crhq-app.service", "nginx.service"]
# owners of the instance's processes (PostgreSQL's, nginx's workers) that the mount must hide from other users
OWNERS = ["postgres", "www-data"]


def visible_to(host, user, owner):
    """How many processes of `owner` `user` sees in /proc."""
    return int(host.run("runuser -u %s -- pgrep -c -u %s", user, owner).stdout)


@pytest.fixture(name="hidden_proc")
def fixture_hidden_proc(host):
    """/proc remounted with hidepid=invisible for the test, and put back after it, even when the test fails."""
    before = host.check_output("findmnt -n -o OPTIONS /proc")
    assert "hidepid" not in before, "the container's /proc already hides processes: %s" % before
    since = host.check_output("date '+%Y-%m-%d %H:%M:%S'")
    host.check_output("mount -o remount,hidepid=invisible /proc")
    try:
        yield since
    finally:
        host.check_output("mount -o remount,hidepid=off /proc")
    assert "hidepid" not in host.check_output("findmnt -n -o OPTIONS /proc")


def test_the_instance_serves_and_backs_up_with_proc_hidden_as_on_a_vm(host, helper, site, hidden_proc):
    # the precondition: before the restarts, the mount already hides the database's and nginx's processes from the
    # app's user and the agent, while root still sees them
    assert "hidepid=invisible" in host.check_output("findmnt -n -o OPTIONS /proc")
    for owner in OWNERS:
        assert visible_to(host, "root", owner) > 0, owner
        assert visible_to(host, "crhq", owner) == 0 and visible_to(host, "agent", owner) == 0, owner
    for unit in SERVICES:
        host.check_output("systemctl restart %s", unit)
    for unit in SERVICES:
        assert host.service(unit).is_running, host.run("journalctl -u %s -n 20 --no-pager", unit).stdout
    # nginx, the app and the database, each restarted under the hidden /proc, answer together
    assert https(helper, site, "/healthz")[0] == 200
    # the backup (pg_dump as postgres, restic as root) completes; its unit is a oneshot, so start waits for it
    started = host.run("systemctl start crhq-backup.service")
    result = host.check_output("systemctl show -p Result --value crhq-backup.service")
    journal = host.run("journalctl -u crhq-backup.service -n 20 --no-pager").stdout
    assert started.rc == 0 and result == "success", journal
    # and none of them complained about /proc while it hid other users' processes
    complaints = host.run("journalctl --since '%s' -p warning --no-pager -u 'postgresql*' -u crhq-app.service"
                          " -u nginx.service -u crhq-backup.service | grep -i '/proc' || true", hidden_proc).stdout
    assert complaints.strip() == "", complaints

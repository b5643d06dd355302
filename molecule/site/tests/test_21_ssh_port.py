# -*- coding: utf-8 -*-
"""Moving SSH to another port (hardening_ssh_port) works whether sshd holds its socket (ssh.service) or systemd does
(ssh.socket, socket activation: sshd then ignores Port). The hardening role checks that sshd answers on the new port
after the change, and the firewall opens the port SSH really listens on and removes the old one. Seen from the
helper: the new port answers through ufw, the old one does not. The Debian 12 host moves with ssh.service, the
Debian 13 host under socket activation; both end on port 22 with ssh.service again, as the other tests expect."""

from __future__ import annotations

import re

import pytest

from crhq_testbed import converge

testinfra_hosts = ["ansible://crhq"]

TAGS = "hardening_ssh,hardening_fail2ban,firewall"
MOVED = 2222


def listeners(host, port):
    """The processes holding a TCP port's listening socket: "sshd" alone for sshd's own; "systemd" for a socket systemd
    holds (and "sshd" too once a connection started the sshd it passes the socket to)."""
    return sorted(set(re.findall(r'\("([^"]+)",pid=', host.check_output("ss -Htlnp 'sport = :%d'" % port))))


def banner(helper, name, port):
    """What the helper reads from host:port within 5 s (sshd's banner, or nothing)."""
    return helper.run("timeout 5 bash -c 'exec 3<>/dev/tcp/%s/%d && head -c 8 <&3' 2>/dev/null" % (name, port)).stdout


def ssh_rules(host):
    return [line.split()[0] for line in host.check_output("ufw status").splitlines() if "# crhq-managed ssh" in line]


@pytest.fixture(name="socket_activated")
def fixture_socket_activated(host):
    """True on the Debian 13 host, which is switched to ssh.socket for the test; ssh.service again afterwards."""
    codename = host.system_info.codename
    activated = codename != "bookworm"
    if activated:
        host.check_output("systemctl disable --now ssh.service && systemctl enable --now ssh.socket")
    yield activated
    name = host.backend.get_hostname()
    converge("--tags", TAGS, limit=name)  # port 22 from the inventory again
    if activated:
        host.check_output("systemctl disable --now ssh.socket && systemctl stop ssh.service && "
                          "systemctl enable --now ssh.service")
    assert listeners(host, 22) == ["sshd"]


def test_ssh_moves_to_another_port_and_ufw_follows(host, helper, socket_activated):
    name = host.backend.get_hostname()
    assert ("systemd" in listeners(host, 22)) if socket_activated else listeners(host, 22) == ["sshd"]
    assert banner(helper, name, 22) == "SSH-2.0-"  # the precondition: the old port answers from outside now
    assert any(rule.startswith("22/tcp") for rule in ssh_rules(host)), ssh_rules(host)

    run = converge("--tags", TAGS, "-e", '{"hardening_ssh_port": %d}' % MOVED, limit=name)
    assert "Something answers as sshd on hardening_ssh_port" in run.output
    assert ("systemd" in listeners(host, MOVED)) if socket_activated else listeners(host, MOVED) == ["sshd"]
    assert listeners(host, 22) == []
    if socket_activated:
        assert host.check_output("systemctl show -p Listen --value ssh.socket") == "[::]:%d (Stream)" % MOVED
    assert banner(helper, name, MOVED) == "SSH-2.0-"
    assert banner(helper, name, 22) == ""
    rules = ssh_rules(host)
    assert rules and all(rule.startswith("%d/tcp" % MOVED) for rule in rules), rules

    again = converge("--tags", TAGS, "-e", '{"hardening_ssh_port": %d}' % MOVED, limit=name)
    assert again.recap[name]["changed"] == 0, again.output[-3000:]

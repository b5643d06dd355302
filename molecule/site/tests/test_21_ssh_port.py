# -*- coding: utf-8 -*-
"""Moving SSH to another port (hardening_ssh_port) works whether sshd holds its socket (ssh.service) or systemd does
(ssh.socket, socket activation: sshd then ignores Port). The hardening role checks that sshd answers on the new port
after the change, and the firewall opens the port SSH really listens on and removes the old one. Seen from the
helper: the new port answers through ufw, the old one does not. The Debian 12 host moves with ssh.service, the
Debian 13 host under socket activation, in the same runs; both end on port 22 with ssh.service again, as the other
tests expect."""

from __future__ import annotations

import re

import pytest

from crhq_testbed import converge, get_host, group_hosts, run_playbook

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


def state(host, helper, port):
    """The port's listeners, what the helper reads there, and, under socket activation, what ssh.socket listens on."""
    name = host.backend.get_hostname()
    return {"listeners": listeners(host, port), "banner": banner(helper, name, port),
            "socket": host.run("systemctl show -p Listen --value ssh.socket").stdout.strip()}


@pytest.fixture(scope="module", name="moves")
def fixture_moves(helper):
    """Switches the Debian 13 host to ssh.socket, moves SSH on both hosts in one run and runs again, then puts both
    back on port 22 with ssh.service; records what each step left."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    activated = {name: host.system_info.codename != "bookworm" for name, host in hosts.items()}
    seen = {name: {"activated": activated[name]} for name in hosts}
    try:
        for name, host in hosts.items():
            if activated[name]:
                host.check_output("systemctl disable --now ssh.service && systemctl enable --now ssh.socket")
            seen[name]["before"] = dict(state(host, helper, 22), rules=ssh_rules(host))
        seen["run"] = run_playbook("converge.yml", "--tags", TAGS, "-e", '{"hardening_ssh_port": %d}' % MOVED,
                                   limit="crhq")
        for name, host in hosts.items():
            seen[name]["moved"] = dict(state(host, helper, MOVED), rules=ssh_rules(host))
            seen[name]["old"] = state(host, helper, 22)
        seen["again"] = run_playbook("converge.yml", "--tags", TAGS, "-e", '{"hardening_ssh_port": %d}' % MOVED,
                                     limit="crhq")
        yield seen
    finally:
        converge("--tags", TAGS, limit="crhq")  # port 22 from the inventory again
        for name, host in hosts.items():
            if activated[name]:
                host.check_output("systemctl disable --now ssh.socket && systemctl stop ssh.service && "
                                  "systemctl enable --now ssh.service")
            assert listeners(host, 22) == ["sshd"]


def test_ssh_moves_to_another_port_and_ufw_follows(host, moves):
    name = host.backend.get_hostname()
    seen, activated = moves[name], moves[name]["activated"]
    before, moved, old = seen["before"], seen["moved"], seen["old"]
    assert ("systemd" in before["listeners"]) if activated else before["listeners"] == ["sshd"]
    assert before["banner"] == "SSH-2.0-"  # the precondition: the old port answers from outside before the run
    assert any(rule.startswith("22/tcp") for rule in before["rules"]), before["rules"]

    run = moves["run"].assert_ok()
    assert "Something answers as sshd on hardening_ssh_port" in run.output
    assert ("systemd" in moved["listeners"]) if activated else moved["listeners"] == ["sshd"]
    assert old["listeners"] == []
    if activated:
        assert moved["socket"] == "[::]:%d (Stream)" % MOVED
    assert moved["banner"] == "SSH-2.0-"
    assert old["banner"] == ""
    rules = moved["rules"]
    assert rules and all(rule.startswith("%d/tcp" % MOVED) for rule in rules), rules

    again = moves["again"].assert_ok()
    assert again.recap[name]["changed"] == 0, again.output[-3000:]

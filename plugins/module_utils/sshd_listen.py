# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where connections reach sshd (the TCP ports of `sshd -T`, or of ssh.socket under socket activation): read by
crhq.platform.ssh_facts for the hardening role and by crhq.platform.host_facts (sshd_listen) for the firewall's one
read, so the firewall opens the port SSH really uses."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type


def config_ports(sshd_t_output):
    """Ports from `sshd -T` output: those of its listenaddress lines, or else of its port lines."""
    listen, ports = set(), set()
    for line in sshd_t_output.splitlines():
        keyword, _sep, value = line.strip().partition(" ")
        if keyword == "port" and value.strip().isdigit():
            ports.add(int(value))
        elif keyword == "listenaddress":
            port = value.strip().rsplit(":", 1)[-1].split()[0] if ":" in value else ""
            if port.isdigit():
                listen.add(int(port))
    return sorted(listen or ports)


def socket_ports(listen_value):
    """Ports of `systemctl show -p Listen --value ssh.socket` lines such as "[::]:22 (Stream)"."""
    ports = set()
    for line in listen_value.splitlines():
        address = line.strip().split(" ")[0]
        if "(Stream)" in line and ":" in address and address.rsplit(":", 1)[1].isdigit():
            ports.add(int(address.rsplit(":", 1)[1]))
        elif "(Stream)" in line and address.isdigit():
            ports.add(int(address))
    return sorted(ports)


def listen_facts(module, sshd):
    """Where connections reach sshd: ssh.socket's ports when socket activation is in use, else sshd's own."""
    result = {"ports": [], "config_ports": [], "socket_activated": False, "error": ""}
    if not sshd:
        result["error"] = "sshd is not installed"
        return result
    rc, out, err = module.run_command([sshd, "-T"])
    if rc != 0:
        result["error"] = "sshd -T failed (rc %d): %s" % (rc, err.strip()[-300:])
    else:
        result["config_ports"] = config_ports(out)
    result["ports"] = result["config_ports"]
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        rc, out, _err = module.run_command([systemctl, "is-active", "ssh.socket"])
        if rc == 0 and out.strip() == "active":
            result["socket_activated"] = True
            rc, out, _err = module.run_command([systemctl, "show", "-p", "Listen", "--value", "ssh.socket"])
            if rc == 0:
                result["ports"] = socket_ports(out)
    return result

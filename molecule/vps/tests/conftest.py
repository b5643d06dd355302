# -*- coding: utf-8 -*-
"""Fixtures of the vps scenario; the playbook runner is the crhq_testbed plugin (molecule/resources/pytest)."""
from __future__ import annotations

import os
import subprocess
import time

import pytest

SSH_PORT = int(os.environ.get("CRHQ_VM_SSH_PORT", "2222"))
HTTP_PORT, CLOSED_PORT = SSH_PORT + 58, SSH_PORT + 77
VM_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "vm")


@pytest.fixture(scope="session", name="vm_key")
def fixture_vm_key():
    return subprocess.run([VM_SCRIPT, "key"], capture_output=True, text=True, check=True).stdout.strip()


# what ssh prints when the connection itself failed, before sshd could accept or refuse a login
NOT_REACHED = ("kex_exchange_identification", "Connection reset", "Connection closed by", "Connection refused", "timed out")


def ssh(key, user, *options, command="true"):
    """A fresh SSH login from this machine (not Ansible's connection); returns the completed process.

    Every connection reaches the guest from the one NAT address, so the firewall's SSH rate limit (ufw `limit`,
    6 new connections in 30 s) may turn one away; such an attempt is repeated after the limit's window, so that
    a test sees sshd's own answer."""
    for _attempt in range(4):
        proc = _ssh(key, user, *options, command=command)
        if proc.returncode != 255 or not any(text in proc.stderr for text in NOT_REACHED):
            return proc
        time.sleep(31)
    return proc


def _ssh(key, user, *options, command):
    return subprocess.run(["ssh", "-p", str(SSH_PORT), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "ConnectTimeout=10", "-o", "BatchMode=yes", "-i", key, *options, "%s@127.0.0.1" % user, command],
                          capture_output=True, text=True, check=False, timeout=60)


@pytest.fixture(scope="session", name="vm_ssh")
def fixture_vm_ssh(vm_key):
    """ssh(user, *options, command="true"): a fresh login with the admin key from this machine."""
    return lambda user, *options, command="true": ssh(vm_key, user, *options, command=command)


@pytest.fixture(scope="session", name="vm_ports")
def fixture_vm_ports():
    """(loopback port forwarded to the guest's 80, loopback port forwarded to the guest's closed 9999)."""
    return HTTP_PORT, CLOSED_PORT

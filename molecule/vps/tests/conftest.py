# -*- coding: utf-8 -*-
from __future__ import annotations

import os
import subprocess

import pytest

SSH_PORT = int(os.environ.get("CRHQ_VM_SSH_PORT", "2222"))
HTTP_PORT, CLOSED_PORT = SSH_PORT + 58, SSH_PORT + 77
VM_SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "scripts", "vm")


@pytest.fixture(scope="session", name="vm_key")
def fixture_vm_key():
    return subprocess.run([VM_SCRIPT, "key"], capture_output=True, text=True, check=True).stdout.strip()


def ssh(key, user, *options, command="true"):
    """A fresh SSH login from this machine (not Ansible's connection); returns the completed process."""
    return subprocess.run(["ssh", "-p", str(SSH_PORT), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                           "-o", "ConnectTimeout=10", "-o", "BatchMode=yes", "-i", key, *options, "%s@127.0.0.1" % user, command],
                          capture_output=True, text=True, check=False, timeout=60)

# -*- coding: utf-8 -*-
"""crhq.platform.ssh_facts against this machine's real OpenSSH client and real files."""

from __future__ import annotations

import grp
import os
import pwd


from ansible_collections.crhq.platform.plugins.modules import ssh_facts

from .module_runner import run_module

# two real moduli lines (sizes 2047 and 4095) and a comment, in /etc/ssh/moduli's format
MODULI = (
    "# Time Type Tests Tries Size Generator Modulus\n"
    "20230101000000 2 6 100 2047 2 C3A5\n"
    "20230101000000 2 6 100 4095 5 F1B7\n"
)


def run(capsys, **args):
    return run_module(ssh_facts.main, capsys, **args)


def test_counts_key_lines_not_comments_or_blank_lines(tmp_path):
    ssh_dir = tmp_path / ".ssh"
    ssh_dir.mkdir()
    (ssh_dir / "authorized_keys").write_text("# admin\n\nssh-ed25519 AAAAC3Nza one\n"
                                             'from="10.0.0.0/8" ssh-ed25519 AAAAC3Nzb two\n')
    (ssh_dir / "authorized_keys2").write_text("ssh-rsa AAAAB3Nza three\n")
    assert ssh_facts.count_keys(str(tmp_path)) == 3


def test_no_ssh_directory_means_no_keys(tmp_path):
    assert ssh_facts.count_keys(str(tmp_path / "missing")) == 0


def test_weak_moduli_counted_by_size_field(tmp_path):
    path = tmp_path / "moduli"
    path.write_text(MODULI)
    assert ssh_facts.weak_moduli(str(path), 3071) == 1
    assert ssh_facts.weak_moduli(str(path), 4096) == 2
    assert ssh_facts.weak_moduli(str(path), 1024) == 0
    assert ssh_facts.weak_moduli(str(tmp_path / "absent"), 3071) == 0


def test_unknown_user_is_not_reachable(tmp_path, capsys):
    moduli = tmp_path / "moduli"
    moduli.write_text(MODULI)
    result = run(capsys, admin_users=["crhq-no-such-user"], allow_groups=["sudo"], moduli_path=str(moduli))
    assert not result["changed"]
    assert result["admins"] == [{"user": "crhq-no-such-user", "exists": False, "groups": [], "authorized_keys": 0}]
    assert result["reachable_admins"] == []
    assert result["weak_moduli"] == 1


def test_real_openssh_algorithm_lists(tmp_path, capsys):
    result = run(capsys, admin_users=["crhq-no-such-user"], moduli_path=str(tmp_path / "none"))
    supported = result["supported"]
    assert set(supported) == {"kex", "cipher", "mac", "key_sig"}
    assert "curve25519-sha256" in supported["kex"]
    assert "aes256-gcm@openssh.com" in supported["cipher"]
    assert "hmac-sha2-256-etm@openssh.com" in supported["mac"]
    assert "ssh-ed25519" in supported["key_sig"]


def test_reachability_needs_account_key_and_allowed_group():
    admins = [
        {"user": "alice", "exists": True, "groups": ["alice", "sudo"], "authorized_keys": 1},
        {"user": "bob", "exists": True, "groups": ["bob", "sudo"], "authorized_keys": 0},
        {"user": "carol", "exists": True, "groups": ["carol"], "authorized_keys": 2},
        {"user": "dave", "exists": False, "groups": [], "authorized_keys": 0},
    ]
    assert ssh_facts.reachable_admins(admins, ["sudo"]) == ["alice"]
    assert ssh_facts.reachable_admins(admins, ["carol", "sudo"]) == ["alice", "carol"]
    assert ssh_facts.reachable_admins(admins, ["wheel"]) == []
    assert ssh_facts.reachable_admins(admins, []) == ["alice", "carol"]


def test_real_account_groups_from_the_system_databases():
    me = pwd.getpwuid(os.getuid())
    entry = ssh_facts.admin_entry(me.pw_name)
    assert entry["exists"] and entry["user"] == me.pw_name
    assert entry["groups"][0] == grp.getgrgid(me.pw_gid).gr_name

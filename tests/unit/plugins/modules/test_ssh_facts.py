# -*- coding: utf-8 -*-
"""crhq.platform.ssh_facts against this machine's real OpenSSH client and real files."""

from __future__ import annotations

import grp
import json
import os
import pwd
import subprocess

import pytest


from ansible_collections.crhq.platform.plugins.module_utils import ssh_reads, sshd_listen
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
    assert ssh_reads.read_keys(str(tmp_path), [])[0] == 3


def test_no_ssh_directory_means_no_keys(tmp_path):
    assert ssh_reads.read_keys(str(tmp_path / "missing"), [])[0] == 0


def test_weak_moduli_counted_by_size_field(tmp_path):
    path = tmp_path / "moduli"
    path.write_text(MODULI)
    assert ssh_reads.weak_moduli(str(path), 3071) == 1
    assert ssh_reads.weak_moduli(str(path), 4096) == 2
    assert ssh_reads.weak_moduli(str(path), 1024) == 0
    assert ssh_reads.weak_moduli(str(tmp_path / "absent"), 3071) == 0


def test_main_config_mode_and_drop_in_include(tmp_path):
    path = tmp_path / "sshd_config"
    assert ssh_reads.main_config_facts(str(path)) == {"exists": False, "mode": "", "includes_drop_ins": False}
    path.write_text("# Include /etc/ssh/sshd_config.d/*.conf\nInclude /etc/ssh/sshd_config.d/*.conf.bak\nPort 22\n")
    path.chmod(0o644)
    assert ssh_reads.main_config_facts(str(path)) == {"exists": True, "mode": "0644", "includes_drop_ins": False}
    path.write_text("Port 22\nInclude /etc/ssh/sshd_config.d/*.conf\n")
    path.chmod(0o600)
    assert ssh_reads.main_config_facts(str(path)) == {"exists": True, "mode": "0600", "includes_drop_ins": True}


def test_unknown_user_is_not_reachable(tmp_path, capsys):
    moduli = tmp_path / "moduli"
    moduli.write_text(MODULI)
    result = run(capsys, admin_users=["crhq-no-such-user"], allow_groups=["sudo"], moduli_path=str(moduli))
    assert not result["changed"]
    assert result["admins"] == [{"user": "crhq-no-such-user", "exists": False, "groups": [], "shell": "",
                                 "authorized_keys": 0, "usable_keys": 0, "key_types": [],
                                 "reason": "crhq-no-such-user: no such account"}]
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


def test_reachability_needs_no_obstacle_and_an_allowed_group():
    def entry(user, groups, reason=""):
        return {"user": user, "exists": True, "groups": groups, "authorized_keys": 1, "reason": reason}

    def admins():
        return [entry("alice", ["alice", "sudo"]), entry("bob", ["bob", "sudo"], "bob: no authorized key"),
                entry("carol", ["carol"]), {"user": "dave", "exists": False, "groups": [], "reason": "dave: no such account"}]

    assert ssh_reads.reachable_admins(admins(), ["sudo"]) == ["alice"]
    assert ssh_reads.reachable_admins(admins(), ["carol", "sudo"]) == ["alice", "carol"]
    listed = admins()
    assert ssh_reads.reachable_admins(listed, ["wheel"]) == []
    assert listed[0]["reason"] == "alice: in none of the allowed groups wheel (its groups: alice, sudo)"
    assert listed[1]["reason"] == "bob: no authorized key"  # the first obstacle is the one named
    assert ssh_reads.reachable_admins(admins(), []) == ["alice", "carol"]


def test_real_account_groups_from_the_system_databases():
    me = pwd.getpwuid(os.getuid())
    entry = ssh_reads.admin_entry(me.pw_name)
    assert entry["exists"] and entry["user"] == me.pw_name
    assert entry["groups"][0] == grp.getgrgid(me.pw_gid).gr_name


# --- which keys sshd will accept after the change (#12: an ECDSA-only operator passed the old guard) -------------

HARDENED = ["ssh-ed25519", "sk-ssh-ed25519@openssh.com", "rsa-sha2-512", "rsa-sha2-256"]


@pytest.fixture(name="real_keys", scope="module")
def fixture_real_keys(tmp_path_factory):
    """Public key lines of each type this machine's ssh-keygen makes, keyed by type name."""
    folder = tmp_path_factory.mktemp("keys")
    keys = {}
    for kind, bits in (("ed25519", None), ("ecdsa", "256"), ("rsa", "3072")):
        path = folder / kind
        command = ["ssh-keygen", "-q", "-N", "", "-t", kind, "-f", str(path)] + (["-b", bits] if bits else [])
        subprocess.run(command, check=True)
        line = (folder / (kind + ".pub")).read_text().strip()
        keys[line.split()[0]] = line
    return keys


def home_with(tmp_path, *lines):
    (tmp_path / ".ssh").mkdir(exist_ok=True)
    (tmp_path / ".ssh" / "authorized_keys").write_text("".join(line + "\n" for line in lines))
    return str(tmp_path)


def test_only_keys_of_accepted_types_count(tmp_path, real_keys):
    ecdsa, ed25519, rsa = real_keys["ecdsa-sha2-nistp256"], real_keys["ssh-ed25519"], real_keys["ssh-rsa"]
    lines, usable, types, obstacles = ssh_reads.read_keys(home_with(tmp_path, ecdsa), HARDENED)
    assert (lines, usable, types) == (1, 0, ["ecdsa-sha2-nistp256"])
    assert obstacles == ["type ecdsa-sha2-nistp256, which sshd will not accept"]
    assert ssh_reads.read_keys(home_with(tmp_path, ecdsa), HARDENED + ["ecdsa-sha2-nistp256"])[1] == 1
    assert ssh_reads.read_keys(home_with(tmp_path, ecdsa), [])[1] == 1  # no list: every key counts
    assert ssh_reads.read_keys(home_with(tmp_path, ecdsa, ed25519, rsa), HARDENED)[:2] == (3, 2)
    assert ssh_reads.read_keys(home_with(tmp_path, rsa), ["rsa-sha2-256"])[1] == 1  # ssh-rsa keys sign with SHA-2
    assert ssh_reads.read_keys(home_with(tmp_path, rsa), ["ssh-ed25519"])[1] == 0


@pytest.mark.parametrize("line, accepted, usable", [
    ("sk-ecdsa-sha2-nistp256@openssh.com AAAAInNr", HARDENED, False),
    ("sk-ecdsa-sha2-nistp256@openssh.com AAAAInNr", ["webauthn-sk-ecdsa-sha2-nistp256@openssh.com"], True),
    ("sk-ssh-ed25519@openssh.com AAAAGnNr", HARDENED, True),
    ("ssh-dss AAAAB3NzaC1kc3M", HARDENED, False),
    ('cert-authority,principals="alice" ssh-ed25519 AAAAC3Nz', HARDENED, False),
    ('cert-authority,principals="alice" ssh-ed25519 AAAAC3Nz', HARDENED + ["ssh-ed25519-cert-v01@openssh.com"], True),
    ("ssh-ed25519-cert-v01@openssh.com AAAAIHNz", HARDENED, False),
    ("ssh-ed25519-cert-v01@openssh.com AAAAIHNz", ["ssh-ed25519-cert-v01@openssh.com"], True),
    ("sk-ssh-ed25519-cert-v01@openssh.com AAAA", ["sk-ssh-ed25519-cert-v01@openssh.com"], True),
    ("ssh-rsa-cert-v01@openssh.com AAAA", ["rsa-sha2-512-cert-v01@openssh.com"], True),
    ('command="/usr/bin/backup-only",no-pty ssh-ed25519 AAAAC3Nz', HARDENED, False),
    ('restrict,from="10.0.0.0/8,192.168.1.1" ssh-ed25519 AAAAC3Nz admin key', HARDENED, True),
    ('environment="A=b c",no-agent-forwarding ssh-ed25519 AAAAC3Nz', HARDENED, True),
    ('expiry-time="20200101" ssh-ed25519 AAAAC3Nz', HARDENED, False),
    ('expiry-time="29991231235959" ssh-ed25519 AAAAC3Nz', HARDENED, True),
    ('expiry-time="2999123123" ssh-ed25519 AAAAC3Nz', HARDENED, False),  # sshd refuses an unreadable time
    ("ssh-ed25519", HARDENED, True),
])
def test_key_types_and_options(line, accepted, usable):
    parsed = ssh_reads.parse_key_line(line)
    assert parsed is not None, line
    assert (ssh_reads.key_obstacle(parsed[0], parsed[1], accepted) == "") is usable


@pytest.mark.parametrize("line", ["ssh-ed25519x AAAA", "garbage", 'from="10.0.0.1 ssh-ed25519 AAAA', "ecdsa-sha2-nistp999 AA"])
def test_lines_that_are_no_key_count_as_lines_but_never_as_usable(tmp_path, line):
    assert ssh_reads.parse_key_line(line) is None
    lines, usable, _types, obstacles = ssh_reads.read_keys(home_with(tmp_path, line), HARDENED)
    assert (lines, usable) == (1, 0) and obstacles == ["a line that is not a key OpenSSH knows"]


def test_expiry_times_in_utc_and_local_time():
    now = (2026, 11, 30, 12, 0, 0)
    assert ssh_reads.expiry_passed("20261130", now) is True
    assert ssh_reads.expiry_passed("202611301300Z", now) is False
    assert ssh_reads.expiry_passed("20261130115959", now) is True
    assert ssh_reads.expiry_passed("2026113", now) is None


def test_root_shut_out_by_permit_root_login_and_accounts_without_a_shell():
    root = ssh_reads.admin_entry("root", HARDENED, "no")
    assert root["reason"] == "root: PermitRootLogin no shuts root out"
    assert "shuts root out" in ssh_reads.admin_entry("root", HARDENED, "forced-commands-only")["reason"]
    nobody = ssh_reads.admin_entry("nobody", HARDENED, "no")
    assert nobody["shell"].endswith("nologin") and "gives no shell" in nobody["reason"]


def test_a_trusted_user_ca_makes_admins_reachable_without_a_key(monkeypatch, tmp_path):
    account = pwd.struct_passwd(("alice", "x", 4242, 4242, "", str(tmp_path), "/bin/bash"))
    monkeypatch.setattr(ssh_reads.pwd, "getpwnam", lambda user: account)
    assert ssh_reads.admin_entry("alice", HARDENED)["reason"] == "alice: no authorized key"
    assert ssh_reads.admin_entry("alice", HARDENED, None, True)["reason"] == "alice: no authorized key"
    with_certs = HARDENED + ["ssh-ed25519-cert-v01@openssh.com"]
    assert ssh_reads.admin_entry("alice", with_certs, None, True)["reason"] == ""


def test_the_module_names_each_admins_obstacle(tmp_path, capsys, real_keys, monkeypatch):
    account = pwd.struct_passwd(("alice", "x", 4242, 4242, "", home_with(tmp_path, real_keys["ecdsa-sha2-nistp256"]),
                                 "/bin/bash"))
    real_getpwnam = pwd.getpwnam
    monkeypatch.setattr(ssh_reads.pwd, "getpwnam", lambda user: account if user == "alice" else real_getpwnam(user))
    result = run(capsys, admin_users=["alice", "root"], allow_groups=[], accepted_algorithms=HARDENED,
                 permit_root_login="no", moduli_path=str(tmp_path / "none"))
    assert result["reachable_admins"] == []
    assert [entry["reason"] for entry in result["admins"]] == [
        "alice: none of its 1 authorized key line(s) will work (type ecdsa-sha2-nistp256, which sshd will not accept)",
        "root: PermitRootLogin no shuts root out"]
    assert result["admins"][0]["key_types"] == ["ecdsa-sha2-nistp256"]
    assert real_keys["ecdsa-sha2-nistp256"].split()[1] not in json.dumps(result)  # types only, never keys


def test_effective_algorithms_keep_order_drop_unknown_and_add_certificates():
    supported = ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com", "sk-ssh-ed25519@openssh.com",
                 "sk-ssh-ed25519-cert-v01@openssh.com", "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com"]
    requested = ["rsa-sha2-512", "ssh-ed25519", "made-up@example.com", "sk-ssh-ed25519@openssh.com"]
    assert ssh_reads.effective_algorithms(requested, False, supported) == [
        "rsa-sha2-512", "ssh-ed25519", "sk-ssh-ed25519@openssh.com"]
    assert ssh_reads.effective_algorithms(requested, True, supported) == [
        "rsa-sha2-512", "rsa-sha2-512-cert-v01@openssh.com", "ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com",
        "sk-ssh-ed25519@openssh.com", "sk-ssh-ed25519-cert-v01@openssh.com"]
    assert ssh_reads.effective_algorithms([], True, supported) == []


def test_the_module_judges_with_what_this_openssh_knows(tmp_path, capsys):
    result = run(capsys, admin_users=["root"], accepted_algorithms=HARDENED + ["no-such-algorithm"],
                 trusted_user_ca_keys=True, moduli_path=str(tmp_path / "none"))
    assert result["accepted_algorithms"][:2] == ["ssh-ed25519", "ssh-ed25519-cert-v01@openssh.com"]
    assert "no-such-algorithm" not in result["accepted_algorithms"]


def test_listen_ports_from_sshd_t_and_from_ssh_socket():
    assert sshd_listen.config_ports("port 22\nport 2222\naddressfamily any\n") == [22, 2222]
    assert sshd_listen.config_ports("port 22\nlistenaddress [::]:2200\nlistenaddress 0.0.0.0:2200\n") == [2200]
    assert sshd_listen.config_ports("passwordauthentication no\n") == []
    assert sshd_listen.socket_ports("[::]:22 (Stream)\n0.0.0.0:2222 (Stream)\n") == [22, 2222]
    assert sshd_listen.socket_ports("2222 (Stream)\n/run/x.sock (Stream)\n[::]:53 (Datagram)\n") == [2222]


def test_the_listen_facts_of_this_machine(tmp_path, capsys):
    result = run(capsys, moduli_path=str(tmp_path / "none"), effective_users=["root", "nobody"])
    listen = result["listen"]
    if os.path.exists("/usr/sbin/sshd"):
        assert listen["ports"] and listen["error"] == "", listen
        assert [entry["user"] for entry in result["effective"]] == ["root", "nobody"]
    else:
        assert listen == {"ports": [], "config_ports": [], "socket_activated": False, "error": "sshd is not installed"}
        assert result["effective"] == []  # nothing to ask; the role's dry run on such a host says so

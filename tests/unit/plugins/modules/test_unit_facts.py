# -*- coding: utf-8 -*-
"""crhq.platform.unit_facts against a fake systemctl first on PATH (printing what systemd 252 prints for the units it
is given), and against this host's systemd when it runs one."""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import host_reads
from ansible_collections.crhq.platform.plugins.modules import unit_facts

from .module_runner import run_module

PROPERTY_ARG = "--property=Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload"
CONTAINER_ERROR = ("System has not been booted with systemd as init system (PID 1). Can't operate.\n"
                   "Failed to connect to bus: Host is down\n")

# the units the fake systemd knows: name -> (Id, LoadState, ActiveState, SubState, UnitFileState, NeedDaemonReload)
UNITS = {
    "nginx.service": ("nginx.service", "loaded", "active", "running", "enabled", "no"),
    "certbot.timer": ("certbot.timer", "loaded", "active", "waiting", "enabled", "no"),
    "ssh.socket": ("ssh.socket", "loaded", "active", "listening", "enabled", "no"),
    "sshd.service": ("ssh.service", "loaded", "active", "running", "enabled", "no"),  # an alias
    "fail2ban.service": ("fail2ban.service", "loaded", "inactive", "dead", "disabled", "no"),
    "crhq-backup.service": ("crhq-backup.service", "loaded", "active", "running", "enabled", "yes"),
    "systemd-journald.service": ("systemd-journald.service", "loaded", "active", "running", "static", "no"),
}

# A fake systemctl: logs its arguments (one JSON list per call), and for `show --property=... -- names` prints one
# block per name as systemctl does (properties in its own order, a blank line before every block after the first,
# a not-found block for a unit it does not know); FAKE_RC / FAKE_STDERR / FAKE_STDOUT in its directory override that.
FAKE = r'''#!%(python)s
import json, os, sys
here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "calls.log"), "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\n")
def read(name):
    path = os.path.join(here, name)
    return open(path).read() if os.path.exists(path) else None
if read("FAKE_RC") is not None:
    sys.stdout.write(read("FAKE_STDOUT") or "")
    sys.stderr.write(read("FAKE_STDERR") or "")
    sys.exit(int(read("FAKE_RC")))
if read("FAKE_STDOUT") is not None:
    sys.stdout.write(read("FAKE_STDOUT"))
    sys.exit(0)
units = json.loads(read("units.json"))
args = sys.argv[1:]
assert args[0] == "show" and args[2] == "--", args
blocks = []
for name in args[3:]:
    unit_id, load, active, sub, file_state, reload = units.get(name, [name, "not-found", "inactive", "dead", "", "no"])
    blocks.append("NeedDaemonReload=%%s\nId=%%s\nLoadState=%%s\nActiveState=%%s\nSubState=%%s\nUnitFileState=%%s\n"
                  %% (reload, unit_id, load, active, sub, file_state))
sys.stdout.write("\n".join(blocks))
'''


class FakeSystemctl:
    def __init__(self, directory):
        self.dir = directory

    def fail(self, rc, stderr, stdout=""):
        (self.dir / "FAKE_RC").write_text(str(rc))
        (self.dir / "FAKE_STDERR").write_text(stderr)
        (self.dir / "FAKE_STDOUT").write_text(stdout)

    def print(self, stdout):
        (self.dir / "FAKE_STDOUT").write_text(stdout)

    @property
    def calls(self):
        log = self.dir / "calls.log"
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


@pytest.fixture(name="systemctl")
def fixture_systemctl(tmp_path, monkeypatch):
    """A fake systemctl in a directory put first on PATH, where get_bin_path finds it before the real one."""
    directory = tmp_path / "bin"
    directory.mkdir()
    script = directory / "systemctl"
    script.write_text(FAKE % {"python": sys.executable})
    script.chmod(0o755)
    (directory / "units.json").write_text(json.dumps(UNITS))
    monkeypatch.setenv("PATH", "%s:%s" % (directory, os.environ.get("PATH", "")))
    return FakeSystemctl(directory)


def run(capsys, **args):
    return run_module(unit_facts.main, capsys, **args)


def expected(name):
    unit_id, load, active, sub, file_state, reload = UNITS.get(name, (name, "not-found", "inactive", "dead", "", "no"))
    return {"id": unit_id, "load_state": load, "active_state": active, "sub_state": sub,
            "unit_file_state": file_state, "need_daemon_reload": reload == "yes"}


def test_settled_and_unsettled(systemctl, capsys):
    names = ["nginx.service", "fail2ban.service", "sshd.service", "crhq-no-such-unit.service", "certbot.timer",
             "crhq-backup.service", "ssh.socket", "systemd-journald.service", "nginx.service", "fail2ban.service"]
    result = run(capsys, names=names)
    assert result["changed"] is False and not result.get("failed") and "warnings" not in result, result
    assert result["settled"] == ["nginx.service", "sshd.service", "certbot.timer", "ssh.socket"]
    assert result["unsettled"] == ["fail2ban.service", "crhq-no-such-unit.service", "crhq-backup.service",
                                   "systemd-journald.service"]
    unique = names[:-2]
    assert result["units"] == dict((name, expected(name)) for name in unique)
    assert list(result["units"]) == unique
    assert result["units"]["sshd.service"]["id"] == "ssh.service"
    # one call for every unit, each named once, after "--"
    assert systemctl.calls == [["show", PROPERTY_ARG, "--"] + unique]


def test_check_mode_reads_the_same(systemctl, capsys):
    names = ["nginx.service", "fail2ban.service", "crhq-backup.service"]
    normal = run(capsys, names=names)
    checked = run(capsys, names=names, _ansible_check_mode=True)
    assert checked["changed"] is False and not checked.get("failed"), checked
    assert [checked[key] for key in ("units", "settled", "unsettled")] == \
        [normal[key] for key in ("units", "settled", "unsettled")]
    assert checked["settled"] == ["nginx.service"]
    assert len(systemctl.calls) == 2


def test_no_names_runs_nothing(systemctl, capsys):
    result = run(capsys, names=[])
    assert not result.get("failed") and result["changed"] is False, result
    assert (result["units"], result["settled"], result["unsettled"]) == ({}, [], [])
    assert systemctl.calls == []


def test_not_booted_with_systemd_fails_saying_so(systemctl, capsys, tmp_path, monkeypatch):
    """What systemctl prints in a container whose first process is not systemd."""
    monkeypatch.setattr(host_reads, "SYSTEMD_RUN_DIR", str(tmp_path / "no-systemd"))
    systemctl.fail(1, CONTAINER_ERROR)
    result = run(capsys, names=["nginx.service"])
    assert result["failed"] and result["rc"] == 1, result
    assert "systemctl show failed (rc 1): System has not been booted with systemd" in result["msg"]
    assert "Failed to connect to bus: Host is down" in result["msg"]
    assert "this host was not booted with systemd (no %s)" % (tmp_path / "no-systemd") in result["msg"]
    assert result["stderr"] == CONTAINER_ERROR


def test_not_booted_with_systemd_said_from_the_error_alone(systemctl, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(host_reads, "SYSTEMD_RUN_DIR", str(tmp_path))  # exists
    systemctl.fail(1, CONTAINER_ERROR)
    result = run(capsys, names=["nginx.service"])
    assert result["failed"] and "this host was not booted with systemd" in result["msg"], result


def test_other_failure_names_stderr_without_the_hint(systemctl, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(host_reads, "SYSTEMD_RUN_DIR", str(tmp_path))  # a host booted with systemd
    block = "Id=nginx.service\nLoadState=loaded\n"
    systemctl.fail(1, "Failed to get properties: Access denied\n", stdout=block)
    result = run(capsys, names=["nginx.service", "ssh.socket"])
    assert result["failed"] and result["rc"] == 1, result
    assert result["msg"] == "systemctl show failed (rc 1): Failed to get properties: Access denied"
    assert result["stdout"] == block


def test_failure_without_error_output(systemctl, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(host_reads, "SYSTEMD_RUN_DIR", str(tmp_path))
    systemctl.fail(3, "")
    result = run(capsys, names=["nginx.service"])
    assert result["failed"] and result["msg"] == "systemctl show failed (rc 3): no error output", result


def test_block_count_mismatch_fails(systemctl, capsys):
    systemctl.print("Id=nginx.service\nLoadState=loaded\nActiveState=active\nSubState=running\n"
                    "UnitFileState=enabled\nNeedDaemonReload=no\n")
    result = run(capsys, names=["nginx.service", "ssh.socket"])
    assert result["failed"], result
    assert result["msg"] == ("cannot read what systemctl show printed: systemctl show printed 1 block(s) of properties"
                             " for 2 unit name(s) (nginx.service, ssh.socket)")


def test_output_that_is_not_systemctl_shows_fails(systemctl, capsys):
    systemctl.print("nginx.service loaded active running\n")
    result = run(capsys, names=["nginx.service"])
    assert result["failed"] and "line 1: not a PROPERTY=value line" in result["msg"], result


def test_bad_names_fail_naming_them_before_systemctl_runs(systemctl, capsys):
    result = run(capsys, names=["nginx.service", "nginx", "getty@.service", "ngin*.service", "ssh.socket"])
    assert result["failed"], result
    assert "'nginx', 'getty@.service', 'ngin*.service'" in result["msg"]
    assert "'nginx.service'" not in result["msg"] and "'ssh.socket'" not in result["msg"]
    assert systemctl.calls == []


def test_names_is_required(systemctl, capsys):
    result = run(capsys)
    assert result["failed"] and "names" in result["msg"]


def test_no_systemctl_fails(tmp_path, monkeypatch, capsys):
    if any(os.path.exists(os.path.join(d, "systemctl")) for d in ("/sbin", "/usr/sbin", "/usr/local/sbin")):
        pytest.skip("get_bin_path also looks in the sbin directories, where this host has a systemctl")
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run(capsys, names=["nginx.service"])
    assert result["failed"] and "systemctl" in result["msg"], result


@pytest.mark.skipif(not (shutil.which("systemctl") and os.path.isdir("/run/systemd/system")),
                    reason="needs systemd as the first process (a host booted with systemd)")
def test_this_host(capsys):
    result = run(capsys, names=["-.mount", "crhq-no-such-unit.service", "-.mount"], _ansible_check_mode=True)
    assert not result.get("failed") and result["changed"] is False, result
    assert list(result["units"]) == ["-.mount", "crhq-no-such-unit.service"]
    assert result["units"]["-.mount"]["load_state"] == "loaded"
    assert result["units"]["-.mount"]["active_state"] == "active"
    assert result["units"]["crhq-no-such-unit.service"]["load_state"] == "not-found"
    assert "crhq-no-such-unit.service" in result["unsettled"]

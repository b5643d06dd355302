# -*- coding: utf-8 -*-
"""crhq.platform.dpkg_facts against status databases laid out as dpkg keeps them, and against this host's."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.crhq.platform.plugins.modules import dpkg_facts

from .module_runner import run_module

STATUS = """Package: bash
Status: install ok installed
Priority: required
Essential: yes
Architecture: amd64
Version: 5.2.15-2+b7
Description: GNU Bourne Again SHell
 Bash is an sh-compatible command language interpreter.
 .
 Package: not-a-field

Package: nginx
Status: deinstall ok config-files
Architecture: amd64
Version: 1.22.1-9+deb12u1
Conffiles:
 /etc/nginx/nginx.conf 4f8cd5b4c2f2c2e5e8e9b1d1a7c6c2a5

Package: openssh-server
Status: hold ok installed
Architecture: amd64
Version: 1:9.2p1-2+deb12u5

Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9+deb12u10

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9+deb12u10

Package: postgresql-15
Status: install ok half-configured
Architecture: amd64
Version: 15.10-0+deb12u1
"""
HOST_STATUS = "/var/lib/dpkg/status"


def run(capsys, status_file, **args):
    return run_module(dpkg_facts.main, capsys, status_file=str(status_file), **args)


@pytest.fixture(name="admindir")
def fixture_admindir(tmp_path):
    """A dpkg administrative directory holding the status file above and an empty updates directory."""
    (tmp_path / "status").write_text(STATUS, encoding="utf-8")
    (tmp_path / "updates").mkdir()
    return tmp_path


def test_installed_and_missing(admindir, capsys):
    names = ["nginx", "bash", "openssh-server", "libc6:i386", "postgresql-15", "ssl-cert", "bash", "nginx"]
    result = run(capsys, admindir / "status", names=names)
    assert result["changed"] is False and not result.get("failed") and "warnings" not in result, result
    assert result["installed"] == {"bash": "5.2.15-2+b7", "openssh-server": "1:9.2p1-2+deb12u5",
                                   "libc6:i386": "2.36-9+deb12u10"}
    assert result["missing"] == ["nginx", "postgresql-15", "ssl-cert"]


def test_check_mode_reads_the_same(admindir, capsys):
    names = ["bash", "nginx", "libc6"]
    normal = run(capsys, admindir / "status", names=names)
    checked = run(capsys, admindir / "status", names=names, _ansible_check_mode=True)
    assert checked["changed"] is False and not checked.get("failed")
    assert (checked["installed"], checked["missing"]) == (normal["installed"], normal["missing"])
    assert (admindir / "status").read_text(encoding="utf-8") == STATUS


def test_no_names(admindir, capsys):
    result = run(capsys, admindir / "status", names=[])
    assert not result.get("failed") and result["installed"] == {} and result["missing"] == []


def test_updates_an_interrupted_dpkg_left_are_applied(admindir, capsys):
    """dpkg-query reads the status file, then the all-digit files of updates/ in order (tmp.i is not one)."""
    (admindir / "updates" / "0000").write_text(
        "Package: nginx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.1-9+deb12u1\n")
    (admindir / "updates" / "0001").write_text(
        "Package: bash\nStatus: install ok half-configured\nArchitecture: amd64\nVersion: 5.2.15-2+b8\n\n"
        "Package: ssl-cert\nStatus: install ok installed\nArchitecture: all\nVersion: 1.1.2\n")
    (admindir / "updates" / "tmp.i").write_text("Package: openssh-server\nStatus: purge ok not-installed\n")
    result = run(capsys, admindir / "status", names=["bash", "nginx", "ssl-cert", "openssh-server"])
    assert result["installed"] == {"nginx": "1.22.1-9+deb12u1", "ssl-cert": "1.1.2", "openssh-server": "1:9.2p1-2+deb12u5"}
    assert result["missing"] == ["bash"]


def test_no_updates_directory(tmp_path, capsys):
    (tmp_path / "status").write_text(STATUS, encoding="utf-8")
    assert run(capsys, tmp_path / "status", names=["bash"])["installed"] == {"bash": "5.2.15-2+b7"}


def test_a_missing_status_file_fails_naming_it(tmp_path, capsys):
    path = tmp_path / "dpkg" / "status"
    result = run(capsys, path, names=["bash"])
    assert result["failed"] and str(path) in result["msg"] and "No such file" in result["msg"], result
    assert "is dpkg installed" in result["msg"]


def test_a_status_file_that_cannot_be_read_fails_naming_it(tmp_path, capsys):
    result = run(capsys, tmp_path, names=["bash"])  # a directory
    assert result["failed"] and "cannot read dpkg's status file %s" % tmp_path in result["msg"], result


def test_a_file_dpkg_did_not_write_fails_naming_it_and_the_line(tmp_path, capsys):
    path = tmp_path / "status"
    path.write_text("root:x:0:0:root:/root:/bin/bash\nbin x 1\n")
    result = run(capsys, path, names=["bash"])
    assert result["failed"] and "%s is not a dpkg status file: line 2" % path in result["msg"], result


def test_a_bad_update_file_fails_naming_it(admindir, capsys):
    (admindir / "updates" / "0000").write_text("Status: install ok installed\n")
    result = run(capsys, admindir / "status", names=["bash"])
    assert result["failed"] and str(admindir / "updates" / "0000") in result["msg"], result


def test_malformed_names_fail_naming_them_before_any_read(tmp_path, capsys):
    result = run(capsys, tmp_path / "absent", names=["bash", "nginx=1.22.1-9", "Vim"])
    assert result["failed"] and "'nginx=1.22.1-9', 'Vim'" in result["msg"] and "'bash'" not in result["msg"], result
    assert "absent" not in result["msg"]


def test_names_is_required(admindir, capsys):
    result = run(capsys, admindir / "status")
    assert result["failed"] and "names" in result["msg"]


@pytest.mark.skipif(not (shutil.which("dpkg-query") and os.path.isfile(HOST_STATUS)), reason="needs dpkg (a Debian host)")
def test_this_host(capsys):
    """The default status file: what dpkg-query says of dpkg and bash, and nothing of a package no one has."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\\t${Version}\\n", "dpkg", "bash"],
                         check=True, capture_output=True, text=True).stdout
    versions = dict(line.split("\t") for line in out.split("\n") if line)
    result = run_module(dpkg_facts.main, capsys, names=["dpkg", "crhq-no-such-package", "bash"])
    assert not result.get("failed") and result["changed"] is False, result
    assert result["installed"] == versions and set(versions) == {"dpkg", "bash"}
    assert result["missing"] == ["crhq-no-such-package"]
    assert run(capsys, HOST_STATUS, names=["dpkg", "bash"], _ansible_check_mode=True)["installed"] == versions

# -*- coding: utf-8 -*-
"""dpkg's status database read without python-apt: which packages are installed, in the states dpkg writes."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import (DpkgStatusError, check_names, classify,
                                                                                is_installed, lookup, read_status,
                                                                                update_files)

# stanzas as dpkg 1.21 (Debian 12) writes them, shortened; each state a role can meet
STATUS = """Package: adduser
Status: install ok installed
Priority: important
Section: admin
Installed-Size: 686
Maintainer: Debian Adduser Developers <adduser@packages.debian.org>
Architecture: all
Multi-Arch: foreign
Version: 3.134
Depends: passwd
Conffiles:
 /etc/adduser.conf cc3493ecd2d09837ffdcc3e25fdfff18
 /etc/deluser.conf 11a06baf8245fd8d690b99024d228c1f
Description: add and remove users and groups
 This package includes the 'adduser' and 'deluser' commands for creating
 and removing users.
 .
 Package: not-a-field
 Status: install ok installed

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries

Package: libc6
Status: install ok installed
Architecture: i386
Multi-Arch: same
Source: glibc
Version: 2.36-9+deb12u10
Description: GNU C Library: Shared libraries

Package: libssl3
Status: deinstall ok config-files
Architecture: amd64
Multi-Arch: same
Version: 3.0.15-1~deb12u1

Package: libssl3
Status: install ok installed
Architecture: i386
Multi-Arch: same
Version: 3.0.15-1~deb12u1

Package: nginx
Status: deinstall ok config-files
Priority: optional
Section: httpd
Architecture: amd64
Version: 1.22.1-9+deb12u1
Conffiles:
 /etc/nginx/nginx.conf 4f8cd5b4c2f2c2e5e8e9b1d1a7c6c2a5
Description: small, powerful, scalable web/proxy server

Package: postgresql-15
Status: install ok half-configured
Architecture: amd64
Version: 15.10-0+deb12u1

Package: certbot
Status: install reinstreq half-installed
Architecture: all
Version: 2.1.0-4

Package: openssh-server
Status: hold ok installed
Priority: optional
Architecture: amd64
Version: 1:9.2p1-2+deb12u5
Description: secure shell (SSH) server, for secure access from remote machines

Package: ufw
Status: install ok unpacked
Architecture: all
Version: 0.36.2-1

Package: man-db
Status: install ok triggers-pending
Architecture: amd64
Version: 2.11.2-2
Triggers-Pending: /usr/share/man

Package: telnet
Status: purge ok not-installed
Architecture: all
"""

EXPECTED_INSTALLED = {"adduser": "3.134", "libc6": "2.36-9+deb12u10", "libssl3": "3.0.15-1~deb12u1",
                      "openssh-server": "1:9.2p1-2+deb12u5"}


@pytest.fixture(name="status", scope="module")
def fixture_status():
    return read_status(STATUS)


def test_fields_read(status):
    assert status["adduser"] == {"all": {"version": "3.134", "status": "install ok installed", "architecture": "all"}}
    assert sorted(status["libc6"]) == ["amd64", "i386"]
    assert status["telnet"] == {"all": {"version": "", "status": "purge ok not-installed", "architecture": "all"}}


def test_continuation_lines_are_not_fields(status):
    """Conffiles and a Description whose lines look like fields (after the leading blank) add no package."""
    assert "not-a-field" not in status
    assert set(status) == {"adduser", "libc6", "libssl3", "nginx", "postgresql-15", "certbot", "openssh-server", "ufw",
                           "man-db", "telnet"}


@pytest.mark.parametrize("value, installed", [
    ("install ok installed", True),
    ("hold ok installed", True),           # held: installed, apt only must not upgrade it
    ("deinstall ok installed", True),      # selected for removal, still installed
    ("deinstall ok config-files", False),  # removed, configuration kept
    ("purge ok not-installed", False),
    ("install ok half-configured", False),
    ("install reinstreq half-installed", False),
    ("install reinstreq installed", False),  # installed but dpkg wants it reinstalled
    ("install ok unpacked", False),
    ("install ok triggers-pending", False),
    ("install ok triggers-awaited", False),
    ("", False),
    ("install ok", False),
])
def test_is_installed(value, installed):
    assert is_installed(value) is installed


def test_classify_every_state(status):
    names = ["adduser", "libc6", "libssl3", "nginx", "postgresql-15", "certbot", "openssh-server", "ufw", "man-db",
             "telnet", "absent-package"]
    installed, missing = classify(status, names)
    assert installed == EXPECTED_INSTALLED
    assert missing == ["nginx", "postgresql-15", "certbot", "ufw", "man-db", "telnet", "absent-package"]


def test_multi_arch(status):
    installed, missing = classify(status, ["libc6:amd64", "libc6:i386", "libc6:arm64", "libssl3", "libssl3:amd64",
                                           "adduser:all", "adduser:amd64"])
    # as dpkg-query -W matches: the architecture is the package's own field, "all" for adduser
    assert installed == {"libc6:amd64": "2.36-9+deb12u10", "libc6:i386": "2.36-9+deb12u10",
                         "libssl3": "3.0.15-1~deb12u1", "adduser:all": "3.134"}
    assert missing == ["libc6:arm64", "libssl3:amd64", "adduser:amd64"]


def test_multi_arch_version_of_the_first_installed_architecture():
    status = read_status("Package: libfoo1\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 2.0-1\n\n"
                         "Package: libfoo1\nStatus: install ok installed\nArchitecture: i386\nVersion: 1.0-1\n\n"
                         "Package: libfoo1\nStatus: install ok installed\nArchitecture: armhf\nVersion: 1.0-2\n")
    assert lookup(status, "libfoo1") == "1.0-1"
    assert lookup(status, "libfoo1:armhf") == "1.0-2"
    assert lookup(status, "libfoo1:amd64") is None


def test_missing_names_in_order_once(status):
    installed, missing = classify(status, ["zsh", "adduser", "curl", "zsh", "adduser", "curl", "vim"])
    assert installed == {"adduser": "3.134"}
    assert missing == ["zsh", "curl", "vim"]


def test_no_names(status):
    assert classify(status, []) == ({}, [])


def test_empty_database():
    assert read_status("") == {} and read_status("\n\n") == {}
    assert classify({}, ["bash"]) == ({}, ["bash"])


@pytest.mark.parametrize("name", ["Nginx", "a", "-foo", ".foo", "nginx=1.22.1-9", "nginx/bookworm", "ngin*", "",
                                  "bash ", "bash\n", "libc6:", "libc6:AMD64", "libc6:amd64:i386", "na_me", "über"])
def test_malformed_name_is_refused_naming_it(status, name):
    with pytest.raises(ValueError) as info:
        classify(status, ["bash", name])
    assert repr(name) in str(info.value) and "'bash'" not in str(info.value)


def test_every_malformed_name_is_named():
    with pytest.raises(DpkgStatusError, match=r"'Foo', 'x', None"):
        check_names(["Foo", "bash", "x", None])
    with pytest.raises(DpkgStatusError, match="must be a list"):
        check_names("bash")


@pytest.mark.parametrize("name", ["g++", "libstdc++6", "python3.11", "r-base-core", "0ad", "libc6:amd64",
                                  "lib32gcc-s1:i386", "ca-certificates:all", "xz-utils:arm64"])
def test_good_names(name):
    check_names([name])


@pytest.mark.parametrize("text, message", [
    ("Package: bash\nStatus: install ok installed\nnot a field\n", "line 3: not a 'Field: value' line"),
    ("Package: bash\n\n continued\n", "line 3: a continuation line"),
    ("Package: bash\n\nStatus: install ok installed\nVersion: 5.2\n", "line 3: a stanza without a Package field"),
    (": value\n", "line 1: not a 'Field: value' line"),
])
def test_not_a_status_file(text, message):
    with pytest.raises(DpkgStatusError, match=message):
        read_status(text)


def test_not_text():
    with pytest.raises(DpkgStatusError, match="got bytes"):
        read_status(b"Package: bash\n")


def test_separators_and_line_ends():
    """Blank-only lines between stanzas, CRLF line ends, no final newline, field names in any case, and a
    description holding characters str.splitlines() would split on."""
    text = ("\n  \nPackage: bash\r\nstatus: install ok installed\r\nVERSION: 5.2.15-2+b7\r\n"
            "Description: GNU Bourne Again SHell\r\n line\u2028with\x0cbreaks\r\n \t\r\n\r\n"
            "\t\nPackage: zsh\nStatus: install ok installed\nVersion: 5.9-4+b2")
    assert classify(read_status(text), ["bash", "zsh"]) == ({"bash": "5.2.15-2+b7", "zsh": "5.9-4+b2"}, [])


def test_updates_replace_entries_in_order(status):
    """What dpkg journals in its updates directory after an interrupted run overrides the status file."""
    merged = read_status(STATUS)
    read_status("Package: nginx\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.22.1-9+deb12u2\n", merged)
    read_status("Package: adduser\nStatus: deinstall ok config-files\nArchitecture: all\nVersion: 3.134\n\n"
                "Package: curl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 7.88.1-10+deb12u8\n", merged)
    installed, missing = classify(merged, ["nginx", "adduser", "curl", "libc6"])
    assert installed == {"nginx": "1.22.1-9+deb12u2", "curl": "7.88.1-10+deb12u8", "libc6": "2.36-9+deb12u10"}
    assert missing == ["adduser"]
    assert classify(status, ["nginx"]) == ({}, ["nginx"])  # the map read first is left alone


def test_update_files_in_dpkg_order():
    assert update_files(["0002", "tmp.i", "0000", "0001", "0x1", "\u0660\u0661"]) == ["0000", "0001", "0002"]
    assert update_files([]) == []


def dpkg_query(*packages):
    """[(name, version, installed)] as dpkg-query reports them: installed when the abbreviated status (want, state,
    error) has state "i" and no error ("ii ", "hi ", "ri "), in one row per package and architecture."""
    out = subprocess.run(["dpkg-query", "-W", "-f", "${Package}\\t${Version}\\t${db:Status-Abbrev}\\n"] + list(packages),
                         check=True, capture_output=True, text=True).stdout
    rows = [line.split("\t") for line in out.split("\n") if line]
    return [(name, version, abbrev[1:3] == "i ") for name, version, abbrev in rows]


@pytest.mark.skipif(not (shutil.which("dpkg-query") and os.path.isfile("/var/lib/dpkg/status")),
                    reason="needs dpkg (a Debian host)")
def test_this_hosts_database_agrees_with_dpkg_query():
    with open("/var/lib/dpkg/status", encoding="utf-8", errors="replace") as handle:
        status = read_status(handle.read())
    versions = {name: version for name, version, _installed in dpkg_query("dpkg", "bash")}
    installed, missing = classify(status, ["dpkg", "bash", "crhq-no-such-package"])
    assert installed == versions and set(installed) == {"dpkg", "bash"}
    assert missing == ["crhq-no-such-package"]
    # every package dpkg-query lists: installed here exactly when dpkg-query says so, with the same version
    rows = dpkg_query()
    expected = {}
    for name, version, installed in rows:
        if installed:
            expected.setdefault(name, version)  # the first installed architecture, as lookup() takes it
    names = sorted({name for name, _version, _installed in rows})
    installed, missing = classify(status, names)
    assert len(names) > 10 and installed == expected
    assert missing == [name for name in names if name not in expected]

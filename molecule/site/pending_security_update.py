# -*- coding: utf-8 -*-
"""Make one security update pending on a test host, so that "security updates are applied" can fail.

Reads the security archive once, picks the smallest package whose security version is newer than the
release's, installs the release's (older) version, and drops the security source again: the hardening
role must add the archive and upgrade that package. Writes what it did to RECORD (JSON); prints it.
"""

import json
import os
import subprocess
import sys
import time

import apt

RECORD = "/var/lib/crhq-testbed/pending-security-update.json"
SOURCE = "/etc/apt/sources.list.d/crhq-testbed-security.list"
MIRROR = "http://security.debian.org/debian-security"


def apt_get(*args, check=True):
    """apt-get, waiting for its locks: the daily apt and unattended-upgrades runs may hold them when a test host
    boots (dpkg's lock through DPkg::Lock::Timeout; the package lists' lock, which has no such option, by retrying)."""
    deadline = time.monotonic() + 900
    while True:
        proc = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=900", "-qq", "-y"] + list(args),
                              capture_output=True, text=True, check=False,
                              env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        if proc.returncode == 0 or "Could not get lock" not in proc.stderr or time.monotonic() > deadline:
            break
        time.sleep(5)
    if check and proc.returncode != 0:
        raise SystemExit("apt-get %s failed: %s" % (" ".join(args), proc.stderr))
    return proc


def codename():
    with open("/etc/os-release", encoding="utf-8") as handle:
        return dict(line.rstrip("\n").split("=", 1) for line in handle if "=" in line)["VERSION_CODENAME"].strip('"')


def candidates(release):
    """(name, release version, security version) of packages not installed yet whose release version installs
    alone (every dependency already there), smallest first: a few kB of download, no kernel or toolchain."""
    cache = apt.Cache()
    found = []
    for pkg in cache:
        if pkg.is_installed or pkg.name.startswith("linux-"):
            continue
        sec = [v for v in pkg.versions if any(o.label == "Debian-Security" for o in v.origins)]
        rel = [v for v in pkg.versions if any(o.label == "Debian" and o.codename == release for o in v.origins)]
        if sec and rel and max(sec) > max(rel):
            found.append((max(rel).size, pkg.name, max(rel), max(sec).version))
    for _size, name, old, new in sorted(found, key=lambda item: item[:2]):
        cache.clear()
        pkg = cache[name]
        pkg.candidate = old
        pkg.mark_install(auto_fix=False, auto_inst=True, from_user=True)
        if [p.name for p in cache.get_changes()] == [name] and cache.broken_count == 0:
            yield name, old.version, new


def main():
    if os.path.exists(RECORD):
        print(open(RECORD, encoding="utf-8").read())
        return 0
    release = codename()
    with open(SOURCE, "w", encoding="utf-8") as handle:
        handle.write("deb %s %s-security main\n" % (MIRROR, release))
    record = {"package": None, "why": "the security archive has no newer version of any package not installed"}
    try:
        apt_get("update")
        for name, old, new in candidates(release):
            proc = apt_get("install", "--no-install-recommends", "%s=%s" % (name, old), check=False)
            if proc.returncode == 0:
                record = {"package": name, "release_version": old, "security_version": new}
                break
    finally:
        os.remove(SOURCE)
        apt_get("update")
    os.makedirs(os.path.dirname(RECORD), exist_ok=True)
    with open(RECORD, "w", encoding="utf-8") as handle:
        json.dump(record, handle)
    print(json.dumps(record))
    return 0


if __name__ == "__main__":
    sys.exit(main())

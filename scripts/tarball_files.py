"""Check that a built collection tarball holds the collection and nothing else.

The contract: the tarball's files are exactly the files git tracks, minus what galaxy.yml's
build_ignore (and ansible-galaxy's own fixed ignore list) excludes. Whatever else the checkout holds
(.venv, .tmp, caches, test output) must not ship. Prints the size and the file count; exits 1 naming
every unexpected or missing file.

Usage: python scripts/tarball_files.py TARBALL [REPO_ROOT]
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import tarfile

import yaml

# ansible-galaxy's own ignore list (ansible/galaxy/collection: _build_files_manifest_walk)
GALAXY_PATTERNS = ["MANIFEST.json", "FILES.json", "galaxy.yml", "galaxy.yaml", ".git", "*.pyc", "*.retry", "tests/output"]
GALAXY_DIRS = {"CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"}
GENERATED = {"MANIFEST.json", "FILES.json"}


def expected_files(root):
    """Tracked files that survive the ignore patterns, judged the way the build walks: a folder that matches is skipped whole."""
    with open(os.path.join(root, "galaxy.yml"), encoding="utf-8") as handle:
        galaxy = yaml.safe_load(handle)
    patterns = GALAXY_PATTERNS + ["%s-%s-*.tar.gz" % (galaxy["namespace"], galaxy["name"])] + list(galaxy.get("build_ignore") or [])
    tracked = subprocess.run(["git", "-C", root, "ls-files", "-z"], capture_output=True, check=True).stdout.decode().split("\0")
    keep = set()
    for path in filter(None, tracked):
        parts = path.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        if any(part in GALAXY_DIRS for part in parts[:-1]):
            continue
        if any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns):
            continue
        keep.add(path)
    return keep


def tarball_files(tarball):
    prefix = None
    files = set()
    with tarfile.open(tarball) as tar:
        for member in tar.getmembers():
            if member.isdir():
                continue
            name = member.name
            if name.startswith("./"):
                name = name[2:]
            if prefix is not None and name.startswith(prefix):
                name = name[len(prefix):]
            if name not in GENERATED:
                files.add(name)
    return files


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write(__doc__)
        return 2
    tarball = argv[1]
    root = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    want, got = expected_files(root), tarball_files(tarball)
    unexpected, missing = sorted(got - want), sorted(want - got)
    size = os.path.getsize(tarball)
    print("tarball %s: %d files, %.1f KiB" % (os.path.basename(tarball), len(got), size / 1024.0))
    for name in unexpected:
        print("unexpected file in the tarball (not tracked by git, or excluded by build_ignore): %s" % name)
    for name in missing:
        print("tracked collection file missing from the tarball: %s" % name)
    return 1 if unexpected or missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: app_wheelhouse
short_description: Build an offline wheelhouse of a Python project and its locked dependencies, on the controller
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - >-
    Runs on the controller (call it with C(delegate_to=localhost)) and prepares, for one target Python, a
    directory holding the wheel of the project (built from O(source), or the prebuilt O(wheel)), a wheel of
    every dependency pinned in O(requirements), and that lock file as C(requirements.lock). A host then installs with no package index
    at all, every dependency checked against its hash
    (C(pip install --no-index --find-links DIR --require-hashes --only-binary :all: -r DIR/requirements.lock),
    then C(pip install --no-index --no-deps DIR/<app_wheel>)).
  - The wheelhouse is named after the project version and a digest of everything that goes into it (the files
    of O(source) or the O(wheel) file, the lock file, O(python_version), O(architecture) and O(glibc_version)),
    so the same input gives the same release on every run and every controller, and any change gives a new one.
  - A complete wheelhouse (one that holds its C(.complete) manifest and the files it lists) is reused as it is.
    A new one is built in a hidden temporary directory inside O(cache_dir) and moved into place in one step
    once complete, so an interrupted run never leaves a wheelhouse that looks usable. Concurrent runs for
    several hosts take turns on a lock file, and the later ones find the wheelhouse already built.
  - With O(source), the project wheel is built by the controller's C(pip wheel) without build isolation (the
    installed build backend, typically setuptools, is used); when that fails the build is retried once with
    build isolation, for which pip fetches the backend from its configured index.
  - With O(wheel), nothing is built. That file, a wheel of the project made elsewhere (for example by the
    authors of an app other than the reference one), is copied into the wheelhouse under its own file name,
    and the project name and version are read from the C(METADATA) of the wheel.
  - Dependencies are fetched with C(pip download --only-binary :all:) for the target interpreter and platform,
    so no dependency is ever built from source and the host needs no compiler.
  - Keeps only the O(keep) most recently used complete wheelhouses of the same project and target in O(cache_dir).
  - Next to the files, the wheelhouse holds them once more as one uncompressed tar archive (RV(archive); wheels are
    compressed already), so that a host receives the wheelhouse as one file with M(ansible.builtin.unarchive)
    rather than one transfer and module call per wheel. The archive is made when missing or when what it holds
    does not match the manifest, never counts as a change, and is removed with its wheelhouse.
options:
  source:
    description:
      - Directory of the Python project, with a C(pyproject.toml) whose C([project]) table gives C(name) and
        C(version) literally (a dynamic version is not supported).
      - Exactly one of O(source) and O(wheel) must be given; they are mutually exclusive.
      - Symbolic links are followed; the files they point to are hashed and built as regular files.
      - Not part of the digest nor copied for the build are hidden files and directories (any path component
        that starts with C(.)), C(__pycache__), C(*.egg-info), C(*.pyc), and C(build) and C(dist) at the top
        of O(source).
    type: path
  wheel:
    description:
      - A wheel of the project that was already built, used as it is instead of building one from O(source).
      - It must be an existing file whose name ends in C(.whl), a valid zip archive holding exactly one
        top-level C(<name>-<version>.dist-info/METADATA) that gives the C(Name) and C(Version) of the project.
        That version names the release, as the C(pyproject.toml) version does with O(source).
      - The contents of the file count in the digest, so a changed wheel gives a new release.
      - Exactly one of O(source) and O(wheel) must be given; they are mutually exclusive.
    type: path
  requirements:
    description:
      - The lock file, every requirement pinned with C(--hash), for example made by
        C(pip-compile --generate-hashes).
    type: path
    required: true
  python_version:
    description: The Python of the target hosts as C(X.Y), for example V(3.11) or V(3.13).
    type: str
    required: true
  architecture:
    description: The machine architecture of the target hosts.
    type: str
    default: x86_64
    choices: [x86_64, aarch64]
  glibc_version:
    description:
      - The glibc version (C(2.Y), at least V(2.17)) of the target hosts. Wheels are accepted for the platforms
        C(manylinux_2_Y_<arch>) down to C(manylinux_2_17_<arch>) and C(manylinux2014_<arch>), newest first.
        Pure Python wheels are accepted whatever the platform.
      - V(2.36) is Debian 12, V(2.41) Debian 13.
    type: str
    default: "2.36"
  cache_dir:
    description:
      - Directory on the controller that holds the wheelhouses, one directory per release. Created when missing.
    type: path
    required: true
  keep:
    description:
      - Number of complete wheelhouses of the project to keep in O(cache_dir) for each target (O(python_version),
        O(architecture) and O(glibc_version)), the one of this run included (which is never removed). Older ones,
        by the time a run last built or used them, are removed.
      - Wheelhouses of other targets are never removed by this run, so hosts of different releases converged
        together do not remove each other's wheelhouses between building and copying them.
    type: int
    default: 5
  pip_args:
    description:
      - Further arguments for C(pip download), for example V([--index-url, https://pypi.example.org/simple]).
        The configuration of pip on the controller (C(pip.conf), C(PIP_*) variables) applies as well.
    type: list
    elements: str
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the release and reports whether it would be built; builds and removes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Needs pip on the controller's Python (the interpreter that runs the module). With O(source) it needs
    setuptools (or whatever the project's build backend is) as well, unless pip may fetch it from an index.
  - pip evaluates environment markers (of the lock file and of each package's dependencies) for the Python that
    runs it, whatever its C(--python-version). So pip download gets the lock file without markers and fetches
    every locked file; the wheelhouse holds the original lock file, whose markers the host's pip evaluates.
  - pip warnings (for example about index locations of its configuration that do not exist) are ignored;
    only pip's exit status counts.
seealso:
  - module: ansible.builtin.pip
"""

EXAMPLES = r"""
- name: Wheelhouse of the app for the host's Python
  crhq.platform.app_wheelhouse:
    source: "{{ role_path }}/../../app"
    requirements: "{{ role_path }}/../../app/requirements.lock"
    python_version: "{{ ansible_facts['python']['version']['major'] }}.{{ ansible_facts['python']['version']['minor'] }}"
    architecture: "{{ ansible_facts['architecture'] }}"
    cache_dir: "{{ lookup('ansible.builtin.env', 'HOME') }}/.cache/crhq-platform/wheelhouses"
  delegate_to: localhost
  become: false
  register: wheelhouse

- name: A directory for it on the host
  ansible.builtin.file:
    path: "/opt/crhq/app/wheelhouse/{{ wheelhouse.release }}"
    state: directory
    mode: "0755"

- name: Copy it there as one archive
  ansible.builtin.unarchive:
    src: "{{ wheelhouse.archive }}"
    dest: "/opt/crhq/app/wheelhouse/{{ wheelhouse.release }}"
    mode: "0644"

- name: Through a private index
  crhq.platform.app_wheelhouse:
    source: /srv/src/myapp
    requirements: /srv/src/myapp/requirements.lock
    python_version: "3.13"
    glibc_version: "2.41"
    cache_dir: /var/cache/wheelhouses
    pip_args: [--index-url, "https://pypi.example.org/simple"]
  delegate_to: localhost

- name: An app whose authors ship a wheel, deployed without building it again
  crhq.platform.app_wheelhouse:
    wheel: /srv/build/myapp-1.4.0-py3-none-any.whl
    requirements: /srv/build/requirements.lock
    python_version: "3.13"
    glibc_version: "2.41"
    cache_dir: /var/cache/wheelhouses
  delegate_to: localhost
  become: false
  register: wheelhouse
"""

RETURN = r"""
release:
  description: C(<version>-<first 12 hex digits of the digest>); the name of the wheelhouse directory.
  returned: always
  type: str
  sample: 0.1.0-3f9a1c2b7d4e
path:
  description: The wheelhouse directory on the controller, C(<cache_dir>/<release>).
  returned: always
  type: str
  sample: /home/deploy/.cache/crhq-platform/wheelhouses/0.1.0-3f9a1c2b7d4e
name:
  description: The project name, from C(pyproject.toml), or the wheel's C(METADATA) with O(wheel).
  returned: always
  type: str
  sample: crhq-app
version:
  description: The project version, from C(pyproject.toml), or the wheel's C(METADATA) with O(wheel).
  returned: always
  type: str
  sample: 0.1.0
digest:
  description: The full SHA-256 (hex) over the source files (or the O(wheel) file), the lock file and the target options.
  returned: always
  type: str
app_wheel:
  description:
    - File name of the project's own wheel in the wheelhouse (with O(wheel), the name of that file); null in check
      mode when it would be built.
  returned: always
  type: str
  sample: crhq_app-0.1.0-py3-none-any.whl
app_wheel_sha256:
  description: >-
    SHA-256 of the project's own wheel as built on the controller or copied from O(wheel), for a C(--hash)
    requirement on the host (so a wheel changed on its way fails the install, like the locked dependencies);
    null when RV(app_wheel) is.
  returned: always
  type: str
  sample: 3f0c5d1e0b8a0f3c2f1b9a7e6d5c4b3a29181716151413121110090807060504
files:
  description:
    - Names of the files in the wheelhouse (all wheels and C(requirements.lock)), sorted; empty in check mode
      when it would be built.
  returned: always
  type: list
  elements: str
archive:
  description:
    - The wheelhouse's files (those of RV(files)) as one uncompressed tar archive, C(<path>/.wheelhouse.tar), owned
      by root and mode 0644 inside, for M(ansible.builtin.unarchive). In check mode, where it would be.
  returned: always
  type: str
  sample: /home/deploy/.cache/crhq-platform/wheelhouses/0.1.0-3f9a1c2b7d4e/.wheelhouse.tar
python_version:
  description: The target Python the wheelhouse is for.
  returned: always
  type: str
  sample: "3.11"
pruned:
  description: Wheelhouse directories of older releases removed (in check mode, that would be removed).
  returned: always
  type: list
  elements: str
"""

import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import zipfile
import zlib
from email.parser import HeaderParser

try:
    import fcntl
except ImportError:  # pragma: no cover - not posix
    fcntl = None

try:
    import tomllib
except ImportError:  # pragma: no cover - Python < 3.11
    try:
        import tomli as tomllib
    except ImportError:
        tomllib = None

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

MANIFEST = ".complete"
ARCHIVE = ".wheelhouse.tar"
LOCK_NAME = "requirements.lock"
FORMAT = 1
VERSION_RE = re.compile(r"^([0-9]+)\.([0-9]+)$")
EXCLUDED_DIRS = ("__pycache__",)
EXCLUDED_TOP_DIRS = ("build", "dist")
ARCHITECTURES = ("x86_64", "aarch64")
TAIL_LINES = 25
PIP_ENV = {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INPUT": "1"}
RELEASE_VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+!-]*$")  # the version begins the directory name
PROJECT_NAME_RE = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")  # PEP 508
WHEEL_METADATA_RE = re.compile(r"^[^/]+\.dist-info/METADATA$")


class WheelhouseError(Exception):
    """A problem with the input or the build; the message says what and where."""


# --- input --------------------------------------------------------------------------------------------------

def parse_version(value, option):
    match = VERSION_RE.fullmatch(value or "")
    if not match:
        raise WheelhouseError("%s must have the form X.Y (for example 3.11), got %r" % (option, value))
    return int(match.group(1)), int(match.group(2))


def platform_tags(architecture, glibc_version):
    """The --platform values for pip download, most preferred (newest glibc) first."""
    if architecture not in ARCHITECTURES:
        raise WheelhouseError("architecture must be one of %s, got %r" % (", ".join(ARCHITECTURES), architecture))
    major, minor = parse_version(glibc_version, "glibc_version")
    if major != 2 or minor < 17:
        raise WheelhouseError("glibc_version must be 2.17 or later (manylinux2014), got %r" % glibc_version)
    tags = ["manylinux_2_%d_%s" % (n, architecture) for n in range(minor, 16, -1)]
    return tags + ["manylinux2014_%s" % architecture]


def read_project(source):
    """(name, version) from the [project] table of source/pyproject.toml."""
    path = os.path.join(source, "pyproject.toml")
    if not os.path.isfile(path):
        raise WheelhouseError("%s has no pyproject.toml" % source)
    if tomllib is None:
        raise WheelhouseError("reading %s needs Python 3.11 or later (tomllib) or the tomli package" % path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise WheelhouseError("%s is not valid TOML: %s" % (path, exc))
    project = data.get("project")
    if not isinstance(project, dict):
        raise WheelhouseError("%s has no [project] table" % path)
    found = {}
    for key in ("name", "version"):
        value = project.get(key)
        if not isinstance(value, str) or not value.strip():
            dynamic = key in (project.get("dynamic") or [])
            raise WheelhouseError("%s: [project] %s %s" % (
                path, key, "is dynamic; this module needs it written in the file" if dynamic else "is missing or empty"))
        found[key] = value.strip()
    if not RELEASE_VERSION_RE.match(found["version"]):
        raise WheelhouseError("%s: [project] version %r cannot name a directory" % (path, found["version"]))
    return found["name"], found["version"]


def read_wheel(wheel):
    """(name, version) from the METADATA of the wheel file `wheel`."""
    if not os.path.isfile(wheel):
        raise WheelhouseError("wheel %s is not a file" % wheel)
    if not wheel.endswith(".whl"):
        raise WheelhouseError("wheel %s is not a .whl file (its name must end in .whl)" % wheel)
    metadata = "*.dist-info/METADATA"
    try:
        with zipfile.ZipFile(wheel) as archive:
            found = sorted(name for name in archive.namelist() if WHEEL_METADATA_RE.match(name))
            if not found:
                raise WheelhouseError("wheel %s holds no *.dist-info/METADATA at its top level" % wheel)
            if len(found) > 1:
                raise WheelhouseError("wheel %s holds %d *.dist-info/METADATA files (%s), expected exactly one"
                                      % (wheel, len(found), ", ".join(found)))
            metadata = found[0]
            data = archive.read(metadata)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise WheelhouseError("wheel %s is not a zip archive (or a damaged one): %s" % (wheel, exc))
    except (RuntimeError, NotImplementedError) as exc:  # encrypted, or a compression zipfile cannot read
        raise WheelhouseError("wheel %s: cannot read %s: %s" % (wheel, metadata, exc))
    try:
        headers = HeaderParser().parsestr(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise WheelhouseError("wheel %s: %s is not UTF-8: %s" % (wheel, metadata, exc))
    values = {}
    for key in ("Name", "Version"):
        value = str(headers.get(key) or "").strip()
        if not value:
            raise WheelhouseError("wheel %s: %s has no %s (or an empty one)" % (wheel, metadata, key))
        values[key] = value
    if not PROJECT_NAME_RE.match(values["Name"]):
        raise WheelhouseError("wheel %s: %s Name %r is not a valid project name" % (wheel, metadata, values["Name"]))
    if not RELEASE_VERSION_RE.match(values["Version"]):
        raise WheelhouseError("wheel %s: %s Version %r cannot name a directory" % (wheel, metadata, values["Version"]))
    return values["Name"], values["Version"]


def normal_name(name):
    """The name as in a wheel file name (PEP 427/503): runs of -_. become _, lower case."""
    return re.sub(r"[-_.]+", "_", name).lower()


def source_files(source, skip=()):
    """Sorted (relative path, absolute path) of every file the build uses; symlinks followed.

    Directories whose real path is in `skip` (the cache, should it lie inside the source) are left out.
    """
    found = []
    skip = frozenset(os.path.realpath(path) for path in skip)

    def walk(directory, parts, ancestors):
        real = os.path.realpath(directory)
        if real in ancestors:
            raise WheelhouseError("%s: a symbolic link loop (back to %s)" % (directory, real))
        ancestors = ancestors | {real}
        for entry in sorted(os.listdir(directory)):
            full = os.path.join(directory, entry)
            if entry.startswith("."):
                continue
            if os.path.isdir(full):
                if entry in EXCLUDED_DIRS or entry.endswith(".egg-info") or (not parts and entry in EXCLUDED_TOP_DIRS):
                    continue
                if os.path.realpath(full) in skip:
                    continue
                walk(full, parts + [entry], ancestors)
            elif os.path.isfile(full):
                if not entry.endswith(".pyc"):
                    found.append(("/".join(parts + [entry]), full))
            elif os.path.islink(full):
                raise WheelhouseError("%s is a broken symbolic link (to %s)" % (full, os.readlink(full)))
            # sockets, fifos and devices are not part of a project

    walk(source, [], frozenset())
    return sorted(found)


def requirements_without_markers(text):
    """The lock file with every environment marker removed; and the names whose marker was removed.

    pip download evaluates markers, of the lock file and of each package's own dependencies, for the Python
    that runs it, not for --python-version: a controller on 3.11 preparing for a 3.13 host still wants
    psycopg's typing-extensions, and a 3.13 controller would leave out what a 3.11 host needs. Without
    markers every locked file is downloaded, whatever runs pip; the wheelhouse keeps the original lock
    file, whose markers the host's pip evaluates for itself.
    """
    kept, unmarked, entry = [], [], []
    for line in text.splitlines(True):
        entry.append(line)
        if line.rstrip("\r\n").endswith("\\"):
            continue
        first = entry[0]
        body = first.lstrip()
        if body and not body.startswith(("#", "-")) and ";" in body.split("#", 1)[0].split(" --", 1)[0]:
            name = re.match(r"^[A-Za-z0-9._-]*", body).group(0)
            unmarked.append(name)
            continuation = first.rstrip("\r\n").endswith("\\")
            requirement = re.split(r"\s*;", first.rstrip("\r\n").rstrip("\\"), maxsplit=1)[0].rstrip()
            hashes = ""
            rest = first.rstrip("\r\n").rstrip("\\").split(";", 1)[1]
            if " --" in rest:
                hashes = " --" + rest.split(" --", 1)[1].rstrip()
            entry[0] = requirement + hashes + (" \\\n" if continuation else "\n")
        kept.extend(entry)
        entry = []
    kept.extend(entry)
    return "".join(kept), unmarked


def _chunk(digest, tag, data):
    digest.update(tag + len(data).to_bytes(8, "big") + data)


def compute_digest(files, requirements_text, python_version, architecture, glibc_version):
    """SHA-256 (hex) over the files (names and contents), the lock file and the target."""
    digest = hashlib.sha256(b"crhq.platform.app_wheelhouse/%d\n" % FORMAT)
    for relative, full in files:
        _chunk(digest, b"N", os.fsencode(relative))
        with open(full, "rb") as handle:
            _chunk(digest, b"C", handle.read())
    _chunk(digest, b"R", requirements_text)
    target = {"python_version": python_version, "architecture": architecture, "glibc_version": glibc_version}
    _chunk(digest, b"T", json.dumps(target, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


# --- the cache ----------------------------------------------------------------------------------------------

def file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def load_manifest(directory, digest):
    """The manifest of the complete wheelhouse of `digest`, or None (missing, unreadable, of another digest,
    or a listed file missing or changed)."""
    try:
        with open(os.path.join(directory, MANIFEST), encoding="utf-8") as handle:
            manifest = json.load(handle)
        if not isinstance(manifest, dict) or manifest.get("digest") != digest or not isinstance(manifest.get("files"), list):
            return None
        for entry in manifest["files"]:
            path = os.path.join(directory, entry["name"])
            if "/" in entry["name"] or os.path.getsize(path) != entry["size"] or file_sha256(path) != entry["sha256"]:
                return None
        return manifest
    except (OSError, ValueError, KeyError, TypeError):
        return None


TARGET_KEYS = ("python_version", "architecture", "glibc_version")


def same_target(manifest, target):
    """True if the manifest was built for `target`; a manifest that names no target (an older format) matches
    every target, so that it is pruned in time."""
    return all(manifest.get(key) in (None, target[key]) for key in TARGET_KEYS)


def list_wheelhouses(cache_dir, name, target):
    """[(manifest mtime, release)] of the complete-looking wheelhouses of the project `name` for `target`."""
    found = []
    for entry in os.listdir(cache_dir):
        if entry.startswith("."):
            continue
        marker = os.path.join(cache_dir, entry, MANIFEST)
        try:
            with open(marker, encoding="utf-8") as handle:
                manifest = json.load(handle)
            mtime = os.stat(marker).st_mtime
        except (OSError, ValueError):
            continue
        if (isinstance(manifest, dict) and normal_name(str(manifest.get("name", ""))) == normal_name(name)
                and same_target(manifest, target)):
            found.append((mtime, entry))
    return found


def wheelhouses_to_prune(found, current, keep):
    """Releases beyond the newest `keep`, the current one always kept and counted."""
    others = sorted((item for item in found if item[1] != current), reverse=True)
    return sorted(release for _mtime, release in others[max(keep - 1, 0):])


def remove_tree(path):
    """Move a directory out of sight in one step, then delete it."""
    parent, base = os.path.split(path)
    doomed = tempfile.mkdtemp(prefix=".remove-%s-" % base, dir=parent)
    try:
        os.rename(path, os.path.join(doomed, base))
    except FileNotFoundError:
        pass  # removed meanwhile by another run
    finally:
        shutil.rmtree(doomed, ignore_errors=True)


class CacheLock:
    """An exclusive flock on cache_dir/.<name>.lock while building and pruning."""

    def __init__(self, cache_dir, name):
        self.path = os.path.join(cache_dir, ".%s.lock" % normal_name(name))
        self.handle = None

    def __enter__(self):
        self.handle = open(self.path, "a")
        if fcntl is not None:
            fcntl.flock(self.handle.fileno(), fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self.handle.close()  # releases the lock
        return False


def archive_matches(path, entries):
    """True if the tar archive at `path` holds exactly the manifest's files, each with its size and SHA-256."""
    wanted = {entry["name"]: (entry["size"], entry["sha256"]) for entry in entries}
    try:
        with tarfile.open(path, "r:") as tar:
            members = tar.getmembers()
            if sorted(member.name for member in members) != sorted(wanted) or not all(member.isfile() for member in members):
                return False
            for member in members:
                digest = hashlib.sha256()
                handle = tar.extractfile(member)
                for block in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(block)
                if (member.size, digest.hexdigest()) != wanted[member.name]:
                    return False
    except (OSError, tarfile.TarError):
        return False
    return True


def ensure_archive(directory, manifest):
    """The wheelhouse's files as one tar archive in it (made again when missing or not matching the manifest)."""
    path = os.path.join(directory, ARCHIVE)
    if archive_matches(path, manifest["files"]):
        return path
    temporary = path + ".tmp"
    with tarfile.open(temporary, "w", format=tarfile.PAX_FORMAT) as tar:
        for entry in manifest["files"]:
            info = tar.gettarinfo(os.path.join(directory, entry["name"]), arcname=entry["name"])
            info.uid, info.gid, info.uname, info.gname, info.mode = 0, 0, "root", "root", 0o644
            with open(os.path.join(directory, entry["name"]), "rb") as handle:
                tar.addfile(info, handle)
    os.rename(temporary, path)
    return path


# --- the build ----------------------------------------------------------------------------------------------

def copy_source(files, destination):
    for relative, full in files:
        target = os.path.join(destination, *relative.split("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy(full, target)  # follows symbolic links: a regular file arrives


def tail(text, lines=TAIL_LINES):
    """The last lines of pip's output, without its WARNING lines."""
    kept = [line for line in (text or "").splitlines() if line.strip() and not line.startswith("WARNING:")]
    return "\n".join(kept[-lines:])


def reason(text):
    """The line of pip's output that names the error, for a one-line message."""
    lines = text.splitlines()
    for line in lines:
        if "Error" in line:
            return line.strip(" ╰─>")
    return lines[-1] if lines else "no output"


def run_pip(module, args, cwd):
    return module.run_command([sys.executable, "-m", "pip"] + args, cwd=cwd, environ_update=PIP_ENV)


def pip_wheel_args(out, src, isolation):
    args = ["wheel", "--no-deps"]
    if not isolation:
        args.append("--no-build-isolation")
    return args + ["--wheel-dir", out, src]


def pip_download_args(out, requirements, python_version, tags, pip_args):
    args = ["download", "--require-hashes", "--only-binary", ":all:", "--implementation", "cp",
            "--python-version", python_version]
    for tag in tags:
        args += ["--platform", tag]
    return args + ["--dest", out, "-r", requirements] + list(pip_args)


def build_app_wheel(module, out, src, work):
    """Build the project wheel into `out`; return its file name."""
    rc, stdout, stderr = run_pip(module, pip_wheel_args(out, src, isolation=False), work)
    if rc != 0:
        first = tail(stderr) or tail(stdout)
        rc, stdout, stderr = run_pip(module, pip_wheel_args(out, src, isolation=True), work)
        if rc != 0:
            raise WheelhouseError(
                "pip wheel failed without build isolation and again with it (rc %d).\n"
                "Without isolation:\n%s\nWith isolation:\n%s" % (rc, first, tail(stderr) or tail(stdout)))
        module.warn("the project wheel was built with build isolation, because the build without it failed "
                    "(the controller's Python lacks the build backend or a recent enough one): %s" % reason(first))
    wheels = sorted(name for name in os.listdir(out) if name.endswith(".whl"))
    if len(wheels) != 1:
        raise WheelhouseError("pip wheel made %d wheels (%s), expected the project's one" % (len(wheels), ", ".join(wheels)))
    return wheels[0]


def write_manifest(out, manifest):
    names = sorted(name for name in os.listdir(out) if name != MANIFEST and os.path.isfile(os.path.join(out, name)))
    manifest["files"] = [{"name": name, "size": os.path.getsize(os.path.join(out, name)),
                          "sha256": file_sha256(os.path.join(out, name))} for name in names]
    temporary = os.path.join(out, MANIFEST + ".tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temporary, os.path.join(out, MANIFEST))
    return manifest


def build(module, plan):
    """Build the wheelhouse in a temporary directory and move it to plan['path']; return (manifest, built)."""
    cache_dir, final = plan["cache_dir"], plan["path"]
    work = tempfile.mkdtemp(prefix=".build-%s-" % plan["release"], dir=cache_dir)
    try:
        src, out = os.path.join(work, "src"), os.path.join(work, "out")
        os.mkdir(out)
        if plan.get("wheel"):
            app_wheel = os.path.basename(plan["wheel"])  # built elsewhere: copied as it is, under its own name
            shutil.copyfile(plan["wheel"], os.path.join(out, app_wheel))
        else:
            copy_source(plan["files"], src)
            app_wheel = build_app_wheel(module, out, src, work)
        requirements = plan["requirements"]
        with open(requirements, encoding="utf-8") as handle:
            text, unmarked = requirements_without_markers(handle.read())
        if unmarked:
            requirements = os.path.join(work, "requirements-download.lock")
            with open(requirements, "w", encoding="utf-8") as handle:
                handle.write(text)
        rc, stdout, stderr = run_pip(module, pip_download_args(
            out, requirements, plan["python_version"], plan["tags"], plan["pip_args"]), work)
        if rc != 0:
            raise WheelhouseError("pip download of the locked dependencies failed (rc %d):\n%s"
                                  % (rc, tail(stderr) or tail(stdout)))
        shutil.copyfile(plan["requirements"], os.path.join(out, LOCK_NAME))
        manifest = write_manifest(out, {
            "format": FORMAT, "release": plan["release"], "name": plan["name"], "version": plan["version"],
            "digest": plan["digest"], "python_version": plan["python_version"],
            "architecture": plan["architecture"], "glibc_version": plan["glibc_version"],
            "app_wheel": app_wheel, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        })
        os.chmod(out, 0o755)
        try:
            os.rename(out, final)
        except OSError as exc:
            if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY):
                raise
            theirs = load_manifest(final, plan["digest"])
            if theirs is not None:
                return theirs, False  # another run finished the same release first; ours is discarded
            remove_tree(final)  # an incomplete or damaged wheelhouse in the way
            os.rename(out, final)
        return manifest, True
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the module ---------------------------------------------------------------------------------------------

def make_plan(params):
    source, wheel, requirements = params.get("source"), params.get("wheel"), params["requirements"]
    if bool(source) == bool(wheel):
        raise WheelhouseError("exactly one of source (a project directory) and wheel (a prebuilt wheel file) must "
                              "be given, got %s" % ("both" if source else "neither"))
    if source and not os.path.isdir(source):
        raise WheelhouseError("source %s is not a directory" % source)
    if not os.path.isfile(requirements):
        raise WheelhouseError("requirements %s is not a file" % requirements)
    parse_version(params["python_version"], "python_version")
    tags = platform_tags(params["architecture"], params["glibc_version"])
    if params["keep"] < 1:
        raise WheelhouseError("keep must be at least 1, got %d" % params["keep"])
    name, version = read_project(source) if source else read_wheel(wheel)
    with open(requirements, "rb") as handle:
        requirements_text = handle.read()
    if b"--hash=" not in requirements_text:
        raise WheelhouseError("requirements %s holds no hashes (--hash=...); pip-compile --generate-hashes makes them"
                              % requirements)
    if source:
        files = source_files(source, skip=[params["cache_dir"]])
    else:
        files = [(os.path.basename(wheel), wheel)]
    digest = compute_digest(files, requirements_text, params["python_version"], params["architecture"],
                            params["glibc_version"])
    release = "%s-%s" % (version, digest[:12])
    return {
        "cache_dir": params["cache_dir"], "requirements": requirements, "wheel": wheel, "files": files, "tags": tags,
        "name": name, "version": version, "digest": digest, "release": release,
        "path": os.path.join(params["cache_dir"], release), "python_version": params["python_version"],
        "architecture": params["architecture"], "glibc_version": params["glibc_version"],
        "pip_args": params["pip_args"],
    }


def to_prune(module, plan):
    """Wheelhouse directories of the project beyond the newest `keep`."""
    target = {key: plan[key] for key in TARGET_KEYS}
    found = list_wheelhouses(plan["cache_dir"], plan["name"], target) if os.path.isdir(plan["cache_dir"]) else []
    return [os.path.join(plan["cache_dir"], release)
            for release in wheelhouses_to_prune(found, plan["release"], module.params["keep"])]


def mark_used(plan):
    """The manifest's time is the wheelhouse's last use: a wheelhouse in use is the newest of its target."""
    try:
        os.utime(os.path.join(plan["path"], MANIFEST))
    except FileNotFoundError:
        pass


def prune(module, plan):
    doomed = to_prune(module, plan)
    for path in doomed:
        remove_tree(path)
    return doomed


def result_of(plan, manifest, changed, pruned):
    return {
        "changed": changed or bool(pruned), "release": plan["release"], "path": plan["path"], "name": plan["name"],
        "version": plan["version"], "digest": plan["digest"], "python_version": plan["python_version"],
        "app_wheel": manifest["app_wheel"] if manifest else None,
        "app_wheel_sha256": next((entry["sha256"] for entry in manifest["files"] if entry["name"] == manifest["app_wheel"]),
                                 None) if manifest else None,
        "files": [entry["name"] for entry in manifest["files"]] if manifest else [],
        "archive": os.path.join(plan["path"], ARCHIVE),
        "pruned": pruned,
    }


def run(module):
    plan = make_plan(module.params)
    if module.check_mode:
        manifest = load_manifest(plan["path"], plan["digest"])
        module.exit_json(**result_of(plan, manifest, manifest is None, to_prune(module, plan)))
    os.makedirs(plan["cache_dir"], exist_ok=True)
    with CacheLock(plan["cache_dir"], plan["name"]):
        manifest = load_manifest(plan["path"], plan["digest"])  # again: built or removed by a run before us?
        built = False
        if manifest is None:
            manifest, built = build(module, plan)
        else:
            mark_used(plan)
        ensure_archive(plan["path"], manifest)
        pruned = prune(module, plan)
    module.exit_json(**result_of(plan, manifest, built, pruned))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            source=dict(type="path"),
            wheel=dict(type="path"),
            requirements=dict(type="path", required=True),
            python_version=dict(type="str", required=True),
            architecture=dict(type="str", default="x86_64", choices=list(ARCHITECTURES)),
            glibc_version=dict(type="str", default="2.36"),
            cache_dir=dict(type="path", required=True),
            keep=dict(type="int", default=5),
            pip_args=dict(type="list", elements="str", default=[]),
        ),
        mutually_exclusive=[("source", "wheel")],
        required_one_of=[("source", "wheel")],
        supports_check_mode=True,
    )
    try:
        run(module)
    except WheelhouseError as exc:
        module.fail_json(msg=to_native(exc))
    except (IOError, OSError) as exc:
        module.fail_json(msg="%s: %s" % (to_native(getattr(exc, "filename", None) or "app_wheelhouse"),
                                         to_native(exc.strerror or exc)))


if __name__ == "__main__":
    main()

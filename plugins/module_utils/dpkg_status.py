# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which packages dpkg has installed, read from its status database (/var/lib/dpkg/status and the updates it
journals next to it) without python-apt or a dpkg-query process. Used by crhq.platform.dpkg_facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# Debian policy 5.6.1: at least two characters, lowercase letters, digits, "+", "-" and "."; dpkg's ":arch" after it
NAME_RE = re.compile(r"[a-z0-9][a-z0-9+.-]+(?::[a-z0-9][a-z0-9-]*)?")  # used with fullmatch: no "$", which takes a "\n"
# the fields read from each stanza; the others (Description, Conffiles, Depends...) are skipped
FIELDS = ("package", "status", "version", "architecture")


class DpkgStatusError(ValueError):
    """A status file dpkg did not write, or a package name dpkg would not take; the message says which."""


def is_installed(status):
    """Whether a Status field (want, flag, state) says the package is installed: flag "ok" and state "installed",
    whatever is wanted ("install", or "hold" for a held package). Unpacked, half-configured, half-installed,
    config-files, trigger-pending and reinstreq (needs reinstalling) packages are not."""
    words = str(status).split()
    return len(words) == 3 and words[1] == "ok" and words[2] == "installed"


def _stanzas(text):
    """(line number of its first field, {field: value}) for each stanza, with only the fields in FIELDS."""
    fields, start = {}, 0
    for number, line in enumerate(text.split("\n"), 1):  # not splitlines(): a description may hold U+2028 or \f
        line = line.rstrip("\r")
        if not line:
            if start:
                yield start, fields
            fields, start = {}, 0
        elif line[0] in " \t":
            # continuation of the field above (Description, Conffiles...); a line of blanks between stanzas is
            # one more separator, as dpkg reads it
            if not start and line.strip():
                raise DpkgStatusError("line %d: a continuation line (starting with a blank) before any field: %r"
                                      % (number, line[:120]))
        else:
            name, colon, value = line.partition(":")
            if not colon or not name.strip():
                raise DpkgStatusError("line %d: not a 'Field: value' line of dpkg's status database: %r"
                                      % (number, line[:120]))
            start = start or number
            key = name.strip().lower()
            if key in FIELDS:
                fields[key] = value.strip()
    if start:
        yield start, fields


def read_status(text, status=None):
    """The packages a status file lists: {name: {architecture: {version, status, architecture}}}.

    With `status`, the map read from the status file, the stanzas of `text` (an update dpkg journalled after an
    interrupted run) replace the entries for the same package and architecture in it, as dpkg reads them, and that
    map is returned. A stanza without an Architecture field (an old not-installed entry) is kept under "".
    """
    if not isinstance(text, str):
        raise DpkgStatusError("the input must be the text of dpkg's status file, got %s" % type(text).__name__)
    status = {} if status is None else status
    for line, fields in _stanzas(text):
        name = fields.get("package", "")
        if not name:
            raise DpkgStatusError("line %d: a stanza without a Package field" % line)
        architecture = fields.get("architecture", "")
        status.setdefault(name, {})[architecture] = {"version": fields.get("version", ""),
                                                     "status": fields.get("status", ""),
                                                     "architecture": architecture}
    return status


def update_files(names):
    """The files of dpkg's updates directory to read after the status file, in dpkg's order: those named with
    digits only, sorted (dpkg numbers them with names of one length); others (its tmp.i) are not updates."""
    return sorted(name for name in names if name.isdigit() and name.isascii())


def check_names(names):
    """DpkgStatusError naming every entry of `names` that is not a Debian package name, with an optional :arch."""
    if not isinstance(names, (list, tuple)):
        raise DpkgStatusError("names must be a list of package names, got %s" % type(names).__name__)
    bad = [name for name in names if not isinstance(name, str) or not NAME_RE.fullmatch(name)]
    if bad:
        raise DpkgStatusError(
            "not a Debian package name (at least two of a-z, 0-9, +, -, . starting with a letter or digit, optionally"
            " followed by :architecture; no version, release or wildcard): %s" % ", ".join(repr(name) for name in bad))


def lookup(status, name):
    """The version dpkg has installed of `name` (a package name, or name:architecture matching the package's
    Architecture field exactly as `dpkg-query -W` does: `adduser:all`, `libc6:amd64`), or None when it has none
    installed. A name without an architecture is installed when any architecture of it is (the first listed gives
    the version)."""
    package, _colon, architecture = name.partition(":")
    for entry in status.get(package, {}).values():
        if (not architecture or entry["architecture"] == architecture) and is_installed(entry["status"]):
            return entry["version"]
    return None


def classify(status, names):
    """(installed, missing) for the package names asked about: installed maps each installed name, as given, to its
    version; missing lists the others in the order given, each once. DpkgStatusError names any malformed name."""
    check_names(names)
    installed, missing, seen = {}, [], set()
    for name in names:
        if name in seen:
            continue
        seen.add(name)
        version = lookup(status, name)
        if version is None:
            missing.append(name)
        else:
            installed[name] = version
    return installed, missing


def _octal(mode, what):
    """A mode written in octal (0700, 700, or an int whose decimal digits are octal ones) as an int."""
    text = str(mode).strip()
    if not re.fullmatch(r"0?[0-7]{3,4}", text):
        raise DpkgStatusError("%s: the mode must be octal like 0750 (got %r)" % (what, mode))
    return int(text, 8)


def read_statoverrides(text):
    """The overrides in dpkg's statoverride database (/var/lib/dpkg/statoverride, one ``owner group mode path``
    per line, as ``dpkg-statoverride --list`` prints them): path to {owner, group, mode (int)}."""
    overrides = {}
    for number, line in enumerate(str(text or "").splitlines(), 1):
        if not line.strip():
            continue
        fields = line.split(None, 3)
        if len(fields) != 4 or not fields[3].startswith("/"):
            raise DpkgStatusError("line %d of the statoverride database is not 'owner group mode path': %r" % (number, line))
        overrides[fields[3]] = {"owner": fields[0], "group": fields[1], "mode": _octal(fields[2], "line %d" % number)}
    return overrides


def statoverride_changes(text, wanted):
    """The entries of `wanted` (dicts with path, mode, and owner and group, root by default) that dpkg's
    statoverride database (its text) does not hold as they are, in the order given. Each is returned with
    ``current``: the override the database holds for that path ({owner, group, mode}), or None when it holds none
    (then one ``--add`` sets it; otherwise the different one is removed first)."""
    if not isinstance(wanted, (list, tuple)):
        raise DpkgStatusError("the wanted overrides must be a list of {path, mode} (got %r)" % (wanted,))
    current = read_statoverrides(text)
    changes = []
    for entry in wanted:
        if not isinstance(entry, dict) or not str(entry.get("path", "")).startswith("/") or "mode" not in entry:
            raise DpkgStatusError("each wanted override needs an absolute path and a mode (got %r)" % (entry,))
        want = {"owner": str(entry.get("owner", "root")), "group": str(entry.get("group", "root")),
                "mode": _octal(entry["mode"], entry["path"])}
        held = current.get(entry["path"])
        if held != want:
            changes.append(dict(entry, current=held))
    return changes

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which release directories a role may delete: all but the newest few and the protected ones.

The roles list their releases directory with one ansible.builtin.find and delete what this returns, so
a rollback target (the current and the previous release) is never removed, whatever the clock says.
"""

from __future__ import annotations

import posixpath


class ReleaseError(ValueError):
    """An argument or a find result that cannot be used; the message says which."""


def _keep(keep):
    if isinstance(keep, str) and keep.strip().isdigit():
        keep = int(keep)
    if isinstance(keep, bool) or not isinstance(keep, int):
        raise ReleaseError("keep must be an integer of at least 1, got %r" % (keep,))
    if keep < 1:
        raise ReleaseError("keep must be at least 1, got %d" % keep)
    return keep


def _name(path):
    return posixpath.basename(posixpath.normpath(path))


def _protected(protect):
    """(normalised paths, base names) of the protected releases."""
    if protect is None:
        return set(), set()
    if isinstance(protect, str):
        protect = [protect]
    if not isinstance(protect, (list, tuple)):
        raise ReleaseError("protect must be a list of release paths or names, got %s" % type(protect).__name__)
    paths, names = set(), set()
    for item in protect:
        if item is None or (isinstance(item, str) and not item.strip()):
            continue  # no previous release yet
        if not isinstance(item, str):
            raise ReleaseError("protect must hold paths or names (strings), got %r" % (item,))
        item = item.strip()
        paths.add(posixpath.normpath(item))
        name = _name(item)
        if name not in ("", ".", "..", "/"):
            names.add(name)
    return paths, names


def _release(entry, index):
    """(path, mtime) of a find entry that is a release directory, None for anything else."""
    if not isinstance(entry, dict):
        raise ReleaseError("entry %d is a %s, not a dict of ansible.builtin.find" % (index, type(entry).__name__))
    path = entry.get("path")
    if not isinstance(path, str) or not path.strip():
        raise ReleaseError("entry %d has no path (is this the `files` list of ansible.builtin.find?)" % index)
    mtime = entry.get("mtime")
    if isinstance(mtime, bool) or not isinstance(mtime, (int, float)):
        raise ReleaseError("%s: mtime must be a number, got %r" % (path, mtime))
    if entry.get("isdir") is False or entry.get("islnk") is True:
        return None  # a file or a symbolic link (such as `current`) beside the releases is not one
    return path, mtime


def releases_to_prune(found, keep, protect=None):
    """Paths of the release directories in `found` to delete, oldest first.

    found   -- the `files` list of ansible.builtin.find over the releases directory (path, mtime, isdir)
    keep    -- how many releases stay, protected ones included (at least 1)
    protect -- paths or names of releases that always stay (the current and the previous one); a path
               matches an entry with the same normalised path or the same base name
    """
    keep = _keep(keep)
    if not isinstance(found, (list, tuple)):
        raise ReleaseError("expects the `files` list of ansible.builtin.find, got %s" % type(found).__name__)
    paths, names = _protected(protect)
    releases, seen = [], set()
    for index, entry in enumerate(found):
        release = _release(entry, index)
        if release is None or posixpath.normpath(release[0]) in seen:
            continue
        seen.add(posixpath.normpath(release[0]))
        releases.append(release)
    # newest first; of two with the same mtime the greater name counts as newer
    releases.sort(key=lambda item: (item[1], _name(item[0])), reverse=True)
    protected = [path for path, dummy in releases if posixpath.normpath(path) in paths or _name(path) in names]
    room = max(keep - len(protected), 0)
    doomed = []
    for path, _mtime in releases:
        if path in protected:
            continue
        if room:
            room -= 1
            continue
        doomed.append(path)
    return doomed[::-1]

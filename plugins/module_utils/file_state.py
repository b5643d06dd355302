# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which managed files and directories are already as a role would write them.

The roles read every path they manage with one ansible.builtin.find (checksums on) and write only the
paths this returns no for: a re-run then costs one read instead of two remote calls per file.
"""

from __future__ import annotations

import hashlib
import re

STATES = ("file", "directory", "link")
MODE = re.compile(r"^0?[0-7]{3,4}$")


class FileStateError(ValueError):
    """A wanted entry or a find result that cannot be compared; the message names which."""


def _normal_mode(mode, where):
    if not isinstance(mode, str) or not MODE.fullmatch(mode):
        raise FileStateError("%s: mode must be an octal string such as '0644', got %r" % (where, mode))
    return mode.rjust(4, "0")


def _found_by_path(found, wanted, what):
    """The entries of a read (the `files` list of find or path_facts) by path, once both inputs are lists."""
    if not isinstance(found, list) or not isinstance(wanted, list):
        raise FileStateError("expects a list of found files and a list of %s, got %s and %s"
                             % (what, type(found).__name__, type(wanted).__name__))
    by_path = {}
    for entry in found:
        if not isinstance(entry, dict) or "path" not in entry:
            raise FileStateError("a found entry has no path (is this the `files` list of ansible.builtin.find?)")
        by_path[entry["path"]] = entry
    return by_path


def paths_in_place(found, wanted, contents=None):
    """Return the paths of `wanted` that `found` shows with the wanted type, owner, group, mode and content.

    found    -- the `files` list of ansible.builtin.find (path, isreg, isdir, pw_name, gr_name, mode, checksum)
    wanted   -- dicts: path (required), state file|directory|link (default file), owner and group (default root),
                mode (default '0644'); a link has src (where it points, as written) and no owner, group or mode;
                a file with secret true (one a module generates, never read back) is compared by type, owner, group
                and mode only
    contents -- path -> the text a file is written with (the rendered template); required for every other file
    """
    by_path = _found_by_path(found, wanted, "wanted paths")
    contents = contents or {}
    if not isinstance(contents, dict):
        raise FileStateError("contents must map paths to text, got %s" % type(contents).__name__)
    done = []
    for want in wanted:
        if not isinstance(want, dict) or not want.get("path"):
            raise FileStateError("a wanted entry has no path: %r" % (want,))
        path = want["path"]
        state = want.get("state", "file")
        if state not in STATES:
            raise FileStateError("%s: state must be file, directory or link, got %r" % (path, state))
        mode = _normal_mode(want.get("mode", "0644"), path)
        secret = bool(want.get("secret", False))
        if secret and state != "file":
            raise FileStateError("%s: only a file can be a secret, not a %s" % (path, state))
        if state == "file" and not secret and path not in contents:
            raise FileStateError("%s: no content given to compare the file with" % path)
        if state == "link" and not want.get("src"):
            raise FileStateError("%s: a link needs src, where it points" % path)
        now = by_path.get(path)
        if now is None:
            continue
        if state == "link":  # as the file module writes it with state=link: where it points, not its owner or mode
            if now.get("islnk") and now.get("lnk_target") == want["src"]:
                done.append(path)
            continue
        if (now.get("pw_name"), now.get("gr_name")) != (want.get("owner", "root"), want.get("group", "root")):
            continue
        if _normal_mode(now.get("mode", ""), path + " (found)") != mode:
            continue
        if state == "directory":
            if now.get("isdir"):
                done.append(path)
            continue
        if not now.get("isreg"):
            continue
        if secret:  # its content is the module's to make, and is never read back to compare
            done.append(path)
            continue
        if "checksum" not in now:
            raise FileStateError("%s: the find result has no checksum (run ansible.builtin.find with get_checksum: true)" % path)
        text = contents[path]
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        if hashlib.sha1(data).hexdigest() == now["checksum"]:  # the checksum ansible.builtin.find reports
            done.append(path)
    return done


def permission_changes(found, targets):
    """Return the entries of `targets` whose path `found` shows with another mode, or another owner or group where
    the target names one; a path `found` does not have is left out (there is nothing there to change).

    found   -- the `files` list of ansible.builtin.find or crhq.platform.path_facts (path, mode, pw_name, gr_name)
    targets -- dicts: path and mode (required), owner and group (optional: left as they are when not given)
    """
    by_path = _found_by_path(found, targets, "targets")
    changes = []
    for target in targets:
        if not isinstance(target, dict) or not target.get("path"):
            raise FileStateError("a target has no path: %r" % (target,))
        if "mode" not in target:
            raise FileStateError("%s: a target needs the mode it must have" % target["path"])
        mode = _normal_mode(target["mode"], target["path"])
        now = by_path.get(target["path"])
        if now is None:
            continue
        if (_normal_mode(now.get("mode", ""), target["path"] + " (found)") != mode
                or target.get("owner", now.get("pw_name")) != now.get("pw_name")
                or target.get("group", now.get("gr_name")) != now.get("gr_name")):
            changes.append(target)
    return changes

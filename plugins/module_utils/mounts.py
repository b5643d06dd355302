# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Mount points as the kernel shows them (/proc/self/mountinfo) and as /etc/fstab names them.

Pure functions over text, shared by the mount_options module and its unit tests: no file is read here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# options the kernel reports as given, so that a live mount can be compared with them; the others (defaults, bind,
# size=, mode=, nr_inodes=...) are /etc/fstab's only, or shown by the kernel in another form
COMPARED_FLAGS = frozenset(["nosuid", "nodev", "noexec", "ro", "noatime", "nodiratime", "relatime"])
COMPARED_KEYS = frozenset(["hidepid", "gid", "subset"])
# what kernels before 5.8 show for hidepid, and what they are called now
HIDEPID_NAMES = {"0": "off", "1": "noaccess", "2": "invisible", "4": "ptraceable"}

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


class MountsError(Exception):
    """A file that cannot be understood, or options that cannot be applied; the message says which."""


def unescape(field):
    r"""A path field of mountinfo or fstab, with the kernel's octal escapes (\040 for a space) decoded."""
    return _OCTAL_ESCAPE.sub(lambda match: chr(int(match.group(1), 8)), field)


def escape(path):
    r"""A path as fstab wants it: space, tab, newline and backslash as octal escapes."""
    return "".join("\\%03o" % ord(char) if char in " \t\n\\" else char for char in path)


def parse_mountinfo(text):
    """The mounts of /proc/self/mountinfo, in order: dicts of mount_point, root (the part of the source file
    system mounted there), fstype, source and options (the mount's and its file system's, as one list)."""
    mounts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            before, after = line.split(" - ", 1)
            fields = before.split()
            fstype, source, super_options = after.split(" ", 2)
            mounts.append({
                "mount_point": unescape(fields[4]),
                "root": unescape(fields[3]),
                "fstype": fstype,
                "source": unescape(source),
                "options": fields[5].split(",") + super_options.strip().split(","),
            })
        except (ValueError, IndexError):
            raise MountsError("mountinfo line %d is not in the kernel's format: %r" % (number, line)) from None
    return mounts


def current_mount(mounts, path):
    """The mount that is visible at path (the last one mounted there), or None when path is not a mount point."""
    found = [mount for mount in mounts if mount["mount_point"] == path]
    return found[-1] if found else None


def normalize(option):
    """An option in the form the kernel shows it now (hidepid=2 is hidepid=invisible)."""
    key, sep, value = option.partition("=")
    if key == "hidepid" and sep:
        return "hidepid=" + HIDEPID_NAMES.get(value, value)
    return option


def compared(options):
    """The options of this list that a live mount can be checked for, normalized, in order, each once."""
    result = []
    for option in options:
        option = normalize(option.strip())
        if (option in COMPARED_FLAGS or option.partition("=")[0] in COMPARED_KEYS) and option not in result:
            result.append(option)
    return result


def missing_options(wanted, live):
    """The options of wanted (compared ones only) that the live mount's options lack."""
    have = set(normalize(option) for option in live)
    return [option for option in compared(wanted) if option not in have]


def remount_options(wanted, bind):
    """The -o of `mount -o remount,...` that gives a mounted file system the wanted (compared) options."""
    return ",".join(["remount"] + (["bind"] if bind else []) + compared(wanted))


def fstab_line(source, path, fstype, options):
    """The /etc/fstab entry for this mount, without dump or fsck (0 0)."""
    return "%s %s %s %s 0 0" % (escape(source), escape(path), fstype, ",".join(options))


def _entry_fields(line):
    """The fields of an fstab entry line, or None for a blank line or a comment."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    return stripped.split()


def fstab_entries(text, path):
    """(index, fields) of each entry of /etc/fstab whose mount point is path."""
    entries = []
    for index, line in enumerate(text.splitlines()):
        fields = _entry_fields(line)
        if fields is None:
            continue
        if len(fields) < 3:
            raise MountsError("/etc/fstab line %d has fewer than 3 fields: %r" % (index + 1, line))
        if unescape(fields[1]) == path:
            entries.append((index, fields))
    return entries


def with_fstab_entry(text, line):
    """/etc/fstab's text with the entry of line's mount point set to line: an entry that says the same (spacing,
    or dump and pass of 0 left out, aside) is kept as it is; another one is replaced in its place; without one, line
    is added at the end. Every other line is kept. Two entries for the mount point are an error."""
    fields = line.split()
    path = unescape(fields[1])
    entries = fstab_entries(text, path)
    if len(entries) > 1:
        raise MountsError("/etc/fstab has %d entries for %s (lines %s): leave one, then run again"
                          % (len(entries), path, ", ".join(str(index + 1) for index, _fields in entries)))
    lines = text.splitlines()
    if entries:
        index, existing = entries[0]
        if (existing + ["0", "0"])[:6] == fields[:6]:
            return text
        lines[index] = line
    else:
        lines.append(line)
    return "\n".join(lines) + "\n"

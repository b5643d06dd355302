# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read settings files and command output of the key-value kind, and list the wanted settings that differ."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# KEY=VALUE (/etc/default/*), KEY VALUE (login.defs), key = value (sysctl's output and files)
FORMATS = {
    "equals": re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*?)\s*$"),
    "space": re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)[ \t]+(\S+)[ \t]*$"),
    "sysctl": re.compile(r"^([^\s=#;]+)[ \t]*=[ \t]*(.*?)\s*$"),
}


class KeyValueError(Exception):
    """Input that is not what the filter documents."""


def parse(text, form):
    """The settings of `text` in `form`; a key set twice keeps its last value, as the readers of these files do.
    Comment lines and lines of another shape are skipped."""
    if not isinstance(text, str):
        raise KeyValueError("the input must be text, got %s" % type(text).__name__)
    if form not in FORMATS:
        raise KeyValueError("syntax must be one of %s, got %r" % (", ".join(sorted(FORMATS)), form))
    pattern = FORMATS[form]
    found = {}
    for line in text.splitlines():
        match = pattern.match(line.strip())
        if match and not line.lstrip().startswith(("#", ";")):
            found[match.group(1)] = match.group(2)
    return found


def changes(text, wanted, form="equals", missing="include"):
    """[{key, value, current}] for each wanted setting whose value in `text` differs (compared as text); a key
    `text` does not set has current None and is listed unless `missing` is "skip" (for instance sysctl's output,
    which leaves out the keys the running kernel does not know)."""
    if not isinstance(wanted, dict):
        raise KeyValueError("wanted must be a mapping of keys to values")
    if missing not in ("include", "skip"):
        raise KeyValueError("missing must be include or skip, got %r" % (missing,))
    current = parse(text, form)
    result = []
    for key, value in wanted.items():
        have = current.get(key)
        if have is None and missing == "skip":
            continue
        if have != _text(value):
            result.append({"key": key, "value": value, "current": have})
    return result


def _text(value):
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)

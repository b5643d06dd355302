# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which Jinja plugins (filters, tests, lookups) a playbook's text names by their fully qualified names, found
without parsing it: for the worker_preload callback, which loads them once in the controller."""

from __future__ import annotations

import os
import re

_FQCN = r"([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)"
_QUOTED = r"""['"]""" + _FQCN + r"""['"]"""
# a filter after a pipe; a test after `is` or `is not`; a lookup's first argument; a filter or test named as the
# argument of map, select, reject, selectattr or rejectattr (its first argument, or its second after an attribute)
_FILTER = re.compile(r"\|\s*" + _FQCN)
_TEST = re.compile(r"\bis\s+(?:not\s+)?" + _FQCN)
_LOOKUP = re.compile(r"\b(?:lookup|query|q)\(\s*" + _QUOTED)
_NAMED = re.compile(r"\b(?:map|select|reject|selectattr|rejectattr)\(\s*(?:['\"][^'\"]*['\"]\s*,\s*)?" + _QUOTED)

# the files of a role or playbook that hold Jinja: its YAML and its templates; none is read past this size
SUFFIXES = (".yml", ".yaml", ".j2")
MAX_BYTES = 1 << 20


def plugin_names(text):
    """The fully qualified plugin names `text` uses, by kind: {'filter': set, 'test': set, 'lookup': set}.

    A name given to map/select/reject/selectattr/rejectattr may be a filter or a test: it is in both sets."""
    named = set(_NAMED.findall(text))
    return {
        "filter": set(_FILTER.findall(text)) | named,
        "test": set(_TEST.findall(text)) | named,
        "lookup": set(_LOOKUP.findall(text)),
    }


def text_files(paths):
    """Each YAML or template file (SUFFIXES, at most MAX_BYTES) at or below `paths` (files or directories), once,
    in a stable order; a path that does not exist is left out."""
    found = []
    for path in paths:
        if os.path.isfile(path):
            found.append(path)
            continue
        for root, dirs, files in os.walk(path):
            dirs.sort()
            found.extend(os.path.join(root, name) for name in sorted(files) if name.endswith(SUFFIXES))
    result, seen = [], set()
    for path in found:
        if path in seen:
            continue
        seen.add(path)
        try:
            if os.path.getsize(path) <= MAX_BYTES:
                result.append(path)
        except OSError:
            continue
    return result


def plugin_names_in_files(paths):
    """plugin_names() of every file text_files() finds at or below `paths`, merged; an unreadable file adds none."""
    names = {"filter": set(), "test": set(), "lookup": set()}
    for path in text_files(paths):
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                text = handle.read()
        except OSError:
            continue
        for kind, found in plugin_names(text).items():
            names[kind] |= found
    return names

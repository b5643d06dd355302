# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Compare the output of `sshd -T -C user=...` with the settings a role wants, per connecting user."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# sshd -T prints some values under another spelling than sshd_config takes
ALIASES = {"permitrootlogin": {"prohibit-password": "without-password"}}
# keywords whose value is a comma-separated list that sshd -T prints in the configured order
LISTS = frozenset(["pubkeyacceptedalgorithms", "kexalgorithms", "ciphers", "macs", "hostkeyalgorithms"])


class SshdEffectiveError(Exception):
    """Input that is not what the filter documents."""


def parse(lines):
    """sshd -T output lines to a dict of keyword (lowercase) to value; repeated keywords keep their first value."""
    settings = {}
    for line in lines:
        if not isinstance(line, str):
            raise SshdEffectiveError("sshd -T output must be lines of text, got %s" % type(line).__name__)
        keyword, _sep, value = line.strip().partition(" ")
        if keyword and keyword.lower() not in settings:
            settings[keyword.lower()] = value.strip()
    return settings


def normalise(keyword, value):
    keyword = keyword.lower()
    if isinstance(value, bool):
        value = "yes" if value else "no"
    elif isinstance(value, (list, tuple)):
        value = ",".join(str(item) for item in value)
    value = str(value).strip()
    return ALIASES.get(keyword, {}).get(value, value)


def mismatches(runs, expected):
    """One message per (user, keyword) whose effective value differs from `expected`.

    `runs` is the `results` list of a looped command task (each item has `item`, the user it ran for, and
    `stdout_lines`) or the `effective` list of `ssh_facts` (`user` instead of `item`); `expected` maps sshd
    keywords to the value wanted (text, a number, a bool or a list).
    """
    if not isinstance(expected, dict) or not expected:
        raise SshdEffectiveError("expected must be a non-empty mapping of sshd keywords to values")
    if not isinstance(runs, list):
        raise SshdEffectiveError("the input must be the results list of the sshd -T task, got %s" % type(runs).__name__)
    found = []
    for run in runs:
        if not isinstance(run, dict) or "stdout_lines" not in run:
            raise SshdEffectiveError("each result needs stdout_lines (was the sshd -T task skipped?)")
        user = run.get("user", run.get("item", "?"))
        if run.get("rc", 0) != 0:
            message = run.get("stderr", "").strip() or "no message"
            found.append("for %s, sshd -T failed (rc %s): %s" % (user, run["rc"], message))
            continue
        settings = parse(run["stdout_lines"])
        for keyword, value in expected.items():
            want = normalise(keyword, value)
            have = settings.get(keyword.lower())
            if have is None:
                found.append("for %s, sshd -T does not print %s" % (user, keyword.lower()))
            elif have != want:
                found.append("for %s, %s is %s, not %s" % (user, keyword.lower(), have, want))
    return found

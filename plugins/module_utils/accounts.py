# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local accounts as /etc/passwd, /etc/group and /etc/shadow hold them, behind crhq.platform.host_facts's
``accounts`` read and the account_changes and home_directories filters: each user's fields, primary and supplementary
groups, and what kind of password it has (never the hash itself), and what the roles decide from them."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.crhq.platform.plugins.module_utils.host_reads import read_text

# a shadow password field that is not a secret: empty (no password), locked without one, or no login
PLAIN_PASSWORD_FIELDS = ("", "!", "!!", "*", "!*")
# the keys of a user entry that ansible.builtin.user sets from the option of the same name
USER_KEYS = ("group", "groups", "home", "shell", "comment", "password")


# where read_accounts() reads them (changed only by tests)
PASSWD, GROUP, SHADOW = "/etc/passwd", "/etc/group", "/etc/shadow"


class AccountsError(Exception):
    """A line of an account database that cannot be read; the message names the file and the line."""


def _fields(text, count, source):
    """The colon-separated fields of each non-empty line that is not a NIS/compat line (+ or -)."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line[0] in "+-":
            continue
        fields = line.split(":")
        if len(fields) < count:
            raise AccountsError("%s line %d: %d fields, %d expected" % (source, number, len(fields), count))
        yield number, fields


def _number(value, source, number, what):
    if not re.match(r"^[0-9]+$", value):
        raise AccountsError("%s line %d: the %s %r is not a number" % (source, number, what, value))
    return int(value)


def password_kind(field):
    """The shadow password field when it holds no secret, else ``hash`` (``!hash`` when a hash is locked)."""
    if field in PLAIN_PASSWORD_FIELDS:
        return field
    return "!hash" if field.startswith("!") else "hash"


def parse_accounts(passwd_text, group_text, shadow_text=None):
    """{'users': {name: entry}, 'groups': {name: {'gid', 'members'}}} from the three files' text. A user's entry has
    uid, gid, group (its primary group's name, '' when /etc/group lacks it), groups (the supplementary groups that
    list it, sorted), comment, home, shell, and password: password_kind() of its shadow field, or None without
    shadow_text or a shadow line. The first line of a name counts, as for getpwnam()."""
    groups, by_gid = {}, {}
    for number, fields in _fields(group_text, 4, "group"):
        name = fields[0]
        gid = _number(fields[2], "group", number, "gid")
        if name not in groups:
            groups[name] = {"gid": gid, "members": [member for member in fields[3].split(",") if member]}
        by_gid.setdefault(gid, name)
    shadow = {}
    for _line_number, fields in _fields(shadow_text or "", 2, "shadow"):
        shadow.setdefault(fields[0], password_kind(fields[1]))
    users = {}
    for number, fields in _fields(passwd_text, 7, "passwd"):
        name = fields[0]
        if name in users:
            continue
        gid = _number(fields[3], "passwd", number, "gid")
        users[name] = {
            "uid": _number(fields[2], "passwd", number, "uid"),
            "gid": gid,
            "group": by_gid.get(gid, ""),
            "groups": sorted(group for group, entry in groups.items() if name in entry["members"]),
            "comment": fields[4],
            "home": fields[5],
            "shell": fields[6],
            "password": shadow.get(name) if shadow_text is not None else None,
        }
    return {"users": users, "groups": groups}


def _read(path, required=True):
    """host_reads.read_text(), with the file named when it cannot be read (None for an optional one)."""
    try:
        return read_text(path)
    except OSError as exc:
        if required:
            raise AccountsError("cannot read %s: %s" % (path, exc.strerror or exc)) from None
        return None


def read_accounts():
    """parse_accounts() of this host's files. /etc/shadow is read only to say what kind of password each user has;
    where it cannot be read (not root), every password is None."""
    try:
        return parse_accounts(_read(PASSWD), _read(GROUP), _read(SHADOW, required=False))
    except AccountsError as exc:
        raise AccountsError("%s (reading %s, %s and %s)" % (exc, PASSWD, GROUP, SHADOW)) from None


def account_changes(accounts, wanted):
    """What ansible.builtin.user would change for ``wanted`` (its options: name, and any of USER_KEYS; ``groups`` as
    the complete list, as with append false): ['absent'] when there is no such user, else the keys of USER_KEYS
    whose wanted value differs, in that order. A password is compared only as one of PLAIN_PASSWORD_FIELDS."""
    name = wanted.get("name")
    if not name:
        raise AccountsError("wanted has no name")
    unknown = sorted(set(wanted) - set(USER_KEYS) - {"name"})
    if unknown:
        raise AccountsError("wanted has keys this filter does not compare: %s" % ", ".join(unknown))
    if "password" in wanted and wanted["password"] not in PLAIN_PASSWORD_FIELDS:
        raise AccountsError("a wanted password can only be one of %s (a hash is never compared)"
                            % ", ".join(repr(field) for field in PLAIN_PASSWORD_FIELDS))
    entry = accounts.get("users", {}).get(name)
    if entry is None:
        return ["absent"]
    changes = []
    for key in USER_KEYS:
        if key not in wanted:
            continue
        value = sorted(wanted[key]) if key == "groups" else wanted[key]
        if entry.get(key) != value:
            changes.append(key)
    return changes


def home_directories(accounts, root_mode="0700", mode="0750"):
    """The home directories to close to other users: root's, those of regular accounts (uid 0 or 1000 and up, not
    nobody's 65534) under /root or /home/NAME, and those of service accounts with a login shell and a directory of
    their own under /var/lib/NAME (postgres). Each once, in the order of the accounts, with root's mode for root."""
    homes, seen = [], set()
    for name, entry in accounts.get("users", {}).items():
        home = entry["home"]
        regular = ((entry["uid"] == 0 or entry["uid"] >= 1000) and entry["uid"] != 65534
                   and re.match(r"^/(root|home/[^/]+)$", home))
        service = not re.search(r"/(nologin|false|sync)$", entry["shell"]) and re.match(r"^/var/lib/[^/]+$", home)
        if (regular or service) and home not in seen:
            seen.add(home)
            homes.append({"path": home, "mode": root_mode if name == "root" else mode})
    return homes

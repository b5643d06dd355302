# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Extra pg_hba.conf entries for the postgresql role: checked one by one and rendered as aligned lines.

Every field is checked against a closed set of characters, so no value can end a field, start a comment, quote,
continue a list onto the next field or the next line, or include another file: a rendered entry is always exactly
one pg_hba line with the fields it was given. What PostgreSQL alone can decide (which authentication option fits
which method, a group that does not exist) is left to the server's own check of the written file
(``pg_hba_file_rules``), which the role runs before any reload.
"""

from __future__ import annotations

import ipaddress
import re

VARIABLE = "postgresql_hba_extra_entries"

TYPES = ("local", "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc")
HOST_TYPES = TYPES[1:]

# method: the connection types it may be used with
METHODS = {
    "scram-sha-256": TYPES,
    "reject": TYPES,
    "peer": ("local",),
    "cert": ("hostssl",),
    "gss": HOST_TYPES,
}

REFUSED_METHODS = {
    "trust": "it lets anyone who can connect log in as any role of the entry, without a password",
    "password": "the client sends the password in clear text",
    "md5": "the collection promises scram-sha-256, not md5: passwords are stored as SCRAM verifiers, and the md5 "
           "challenge rests on a stored hash that is as good as the password (PostgreSQL 18 deprecates it); use "
           "scram-sha-256",
    "ident": "over TCP it believes whatever the client host's ident server says; use peer on the socket, scram-sha-256 "
             "or cert over TCP",
    "ldap": "the client sends the password to PostgreSQL in clear text for it to check elsewhere; the collection "
            "promises scram-sha-256",
    "radius": "the client sends the password to PostgreSQL in clear text for it to check elsewhere; the collection "
              "promises scram-sha-256",
    "pam": "the client sends the password to PostgreSQL in clear text for it to check elsewhere; the collection "
           "promises scram-sha-256",
    "sspi": "it exists only on Windows servers",
    "bsd": "it exists only on OpenBSD servers",
}

KEYS = ("type", "database", "user", "address", "method", "options", "comment")
REQUIRED = ("type", "database", "user", "method")

DATABASE_KEYWORDS = ("all", "sameuser", "samerole", "replication")
USER_KEYWORDS = ("all",)
# a database or role name as pg_hba takes it unquoted: no whitespace, quotes, commas, '#' or backslashes
NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_$.-]{0,62}", re.ASCII)
MAX_NAMES = 64

OPTION_NAMES = ("clientcert", "clientname", "map", "include_realm", "krb_realm")
OPTION_VALUE = re.compile(r"[A-Za-z0-9_.@-]{1,128}", re.ASCII)
# the values PostgreSQL accepts; checked here because PostgreSQL refuses another value without an error message in
# pg_hba_file_rules (it only logs it), so its own check could not report it
OPTION_VALUES = {"clientcert": ("verify-ca", "verify-full"), "clientname": ("CN", "DN"), "include_realm": ("0", "1")}
HOSTSSL_ONLY_OPTIONS = ("clientcert", "clientname")

COMMENT = re.compile(r"[^\x00-\x1f\x7f]{1,200}")

# the columns of the role's template: TYPE, DATABASE, USER, ADDRESS, METHOD [OPTIONS]
LINE = "%-7s %-24s %-24s %-14s %s"


class HbaEntryError(ValueError):
    """An entry PostgreSQL would refuse or the collection does not allow; the message names the entry and why."""


def _show(value):
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _names(value, field, where):
    """The database or user field: one name or keyword, a comma list, or a YAML list of them; returns the text."""
    if isinstance(value, str):
        items = value.split(",")
    elif isinstance(value, (list, tuple)) and value and all(isinstance(item, str) for item in value):
        items = list(value)
    else:
        raise HbaEntryError("%s: %s must be a name, a comma-separated list of names or a list of names, not %s"
                            % (where, field, _show(value)))
    if len(items) > MAX_NAMES:
        raise HbaEntryError("%s: %s lists more than %d names" % (where, field, MAX_NAMES))
    for item in items:
        name = item[1:] if field == "user" and item.startswith("+") else item
        if item == "":
            raise HbaEntryError("%s: %s %s has an empty name (a comma at the start or end, or two in a row would make "
                                "PostgreSQL read the next field as part of the list)" % (where, field, _show(value)))
        if item.startswith("@"):
            raise HbaEntryError("%s: %s %s: @file includes are refused, list the names in the entry"
                                % (where, field, _show(item)))
        if item.startswith("/"):
            raise HbaEntryError("%s: %s %s: regular expressions are refused, list the names in the entry"
                                % (where, field, _show(item)))
        if item.startswith("+") and field == "database":
            raise HbaEntryError("%s: database %s: +group is for the user field, a database cannot be a group"
                                % (where, _show(item)))
        if not NAME.fullmatch(name):
            raise HbaEntryError("%s: %s %s is not a name pg_hba.conf can hold unquoted: 1 to 63 letters, digits, _, "
                                "$, . and - (no spaces, quotes, commas, # or line breaks)" % (where, field, _show(item)))
        if field == "user" and item in DATABASE_KEYWORDS and item not in USER_KEYWORDS:
            raise HbaEntryError("%s: user %s is a keyword of the database field only" % (where, _show(item)))
        if item == "all" and len(items) > 1:
            raise HbaEntryError("%s: %s %s: 'all' already matches everything, list it alone" % (where, field, _show(value)))
    return ",".join(items)


def _address(value, entry_type, where):
    if entry_type == "local":
        if value not in (None, ""):
            raise HbaEntryError("%s: address %s is not allowed for type local (a unix socket has no address)"
                                % (where, _show(value)))
        return ""
    if value is None or value == "":
        raise HbaEntryError("%s: address is required for type %s: an IPv4 or IPv6 address or network in CIDR form"
                            % (where, entry_type))
    if not isinstance(value, str):
        raise HbaEntryError("%s: address must be a string, not %s" % (where, _show(value)))
    if value in ("all", "samehost", "samenet"):
        raise HbaEntryError("%s: address %s is refused: name the network in CIDR form (for example 10.0.0.0/24)"
                            % (where, _show(value)))
    if "%" in value:
        raise HbaEntryError("%s: address %s has an IPv6 zone, which pg_hba.conf does not take" % (where, _show(value)))
    try:
        return str(ipaddress.ip_network(value, strict=True))
    except ValueError as exc:
        if "has host bits set" in str(exc):
            wider = ipaddress.ip_network(value, strict=False)
            raise HbaEntryError("%s: address %s has bits set after its prefix length; write the network, %s"
                                % (where, _show(value), wider)) from None
        raise HbaEntryError("%s: address %s is not an IPv4 or IPv6 address or network in CIDR form (host names are "
                            "refused: PostgreSQL would resolve them at every connection)" % (where, _show(value))) from None


def _method(value, entry_type, where):
    if not isinstance(value, str):
        raise HbaEntryError("%s: method must be a string, not %s" % (where, _show(value)))
    if value in REFUSED_METHODS:
        raise HbaEntryError("%s: method %s is refused: %s" % (where, _show(value), REFUSED_METHODS[value]))
    if value not in METHODS:
        raise HbaEntryError("%s: method %s is not one of %s" % (where, _show(value), ", ".join(METHODS)))
    if entry_type not in METHODS[value]:
        raise HbaEntryError("%s: method %s cannot be used with type %s (only with %s)"
                            % (where, value, entry_type, ", ".join(METHODS[value])))
    return value


def _options(value, entry_type, method, where):
    if value is None or value == "":
        return ""
    if not isinstance(value, str):
        raise HbaEntryError("%s: options must be a string of name=value pairs separated by spaces, not %s"
                            % (where, _show(value)))
    pairs = value.split(" ")
    seen = set()
    for pair in pairs:
        name, equals, setting = pair.partition("=")
        if not equals or not name:
            raise HbaEntryError("%s: options %s: %s is not a name=value pair (pairs are separated by single spaces)"
                                % (where, _show(value), _show(pair)))
        if name not in OPTION_NAMES:
            raise HbaEntryError("%s: option %s is not one of %s" % (where, _show(name), ", ".join(OPTION_NAMES)))
        if name in seen:
            raise HbaEntryError("%s: option %s is given twice" % (where, name))
        seen.add(name)
        if not OPTION_VALUE.fullmatch(setting):
            raise HbaEntryError("%s: option %s has the value %s: 1 to 128 letters, digits, _, ., @ and - only"
                                % (where, name, _show(setting)))
        if name in OPTION_VALUES and setting not in OPTION_VALUES[name]:
            raise HbaEntryError("%s: option %s must be %s, not %s"
                                % (where, name, " or ".join(OPTION_VALUES[name]), _show(setting)))
        if name in HOSTSSL_ONLY_OPTIONS and entry_type != "hostssl":
            raise HbaEntryError("%s: option %s needs type hostssl (a client certificate comes with TLS only)"
                                % (where, name))
        if name == "clientcert" and method == "cert" and setting != "verify-full":
            raise HbaEntryError("%s: method cert always checks the certificate's name: clientcert must be verify-full"
                                % where)
    return value


def _comment(value, where):
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not COMMENT.fullmatch(value.strip()):
        raise HbaEntryError("%s: comment must be one line of 1 to 200 characters without control characters, not %s"
                            % (where, _show(value)))
    return value.strip()


def check_entry(entry, where):
    """One entry as a dict of the text of its fields (address in CIDR form, options and comment possibly empty)."""
    if not isinstance(entry, dict):
        raise HbaEntryError("%s: an entry must be a dict with the keys %s, not %s" % (where, ", ".join(KEYS), _show(entry)))
    unknown = sorted(str(key) for key in entry if key not in KEYS)
    if unknown:
        raise HbaEntryError("%s: unknown key(s) %s (the keys are %s)" % (where, ", ".join(unknown), ", ".join(KEYS)))
    missing = [key for key in REQUIRED if entry.get(key) in (None, "")]
    if missing:
        raise HbaEntryError("%s: %s missing" % (where, " and ".join(missing) + (" is" if len(missing) == 1 else " are")))
    entry_type = entry["type"]
    if entry_type not in TYPES:
        raise HbaEntryError("%s: type %s is not one of %s" % (where, _show(entry_type), ", ".join(TYPES)))
    method = _method(entry["method"], entry_type, where)
    return {
        "type": entry_type,
        "database": _names(entry["database"], "database", where),
        "user": _names(entry["user"], "user", where),
        "address": _address(entry.get("address"), entry_type, where),
        "method": method,
        "options": _options(entry.get("options"), entry_type, method, where),
        "comment": _comment(entry.get("comment"), where),
    }


def check_entries(entries, name=VARIABLE):
    """Every entry checked (see check_entry); None counts as no entries. Raises HbaEntryError for the first bad one."""
    if entries is None:
        return []
    if not isinstance(entries, (list, tuple)):
        raise HbaEntryError("%s must be a list of entries, not %s" % (name, _show(entries)))
    return [check_entry(entry, "%s[%d]" % (name, index)) for index, entry in enumerate(entries)]


def render_lines(entries, name=VARIABLE):
    """The pg_hba.conf lines of the entries, in order, aligned on the role's columns; a comment goes on its own line
    before its entry."""
    lines = []
    for entry in check_entries(entries, name):
        if entry["comment"]:
            lines.append("# " + entry["comment"])
        line = LINE % (entry["type"], entry["database"], entry["user"], entry["address"], entry["method"])
        if entry["options"]:
            line += " " + entry["options"]
        lines.append(line)
    return lines

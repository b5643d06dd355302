# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The state of systemd units (loaded, active, enabled, waiting for a daemon-reload), read from the output of one
`systemctl show --property=... -- unit...` call. Used by crhq.platform.unit_facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

# the properties asked of systemctl show, and the key each is returned under
PROPERTIES = (
    ("Id", "id"),
    ("LoadState", "load_state"),
    ("ActiveState", "active_state"),
    ("SubState", "sub_state"),
    ("UnitFileState", "unit_file_state"),
    ("NeedDaemonReload", "need_daemon_reload"),
)
SUFFIXES = ("service", "socket", "timer", "path", "mount", "target")
# systemd's unit name characters (a \ from systemd-escape, ":" and "-" included), a name or a name@instance, then a
# suffix; used with fullmatch, no "$" (which takes a "\n"). A template without an instance (foo@.service) is not
# taken: systemd has no state for it, and `systemctl show` fails on it ("missing the instance name"), taking down
# the whole call. No glob either: systemctl would expand it to any number of units, and the blocks it prints are
# matched to the names by position.
NAME_RE = re.compile(r"[A-Za-z0-9:_.\\-]+(?:@[A-Za-z0-9:_.\\-]+)?\.(?:%s)" % "|".join(SUFFIXES))
NAME_MAX = 255  # systemd's UNIT_NAME_MAX, less the terminating NUL


class SystemdUnitsError(ValueError):
    """A unit name systemctl would not take as one unit, or output that is not what systemctl show prints; the
    message says which."""


def check_names(names):
    """SystemdUnitsError naming every entry of `names` that is not a unit name this module can read."""
    if not isinstance(names, (list, tuple)):
        raise SystemdUnitsError("names must be a list of unit names, got %s" % type(names).__name__)
    bad = [name for name in names
           if not isinstance(name, str) or len(name) > NAME_MAX or not NAME_RE.fullmatch(name)]
    if bad:
        raise SystemdUnitsError(
            "not a systemd unit name (letters, digits, ':', '_', '.', '\\', '-', optionally '@' and an instance,"
            " then .%s; no glob, no template without an instance such as foo@.service, at most %d characters): %s"
            % (", .".join(SUFFIXES), NAME_MAX, ", ".join(repr(name) for name in bad)))


def unique_names(names):
    """The names in the order given, each once."""
    seen, unique = set(), []
    for name in names:
        if name not in seen:
            seen.add(name)
            unique.append(name)
    return unique


def show_args(names):
    """The arguments of systemctl (after its path) that print the state of these units, one block each."""
    return ["show", "--property=" + ",".join(prop for prop, _key in PROPERTIES), "--"] + list(names)


def _blocks(text):
    """The blocks of KEY=VALUE lines of systemctl show's output, each a list of (line number, line); blank lines
    separate them (one or more, and any before the first or after the last)."""
    block = []
    for number, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def parse_unit(block):
    """{id, load_state, active_state, sub_state, unit_file_state, need_daemon_reload} from one block of lines.
    Properties not printed (an older systemctl leaves out empty ones) are "" (need_daemon_reload False); others
    than those asked are ignored."""
    keys = dict(PROPERTIES)
    unit = dict((key, "") for _prop, key in PROPERTIES)
    for number, line in block:
        prop, equals, value = line.partition("=")
        if not equals or not prop or prop != prop.strip():
            raise SystemdUnitsError("line %d: not a PROPERTY=value line of systemctl show: %r" % (number, line[:120]))
        if prop in keys:
            unit[keys[prop]] = value.strip()
    unit["need_daemon_reload"] = unit["need_daemon_reload"] == "yes"
    return unit


def parse_show(text, names):
    """{name: unit} for the names systemctl show was given, in that order, from its output (one block per name, in
    the order given, whatever the Id: an alias, such as sshd.service, is shown under the Id of the unit it names,
    ssh.service). A name given twice is one entry. SystemdUnitsError when the output is not systemctl show's or has
    another number of blocks than names."""
    if not isinstance(text, str):
        raise SystemdUnitsError("the input must be the text systemctl show printed, got %s" % type(text).__name__)
    names = list(names)
    blocks = list(_blocks(text))
    if len(blocks) != len(names):
        raise SystemdUnitsError("systemctl show printed %d block(s) of properties for %d unit name(s) (%s)"
                                % (len(blocks), len(names), ", ".join(names) or "none"))
    return dict((name, parse_unit(block)) for name, block in zip(names, blocks))


def settled(unit):
    """Whether `systemctl enable --now` would leave the unit as it is: loaded, active, enabled (its unit file is
    linked where its [Install] section says, not only static, indirect, an alias or generated), and its unit file
    not changed since systemd read it."""
    return (unit["load_state"] == "loaded" and unit["active_state"] == "active"
            and unit["unit_file_state"] == "enabled" and not unit["need_daemon_reload"])


def classify(units):
    """(settled, unsettled): the names of `units` ({name: unit}) that are settled and those that are not, each in the
    order of `units`."""
    done, todo = [], []
    for name, unit in units.items():
        (done if settled(unit) else todo).append(name)
    return done, todo

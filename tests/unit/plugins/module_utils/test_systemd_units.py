# -*- coding: utf-8 -*-
"""The state of systemd units read from `systemctl show --property=...` output, as systemd 252 (Debian 12) prints it."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.systemd_units import (NAME_MAX, PROPERTIES,
                                                                                  SystemdUnitsError, check_names,
                                                                                  classify, parse_show, parse_unit,
                                                                                  settled, show_args, unique_names)

NAMES = ["nginx.service", "certbot.timer", "ssh.socket", "crhq-no-such-unit.service", "fail2ban.service",
         "crhq-backup.service", "sshd.service", "systemd-journald.service", "apache2.service",
         "getty@tty1.service", "-.mount"]

# what `systemctl show --property=Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload -- NAMES` prints:
# one block per name in the order given, a blank line between blocks, the properties in systemd's own order
SHOW = """Id=nginx.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
NeedDaemonReload=no

NeedDaemonReload=no
Id=certbot.timer
UnitFileState=enabled
LoadState=loaded
SubState=waiting
ActiveState=active

Id=ssh.socket
LoadState=loaded
ActiveState=active
SubState=listening
UnitFileState=enabled
NeedDaemonReload=no

Id=crhq-no-such-unit.service
LoadState=not-found
ActiveState=inactive
SubState=dead
UnitFileState=
NeedDaemonReload=no

Id=fail2ban.service
LoadState=loaded
ActiveState=inactive
SubState=dead
UnitFileState=disabled
NeedDaemonReload=no

Id=crhq-backup.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
NeedDaemonReload=yes

Id=ssh.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
NeedDaemonReload=no

Id=systemd-journald.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=static
NeedDaemonReload=no

Id=apache2.service
LoadState=masked
ActiveState=inactive
SubState=dead
UnitFileState=masked
NeedDaemonReload=no

Id=getty@tty1.service
LoadState=loaded
ActiveState=active
SubState=running
UnitFileState=enabled
NeedDaemonReload=no

Id=-.mount
LoadState=loaded
ActiveState=active
SubState=mounted
UnitFileState=generated
NeedDaemonReload=no
"""


def state(unit_id, load, active, sub, file_state, reload=False):
    return {"id": unit_id, "load_state": load, "active_state": active, "sub_state": sub,
            "unit_file_state": file_state, "need_daemon_reload": reload}


EXPECTED = {
    "nginx.service": state("nginx.service", "loaded", "active", "running", "enabled"),
    "certbot.timer": state("certbot.timer", "loaded", "active", "waiting", "enabled"),
    "ssh.socket": state("ssh.socket", "loaded", "active", "listening", "enabled"),
    "crhq-no-such-unit.service": state("crhq-no-such-unit.service", "not-found", "inactive", "dead", ""),
    "fail2ban.service": state("fail2ban.service", "loaded", "inactive", "dead", "disabled"),
    "crhq-backup.service": state("crhq-backup.service", "loaded", "active", "running", "enabled", reload=True),
    "sshd.service": state("ssh.service", "loaded", "active", "running", "enabled"),
    "systemd-journald.service": state("systemd-journald.service", "loaded", "active", "running", "static"),
    "apache2.service": state("apache2.service", "masked", "inactive", "dead", "masked"),
    "getty@tty1.service": state("getty@tty1.service", "loaded", "active", "running", "enabled"),
    "-.mount": state("-.mount", "loaded", "active", "mounted", "generated"),
}


def test_every_block_read_under_the_name_given():
    units = parse_show(SHOW, NAMES)
    assert units == EXPECTED
    assert list(units) == NAMES  # in the order given


def test_alias_is_returned_under_the_name_given_with_the_units_id():
    """sshd.service is an alias of ssh.service on Debian: systemctl shows it with Id=ssh.service."""
    units = parse_show(SHOW, NAMES)
    assert units["sshd.service"]["id"] == "ssh.service" and "ssh.service" not in units


def test_settled_and_unsettled_in_order():
    done, todo = classify(parse_show(SHOW, NAMES))
    assert done == ["nginx.service", "certbot.timer", "ssh.socket", "sshd.service", "getty@tty1.service"]
    assert todo == ["crhq-no-such-unit.service", "fail2ban.service", "crhq-backup.service",
                    "systemd-journald.service", "apache2.service", "-.mount"]


@pytest.mark.parametrize("changes, is_settled", [
    ({}, True),
    ({"need_daemon_reload": True}, False),
    ({"load_state": "not-found", "unit_file_state": ""}, False),
    ({"load_state": "masked", "unit_file_state": "masked"}, False),
    ({"load_state": "bad-setting"}, False),
    ({"load_state": "error"}, False),
    ({"active_state": "inactive", "sub_state": "dead"}, False),
    ({"active_state": "failed", "sub_state": "failed"}, False),
    ({"active_state": "activating", "sub_state": "start"}, False),
    ({"active_state": "reloading", "sub_state": "reload"}, False),
    ({"sub_state": "exited"}, True),  # a oneshot with RemainAfterExit
    ({"unit_file_state": "disabled"}, False),
    ({"unit_file_state": "static"}, False),
    ({"unit_file_state": "alias"}, False),
    ({"unit_file_state": "indirect"}, False),
    ({"unit_file_state": "generated"}, False),
    ({"unit_file_state": "enabled-runtime"}, False),
    ({"unit_file_state": "linked"}, False),
    ({"unit_file_state": "transient"}, False),
    ({"unit_file_state": ""}, False),
])
def test_settled(changes, is_settled):
    unit = state("nginx.service", "loaded", "active", "running", "enabled")
    unit.update(changes)
    assert settled(unit) is is_settled


def test_not_found_unit():
    units = parse_show("Id=crhq-x.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n"
                       "UnitFileState=\nNeedDaemonReload=no\n", ["crhq-x.service"])
    assert units == {"crhq-x.service": state("crhq-x.service", "not-found", "inactive", "dead", "")}
    assert classify(units) == ([], ["crhq-x.service"])


def test_properties_not_printed_are_empty():
    """An older systemctl leaves out properties with an empty value; a block is read with what it has."""
    units = parse_show("Id=crhq-x.service\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n",
                       ["crhq-x.service"])
    assert units["crhq-x.service"] == state("crhq-x.service", "not-found", "inactive", "dead", "")


def test_other_properties_are_ignored_and_values_may_hold_equals():
    unit = parse_unit(list(enumerate(["Description=a=b", "Id=nginx.service", "LoadState=loaded", "ActiveState=active",
                                      "SubState=running", "UnitFileState=enabled", "NeedDaemonReload=no",
                                      "ExecStart={ path=/usr/sbin/nginx ; argv[]=/usr/sbin/nginx }"], 1)))
    assert unit == state("nginx.service", "loaded", "active", "running", "enabled")


@pytest.mark.parametrize("value, need", [("yes", True), ("no", False), ("", False)])
def test_need_daemon_reload(value, need):
    unit = parse_show("Id=a.service\nNeedDaemonReload=%s\n" % value, ["a.service"])["a.service"]
    assert unit["need_daemon_reload"] is need


def test_separators_and_line_ends():
    """Blank lines before, between and after blocks, CRLF line ends, and no final newline."""
    text = ("\n\nId=a.service\r\nLoadState=loaded\r\nActiveState=active\r\nSubState=running\r\n"
            "UnitFileState=enabled\r\nNeedDaemonReload=no\r\n\r\n\n  \nId=b.timer\nLoadState=loaded\n"
            "ActiveState=inactive\nSubState=dead\nUnitFileState=disabled\nNeedDaemonReload=no")
    units = parse_show(text, ["a.service", "b.timer"])
    assert units == {"a.service": state("a.service", "loaded", "active", "running", "enabled"),
                     "b.timer": state("b.timer", "loaded", "inactive", "dead", "disabled")}


def test_a_name_given_twice_is_one_entry():
    block = "Id=a.service\nLoadState=loaded\nActiveState=active\nSubState=running\nUnitFileState=enabled\n"
    units = parse_show(block + "\n" + block, ["a.service", "a.service"])
    assert list(units) == ["a.service"] and classify(units) == (["a.service"], [])


def test_no_names():
    assert parse_show("", []) == {} and classify({}) == ([], [])


@pytest.mark.parametrize("text, names, message", [
    (SHOW, NAMES[:-1], "printed 11 block(s) of properties for 10 unit name(s)"),
    (SHOW, NAMES + ["crhq.service"], "printed 11 block(s) of properties for 12 unit name(s)"),
    ("", ["a.service"], "printed 0 block(s) of properties for 1 unit name(s) (a.service)"),
    ("Id=a.service\n", [], "printed 1 block(s) of properties for 0 unit name(s) (none)"),
    # a block missing between two others (the blank line lost): one block too few
    ("Id=a.service\nLoadState=loaded\nId=b.service\nLoadState=loaded\n", ["a.service", "b.service"],
     "printed 1 block(s) of properties for 2 unit name(s) (a.service, b.service)"),
])
def test_block_count_differs_from_names(text, names, message):
    with pytest.raises(SystemdUnitsError) as info:
        parse_show(text, names)
    assert message in str(info.value)


@pytest.mark.parametrize("text, message", [
    ("Id=a.service\nnot a property\n", "line 2: not a PROPERTY=value line of systemctl show: 'not a property'"),
    ("=a.service\n", "line 1: not a PROPERTY=value line"),
    ("Failed to get properties: Unit name foo@.service is missing the instance name.\n", "line 1: not a"),
])
def test_not_systemctl_show_output(text, message):
    with pytest.raises(SystemdUnitsError, match=message):
        parse_show(text, ["a.service"])


def test_not_text():
    with pytest.raises(SystemdUnitsError, match="got bytes"):
        parse_show(b"Id=a.service\n", ["a.service"])


@pytest.mark.parametrize("name", [
    "nginx", "nginx.conf", "nginx.Service", "nginx.device", "nginx.slice", "nginx.scope", "nginx.swap",
    "nginx.automount", "getty@.service", "ngin*.service", "nginx?.service", "[ab].service", "nginx .service",
    "nginx.service ", "nginx.service\n", "über.service", "a/b.service", "a@b@c.service", ".service", "@tty1.service",
    "1", "", "x" * (NAME_MAX - 7) + ".service",
])
def test_bad_name_is_refused_naming_it(name):
    with pytest.raises(ValueError) as info:
        check_names(["nginx.service", name])
    assert repr(name) in str(info.value) and "'nginx.service'" not in str(info.value)


def test_every_bad_name_is_named():
    with pytest.raises(SystemdUnitsError, match=r"'nginx', 'getty@\.service', None, 3$"):
        check_names(["nginx", "ssh.socket", "getty@.service", None, "certbot.timer", 3])
    with pytest.raises(SystemdUnitsError, match="must be a list"):
        check_names("nginx.service")


@pytest.mark.parametrize("name", [
    "nginx.service", "certbot.timer", "ssh.socket", "systemd-tmpfiles-clean.path", "-.mount", "var-lib.mount",
    "multi-user.target", "getty@tty1.service", "postgresql@15-main.service", "user@1000.service",
    "systemd-fsck@dev-disk-by\\x2duuid-0b1c.service", "dbus-org.freedesktop.login1.service",
    "x" * (NAME_MAX - 8) + ".service", "a:b_c.service",
])
def test_good_names(name):
    check_names([name])


def test_show_args():
    assert show_args(["a.service", "b.timer"]) == [
        "show", "--property=Id,LoadState,ActiveState,SubState,UnitFileState,NeedDaemonReload", "--",
        "a.service", "b.timer"]
    assert [key for _prop, key in PROPERTIES] == ["id", "load_state", "active_state", "sub_state", "unit_file_state",
                                                  "need_daemon_reload"]


def test_unique_names():
    assert unique_names(["b.service", "a.service", "b.service", "c.timer", "a.service"]) == [
        "b.service", "a.service", "c.timer"]
    assert unique_names([]) == []


def systemctl_value(prop, unit):
    return subprocess.run(["systemctl", "show", "--property=" + prop, "--value", "--", unit],
                          check=True, capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(not (shutil.which("systemctl") and os.path.isdir("/run/systemd/system")),
                    reason="needs systemd as the first process (a host booted with systemd)")
def test_this_hosts_units_agree_with_systemctl_one_by_one():
    """-.mount exists wherever systemd runs, default.target is an alias, and the third unit does not exist: the
    blocks of one call are matched to the names given as one call per unit reads them."""
    names = ["-.mount", "default.target", "crhq-no-such-unit.service"]
    out = subprocess.run(["systemctl"] + show_args(names), check=True, capture_output=True, text=True).stdout
    units = parse_show(out, names)
    assert list(units) == names
    for name in names:
        expected = dict((key, systemctl_value(prop, name)) for prop, key in PROPERTIES)
        expected["need_daemon_reload"] = expected["need_daemon_reload"] == "yes"
        assert units[name] == expected
    assert units["-.mount"]["load_state"] == "loaded" and units["-.mount"]["active_state"] == "active"
    assert units["default.target"]["id"] != "default.target" and units["default.target"]["id"].endswith(".target")
    assert units["crhq-no-such-unit.service"]["load_state"] == "not-found"
    assert "crhq-no-such-unit.service" in classify(units)[1]

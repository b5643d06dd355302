# -*- coding: utf-8 -*-
"""The capability bounding set as /proc/<pid>/status shows it: every name of a full set, a container's narrower
set, a bit newer than the table, and texts that are not such a line."""

from __future__ import annotations

import re

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.host_reads import (CAPABILITY_NAMES, CapabilityError,
                                                                               parse_bounding_set, read_bounding_set)


def test_a_full_set_names_every_capability_of_linux_6():
    # a root shell on a Linux 6.x host (41 capabilities, up to cap_checkpoint_restore = 40)
    names = parse_bounding_set("Name:\tbash\nCapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n")
    assert len(names) == 41 and set(names) == set(CAPABILITY_NAMES)
    assert CAPABILITY_NAMES[20] == "cap_sys_pacct" and CAPABILITY_NAMES[21] == "cap_sys_admin"


def test_dockers_default_set_lacks_process_accounting():
    names = parse_bounding_set("CapBnd:\t00000000a80425fb\n")
    assert names == sorted(["cap_chown", "cap_dac_override", "cap_fowner", "cap_fsetid", "cap_kill", "cap_setgid",
                            "cap_setuid", "cap_setpcap", "cap_net_bind_service", "cap_net_raw", "cap_sys_chroot",
                            "cap_mknod", "cap_audit_write", "cap_setfcap"])
    with_pacct = parse_bounding_set("CapBnd:\t%016x\n" % (0xa80425fb | 1 << 20))
    assert set(with_pacct) - set(names) == {"cap_sys_pacct"}


def test_a_bit_newer_than_the_table_keeps_its_number():
    assert parse_bounding_set("CapBnd:\t%016x\n" % (1 << 41 | 1)) == ["cap_41", "cap_chown"]


@pytest.mark.parametrize("text, message", [
    ("Name:\tbash\nCapEff:\t0000000000000000\n", "no CapBnd line"),
    ("CapBnd:\tnot-hex\n", "not a hexadecimal mask"),
    ("", "no CapBnd line"),
])
def test_a_text_without_a_readable_set_is_refused(text, message):
    with pytest.raises(CapabilityError, match=message):
        parse_bounding_set(text)


def test_the_file_is_named_when_it_cannot_be_read(tmp_path):
    with pytest.raises(CapabilityError, match=re.escape("cannot read %s" % (tmp_path / "gone"))):
        read_bounding_set(str(tmp_path / "gone"))
    (tmp_path / "status").write_text("Name:\tx\n")
    with pytest.raises(CapabilityError, match=re.escape("%s: no CapBnd" % (tmp_path / "status"))):
        read_bounding_set(str(tmp_path / "status"))
    assert read_bounding_set()  # this process's own set is readable and not empty

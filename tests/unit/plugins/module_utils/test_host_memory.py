# -*- coding: utf-8 -*-
"""The host's RAM as host_facts reads it (memory): the same number as the setup module's memtotal_mb fact, and
texts that are not a /proc/meminfo refused with the file named."""

from __future__ import annotations

import pytest
from ansible.module_utils.facts.hardware.linux import LinuxHardware

from ansible_collections.crhq.platform.plugins.module_utils.host_reads import (MemoryReadError, parse_memtotal_mb,
                                                                               read_memtotal_mb)

MEMINFO = "MemTotal:        4026532 kB\nMemFree:          123456 kB\nMemAvailable:    2000000 kB\n"


def test_whole_mib_rounded_down():
    assert parse_memtotal_mb(MEMINFO) == 3932
    assert parse_memtotal_mb("MemFree: 1 kB\nMemTotal: 1048575 kB\n") == 1023


def test_this_hosts_memory_is_the_setup_modules_fact():
    # the fact the hardware subset gathers, computed by ansible-core's own code on this machine
    fact = LinuxHardware(module=None).get_memory_facts()["memtotal_mb"]
    assert read_memtotal_mb() == fact > 0


@pytest.mark.parametrize("text, message", [
    ("MemFree: 1 kB\n", "no MemTotal line"),
    ("MemTotal: lots kB\n", "not a number of kB: 'lots kB'"),
    ("MemTotal: 4026532 MB\n", "not a number of kB"),
    ("MemTotal:\n", "not a number of kB"),
    ("", "no MemTotal line"),
])
def test_a_text_without_a_total_in_kb_is_refused(text, message):
    with pytest.raises(MemoryReadError, match=message):
        parse_memtotal_mb(text)


def test_the_file_is_named_when_it_cannot_be_read_or_parsed(tmp_path):
    with pytest.raises(MemoryReadError, match="cannot read %s" % (tmp_path / "gone")):
        read_memtotal_mb(str(tmp_path / "gone"))
    (tmp_path / "meminfo").write_text("Cached: 1 kB\n")
    with pytest.raises(MemoryReadError, match="%s: no MemTotal line" % (tmp_path / "meminfo")):
        read_memtotal_mb(str(tmp_path / "meminfo"))

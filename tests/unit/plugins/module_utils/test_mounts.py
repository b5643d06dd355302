# -*- coding: utf-8 -*-
"""plugins/module_utils/mounts.py: mountinfo as Debian 12 and 13 kernels write it, and /etc/fstab edits."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import mounts

# lines of a Debian 12 VM's /proc/self/mountinfo, after the role ran (a space in one mount point)
MOUNTINFO = """\
21 26 0:20 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
27 22 0:5 / /dev/shm rw,nosuid,nodev shared:3 - tmpfs tmpfs rw,inode64
40 26 254:1 /tmp /tmp rw,nosuid,nodev,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
41 26 0:40 / /srv/my\\040data rw,relatime shared:20 - tmpfs none rw,size=1024k
"""


def test_mountinfo_fields_and_escapes():
    found = mounts.parse_mountinfo(MOUNTINFO)
    assert [m["mount_point"] for m in found] == ["/sys", "/proc", "/", "/dev/shm", "/tmp", "/srv/my data"]
    tmp = mounts.current_mount(found, "/tmp")
    assert (tmp["root"], tmp["fstype"], tmp["source"]) == ("/tmp", "ext4", "/dev/vda1")
    assert tmp["options"] == ["rw", "nosuid", "nodev", "relatime", "rw", "errors=remount-ro"]
    assert mounts.current_mount(found, "/var/tmp") is None


def test_the_last_mount_on_a_point_is_the_one_seen():
    text = MOUNTINFO + "50 22 0:60 / /proc rw,relatime shared:30 - proc proc rw,hidepid=invisible,gid=998\n"
    assert "hidepid=invisible" in mounts.current_mount(mounts.parse_mountinfo(text), "/proc")["options"]


def test_a_line_not_in_the_kernels_format_is_named():
    with pytest.raises(mounts.MountsError, match="mountinfo line 2"):
        mounts.parse_mountinfo("21 26 0:20 / /sys rw - sysfs sysfs rw\nnot a mount line\n")


@pytest.mark.parametrize("wanted, live, missing", [
    (["defaults", "nosuid", "nodev", "noexec"], ["rw", "nosuid", "nodev", "rw", "inode64"], ["noexec"]),
    (["defaults", "nosuid", "nodev", "noexec"], ["rw", "nosuid", "nodev", "noexec", "relatime"], []),
    # kernels before 5.8 show hidepid as a number
    (["defaults", "hidepid=invisible", "gid=998"], ["rw", "relatime", "rw", "hidepid=2", "gid=998"], []),
    (["defaults", "hidepid=2", "gid=998"], ["rw", "rw", "hidepid=invisible", "gid=0"], ["gid=998"]),
    (["defaults", "hidepid=invisible", "gid=998"], ["rw", "relatime", "rw"], ["hidepid=invisible", "gid=998"]),
    # fstab-only options are never compared
    (["bind", "nosuid", "nodev"], ["rw", "nosuid", "nodev", "relatime"], []),
    (["mode=1777", "size=50%", "nosuid"], ["rw", "nosuid", "rw", "size=1015404k", "mode=1777"], []),
])
def test_missing_options(wanted, live, missing):
    assert mounts.missing_options(wanted, live) == missing


def test_remount_options():
    assert mounts.remount_options(["defaults", "nosuid", "nodev", "noexec"], False) == "remount,nosuid,nodev,noexec"
    assert mounts.remount_options(["bind", "nosuid", "nodev"], True) == "remount,bind,nosuid,nodev"
    assert mounts.remount_options(["defaults", "hidepid=2", "gid=998"], False) == "remount,hidepid=invisible,gid=998"


FSTAB = """\
# /etc/fstab: static file system information.
# <file system> <mount point>   <type>  <options>       <dump>  <pass>
UUID=0d3c-4e1f /               ext4    errors=remount-ro 0       1
# tmpfs /dev/shm tmpfs defaults 0 0
/dev/vdb1 /srv/my\\040data ext4 defaults 0 2
"""


def test_an_entry_is_added_at_the_end_and_comments_naming_the_point_are_kept():
    line = mounts.fstab_line("tmpfs", "/dev/shm", "tmpfs", ["defaults", "nosuid", "nodev", "noexec"])
    after = mounts.with_fstab_entry(FSTAB, line)
    assert after == FSTAB + "tmpfs /dev/shm tmpfs defaults,nosuid,nodev,noexec 0 0\n"
    assert mounts.with_fstab_entry(after, line) == after  # the second run changes nothing


def test_an_entry_that_says_the_same_is_left_and_another_is_replaced_in_place():
    spaced = FSTAB + "tmpfs\t/dev/shm  tmpfs defaults,nosuid,nodev,noexec\n"  # no dump and pass: 0 0
    line = mounts.fstab_line("tmpfs", "/dev/shm", "tmpfs", ["defaults", "nosuid", "nodev", "noexec"])
    assert mounts.with_fstab_entry(spaced, line) == spaced
    older = FSTAB.replace("/dev/vdb1", "tmpfs /dev/shm tmpfs defaults 0 0\n/dev/vdb1")
    after = mounts.with_fstab_entry(older, line)
    assert after.splitlines()[4] == line and len(after.splitlines()) == len(older.splitlines())


def test_a_mount_point_with_a_space_is_escaped_and_matched():
    line = mounts.fstab_line("/dev/vdb1", "/srv/my data", "ext4", ["defaults", "nosuid"])
    assert line == "/dev/vdb1 /srv/my\\040data ext4 defaults,nosuid 0 0"
    after = mounts.with_fstab_entry(FSTAB, line)
    assert after.splitlines()[4] == line


def test_two_entries_for_a_point_are_refused():
    twice = FSTAB + "tmpfs /dev/shm tmpfs defaults 0 0\ntmpfs /dev/shm tmpfs defaults,noexec 0 0\n"
    with pytest.raises(mounts.MountsError, match="2 entries for /dev/shm .lines 6, 7."):
        mounts.with_fstab_entry(twice, mounts.fstab_line("tmpfs", "/dev/shm", "tmpfs", ["defaults"]))


def test_an_empty_or_missing_fstab_gets_the_entry():
    assert mounts.with_fstab_entry("", "proc /proc proc defaults 0 0") == "proc /proc proc defaults 0 0\n"


def test_a_short_entry_is_named():
    with pytest.raises(mounts.MountsError, match="line 2 has fewer than 3 fields"):
        mounts.with_fstab_entry("# x\n/dev/vda1 /\n", "proc /proc proc defaults 0 0")

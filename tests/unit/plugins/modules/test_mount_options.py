# -*- coding: utf-8 -*-
"""crhq.platform.mount_options on real files (its fstab and mountinfo given as paths). The remounts themselves
are proved on a real kernel by the vps scenario; here they are predicted in check mode."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.modules import mount_options

from .module_runner import run_module

MOUNTINFO = """\
22 26 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:12 - proc proc rw
26 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw,errors=remount-ro
27 22 0:5 / /dev/shm rw,nosuid,nodev,noexec shared:3 - tmpfs tmpfs rw,inode64
"""
FSTAB = "UUID=0d3c-4e1f / ext4 errors=remount-ro 0 1\n"
SHM = dict(path="/dev/shm", src="tmpfs", fstype="tmpfs", opts=["defaults", "nosuid", "nodev", "noexec"])


@pytest.fixture(name="files")
def fixture_files(tmp_path):
    (tmp_path / "fstab").write_text(FSTAB)
    (tmp_path / "fstab").chmod(0o644)
    (tmp_path / "mountinfo").write_text(MOUNTINFO)
    return tmp_path


def run(capsys, files, **args):
    return run_module(mount_options.main, capsys, fstab=str(files / "fstab"), mountinfo=str(files / "mountinfo"), **args)


def test_a_mount_with_its_options_gets_its_fstab_entry_once(capsys, files):
    first = run(capsys, files, **SHM)
    assert first["changed"] and first["fstab_changed"] and not first["remounted"] and first["missing"] == []
    assert (files / "fstab").read_text() == FSTAB + "tmpfs /dev/shm tmpfs defaults,nosuid,nodev,noexec 0 0\n"
    assert (files / "fstab").stat().st_mode & 0o777 == 0o644
    second = run(capsys, files, **SHM)
    assert not second["changed"], second


def test_check_mode_predicts_the_remount_and_the_entry_and_writes_nothing(capsys, files):
    result = run(capsys, files, _ansible_check_mode=True, _ansible_diff=True, path="/proc", src="proc", fstype="proc",
                 opts=["defaults", "hidepid=invisible", "gid=root"])
    assert result["changed"] and result["remounted"] and result["fstab_changed"]
    assert result["missing"] == ["hidepid=invisible", "gid=0"]  # a group's name becomes its number
    assert result["line"] == "proc /proc proc defaults,hidepid=invisible,gid=0 0 0"
    assert result["diff"]["after"].endswith(result["line"] + "\n") and result["diff"]["before"] == FSTAB
    assert (files / "fstab").read_text() == FSTAB


def test_a_directory_not_mounted_yet_is_bound_onto_itself_only_with_bind(capsys, files):
    refused = run(capsys, files, path="/tmp", src="/tmp", fstype="none", opts=["bind", "nosuid", "nodev"])
    assert refused["failed"] and "/tmp is not a mount point" in refused["msg"]
    assert (files / "fstab").read_text() == FSTAB
    bound = run(capsys, files, _ansible_check_mode=True, path="/tmp", src="/tmp", fstype="none",
                opts=["bind", "nosuid", "nodev"], bind=True)
    assert bound["changed"] and bound["remounted"] and bound["missing"] == ["nosuid", "nodev"]


def test_two_entries_fail_and_change_nothing(capsys, files):
    twice = FSTAB + "tmpfs /dev/shm tmpfs defaults 0 0\nnone /dev/shm tmpfs noexec 0 0\n"
    (files / "fstab").write_text(twice)
    result = run(capsys, files, **SHM)
    assert result["failed"] and "2 entries for /dev/shm (lines 2, 3)" in result["msg"]
    assert (files / "fstab").read_text() == twice


def test_an_unknown_group_and_a_bad_option_are_named(capsys, files):
    result = run(capsys, files, path="/proc", src="proc", fstype="proc", opts=["hidepid=invisible", "gid=crhq-no-such"])
    assert result["failed"] and "there is no group crhq-no-such" in result["msg"]
    result = run(capsys, files, path="/proc", src="proc", fstype="proc", opts=["hidepid=invisible,gid=0"])
    assert result["failed"] and "without commas or spaces" in result["msg"]


def test_a_file_system_of_its_own_is_left_and_what_it_lacks_said(capsys, files):
    """Debian 13's /tmp is a tmpfs: binding the root file system's /tmp directory over it would change what /tmp is."""
    (files / "mountinfo").write_text(MOUNTINFO + "40 26 0:33 / /tmp rw,nosuid,relatime shared:5 - tmpfs tmpfs rw,size=1015404k\n")
    result = run(capsys, files, path="/tmp", src="/tmp", fstype="none", opts=["bind", "nosuid", "nodev"], bind=True)
    assert not result["changed"] and result["own_file_system"] and result["missing"] == ["nodev"]
    assert (files / "fstab").read_text() == FSTAB


def test_a_dry_run_before_the_group_exists_predicts_a_change(capsys, files):
    result = run(capsys, files, _ansible_check_mode=True, path="/proc", src="proc", fstype="proc",
                 opts=["defaults", "hidepid=invisible", "gid=crhq-no-such"])
    assert result["changed"] and result["missing"] == ["hidepid=invisible", "gid=crhq-no-such"]


def test_a_remount_the_kernel_refuses_leaves_fstab_as_it_was(capsys, files):
    """The running mount goes first: `mount` really runs, on a mount point that does not exist, and fails."""
    (files / "mountinfo").write_text(MOUNTINFO + "60 26 0:70 / /crhq-no-such-dir rw,relatime shared:9 - tmpfs tmpfs rw\n")
    result = run(capsys, files, path="/crhq-no-such-dir", src="tmpfs", fstype="tmpfs", opts=["defaults", "noexec"])
    assert result["failed"] and "mount -o remount,noexec /crhq-no-such-dir failed" in result["msg"], result
    assert (files / "fstab").read_text() == FSTAB

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mount_options
short_description: Give a mounted file system its options, in /etc/fstab and in the running system
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Sets the /etc/fstab entry of O(path) to O(src), O(fstype) and O(opts), and, when the mount the kernel shows
    at O(path) lacks one of O(opts), remounts it with them, so the options hold now and after the next boot.
  - Made for file systems that are already mounted, such as the API file systems C(/dev/shm) and C(/proc) that
    systemd mounts itself (at boot C(systemd-remount-fs) gives them the options of /etc/fstab), and for a
    directory bound onto itself (O(bind=true)) to take mount options, such as a C(/tmp) that is a directory of the
    root file system. It never mounts a new file system over a directory, which would hide the files in it.
  - Only the options the kernel shows as given are compared with the live mount (C(nosuid), C(nodev),
    C(noexec), C(ro), C(noatime), C(nodiratime), C(relatime), C(hidepid=), C(gid=), C(subset=)); the others
    (C(defaults), C(bind), C(size=), C(mode=)) go to /etc/fstab only. C(hidepid=2) and C(hidepid=invisible) are
    the same. A C(gid=) that names a group is written as the group's number, which the kernel needs.
  - Every other line of /etc/fstab is kept. An entry for O(path) that says the same is left as it is;
    another one is replaced in its place; two entries for O(path) make the task fail, changing nothing.
  - The same job as M(ansible.posix.mount) with O(ansible.posix.mount#module:state=mounted) for these mounts,
    without its remount of a mount that already has its options and without the deprecation warning it prints
    under ansible-core 2.19.
options:
  path:
    description: The mount point, an absolute path.
    type: path
    required: true
  src:
    description: The source field of the /etc/fstab entry (C(tmpfs), C(proc), or O(path) itself with O(bind=true)).
    type: str
    required: true
  fstype:
    description: The file system type field of the /etc/fstab entry (C(none) for a bind mount).
    type: str
    required: true
  opts:
    description: The options of the /etc/fstab entry, in order. Those the kernel shows must hold on the live mount.
    type: list
    elements: str
    required: true
  bind:
    description:
      - Whether O(path) is a directory bound onto itself. When O(path) is not a mount point yet, it is bound onto
        itself (every file in it stays where it is, none is hidden) and then given O(opts).
      - When O(path) is already a file system of its own (a tmpfs, a partition), nothing is written or remounted;
        RV(own_file_system) is true and RV(missing) says which options it lacks, for the role to report.
      - With O(bind=false), O(path) must already be a mount point; the task fails otherwise.
    type: bool
    default: false
  fstab:
    description: The file system table to keep the entry in.
    type: path
    default: /etc/fstab
  mountinfo:
    description: Where the kernel lists the mounts (for tests; the default is the truth).
    type: path
    default: /proc/self/mountinfo
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Says what would be written and whether it would remount; changes nothing.
  diff_mode:
    support: full
    details: The /etc/fstab text before and after.
  platform:
    platforms: posix
notes:
  - Runs as root. Needs the C(mount) command of util-linux, and the standard library only.
  - In a container the runtime owns the mounts, and remounting is refused; do not run it there.
seealso:
  - module: ansible.posix.mount
  - name: proc(5), the hidepid= and gid= options
    description: The options of C(/proc).
    link: https://man7.org/linux/man-pages/man5/proc.5.html
"""

EXAMPLES = r"""
- name: No program runs from /dev/shm
  crhq.platform.mount_options:
    path: /dev/shm
    src: tmpfs
    fstype: tmpfs
    opts: [defaults, nosuid, nodev, noexec]

- name: /tmp, a directory of the root file system, bound onto itself to take nosuid and nodev
  crhq.platform.mount_options:
    path: /tmp
    src: /tmp
    fstype: none
    opts: [bind, nosuid, nodev]
    bind: true

- name: Each user sees only their own processes; the proc group sees every one
  crhq.platform.mount_options:
    path: /proc
    src: proc
    fstype: proc
    opts: [defaults, hidepid=invisible, gid=proc]
"""

RETURN = r"""
fstab_changed:
  description: Whether the /etc/fstab entry was (or, in check mode, would be) written.
  returned: always
  type: bool
missing:
  description: The options the live mount lacked before the task (empty when it had them all).
  returned: always
  type: list
  elements: str
  sample: [noexec]
remounted:
  description: Whether O(path) was (or would be) bound or remounted.
  returned: always
  type: bool
own_file_system:
  description: With O(bind=true), whether O(path) is a file system of its own, left as it is.
  returned: always
  type: bool
options:
  description: The options of the live mount after the task (before it, in check mode).
  returned: always
  type: list
  elements: str
  sample: [rw, nosuid, nodev, noexec, relatime, rw, inode64]
line:
  description: The /etc/fstab entry.
  returned: always
  type: str
  sample: tmpfs /dev/shm tmpfs defaults,nosuid,nodev,noexec 0 0
"""

import grp
import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.crhq.platform.plugins.module_utils.mounts import (
    MountsError, current_mount, fstab_line, missing_options, parse_mountinfo, remount_options, with_fstab_entry)


def read(path, missing_ok=False):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        if missing_ok:
            return ""
        raise MountsError("%s does not exist" % path) from None
    except OSError as exc:
        raise MountsError("%s cannot be read: %s" % (path, exc.strerror or exc)) from None


def numeric_gid(options, check_mode):
    """opts with a group name in gid= replaced by its number (kept as a name by a dry run, before the group exists)."""
    result = []
    for option in options:
        key, sep, value = option.partition("=")
        if key == "gid" and sep and not value.isdigit():
            try:
                value = str(grp.getgrnam(value).gr_gid)
            except KeyError:
                if check_mode:
                    result.append(option)
                    continue
                raise MountsError("gid=%s: there is no group %s on this host; create it first" % (value, value)) from None
            option = "gid=" + value
        result.append(option)
    return result


def write_fstab(module, path, text):
    """Write text to path through a file in the same directory, keeping the file's mode (0644 for a new one)."""
    directory = os.path.dirname(path) or "."
    mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
    tmp = os.path.join(directory, ".%s.crhq-tmp" % os.path.basename(path))
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(tmp, mode)
    module.atomic_move(tmp, path)


def run_mount(module, argv):
    rc, out, err = module.run_command(argv)
    if rc != 0:
        raise MountsError("%s failed (exit %d): %s" % (" ".join(argv), rc, (err or out).strip()))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            src=dict(type="str", required=True),
            fstype=dict(type="str", required=True),
            opts=dict(type="list", elements="str", required=True),
            bind=dict(type="bool", default=False),
            fstab=dict(type="path", default="/etc/fstab"),
            mountinfo=dict(type="path", default="/proc/self/mountinfo"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"].rstrip("/") or "/"
    if not os.path.isabs(path):
        module.fail_json(msg="path must be absolute, got %r" % params["path"])
    if not params["opts"] or any(not option or "," in option or " " in option for option in params["opts"]):
        module.fail_json(msg="opts must be a non-empty list of single options without commas or spaces, got %r"
                         % params["opts"])
    try:
        opts = numeric_gid(params["opts"], module.check_mode)
        line = fstab_line(params["src"], path, params["fstype"], opts)
        before = read(params["fstab"], missing_ok=True)
        after = with_fstab_entry(before, line)
        mount = current_mount(parse_mountinfo(read(params["mountinfo"])), path)
        if mount is None and not params["bind"]:
            raise MountsError("%s is not a mount point; this module gives options to a mounted file system (or, with "
                              "bind=true, binds a directory onto itself) and never mounts one over a directory" % path)
        live = mount["options"] if mount else []
        missing = missing_options(opts, live)
        own = bool(params["bind"] and mount and mount["root"] != path)
        if own:
            module.exit_json(changed=False, fstab_changed=False, remounted=False, own_file_system=True,
                             missing=missing, options=live, line=line)
        commands = []
        if mount is None:
            commands = [["mount", "--bind", path, path], ["mount", "-o", remount_options(opts, True), path]]
        elif missing:
            commands = [["mount", "-o", remount_options(opts, params["bind"]), path]]
        fstab_changed = after != before
        if not module.check_mode:
            # the running mount first: a remount the kernel refuses leaves /etc/fstab as it was
            for argv in commands:
                run_mount(module, argv)
            if commands:
                mount = current_mount(parse_mountinfo(read(params["mountinfo"])), path)
                live = mount["options"] if mount else []
                still = missing_options(opts, live)
                if mount is None or still:
                    raise MountsError("%s lacks %s after %s" % (path, ",".join(still) or "its mount",
                                                                "; ".join(" ".join(argv) for argv in commands)))
            if fstab_changed:
                write_fstab(module, params["fstab"], after)
    except MountsError as exc:
        module.fail_json(msg="crhq.platform.mount_options: %s" % exc)
    result = dict(changed=fstab_changed or bool(commands), fstab_changed=fstab_changed, remounted=bool(commands),
                  own_file_system=False,
                  missing=missing, options=live, line=line)
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = dict(before=before, after=after, before_header=params["fstab"], after_header=params["fstab"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()

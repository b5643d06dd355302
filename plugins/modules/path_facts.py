#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: path_facts
short_description: Read the exact files and directories a role manages, in one pass
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, the type, owner, group, mode and (for a regular file) the SHA-1 checksum
    of each path in O(paths), in one module call.
  - Returns RV(files) in the shape of the C(files) list of M(ansible.builtin.find) with
    O(ansible.builtin.find#module:get_checksum=true), so it feeds P(crhq.platform.paths_in_place#filter)
    directly. Unlike M(ansible.builtin.find) it reads only the paths given, not every entry of their
    directories that matches a pattern.
  - A path that does not exist, or whose parent directory does not exist yet (a fresh host), is left out of
    RV(files) and listed in RV(missing); that is not an error and prints no warning.
  - A path that cannot be read because a parent directory does not let this user through, or a regular file
    whose content cannot be read for its checksum, makes the task fail with a message naming the path.
options:
  paths:
    description:
      - Absolute paths of the files and directories to read, exactly as the role compares them (no C(~) or
        variable expansion). A relative path makes the task fail.
      - A path given twice is read once.
    type: list
    elements: str
    required: true
  get_checksum:
    description: Whether to return the SHA-1 checksum of the content of each regular file.
    type: bool
    default: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
notes:
  - Like M(ansible.builtin.find), a path is read with C(lstat) and a symbolic link is not followed. A link is
    returned with RV(files[].islnk=true), RV(files[].isreg=false), the link's own mode, RV(files[].lnk_target) and no checksum, even
    when it points to a regular file.
  - A path under a parent that is not a directory (for example a regular file) does not exist, and is
    listed in RV(missing).
  - Only the standard library is needed on the managed host.
seealso:
  - module: ansible.builtin.find
  - module: ansible.builtin.stat
  - plugin: crhq.platform.paths_in_place
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Read the managed paths once (missing ones are simply not returned)
  crhq.platform.path_facts:
    paths:
      - /etc/example
      - /etc/example/example.conf
  register: example_state

- name: Write the file only when it is not in place (owner, group, mode and content)
  ansible.builtin.copy:
    content: "example = 1\n"
    dest: /etc/example/example.conf
    mode: "0644"
  when: >-
    '/etc/example/example.conf' not in example_state.files
    | crhq.platform.paths_in_place([{'path': '/etc/example/example.conf'}],
                                   {'/etc/example/example.conf': 'example = 1\n'})
"""

RETURN = r"""
files:
  description:
    - One entry per path of O(paths) that exists, in the order given, with the keys of the entries of
      M(ansible.builtin.find)'s C(files) that are listed here.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The path, as given.
      type: str
      returned: always
    mode:
      description: Permission bits as a four-digit octal string, as M(ansible.builtin.find) reports them.
      type: str
      returned: always
      sample: "0644"
    isreg:
      description: Whether the path is a regular file (a symbolic link is not).
      type: bool
      returned: always
    isdir:
      description: Whether the path is a directory (a symbolic link is not).
      type: bool
      returned: always
    islnk:
      description: Whether the path is a symbolic link.
      type: bool
      returned: always
    uid:
      description: Numeric owner.
      type: int
      returned: always
    gid:
      description: Numeric group.
      type: int
      returned: always
    pw_name:
      description: Owner's name; empty when the uid has no account.
      type: str
      returned: always
    gr_name:
      description: Group's name; empty when the gid has no group.
      type: str
      returned: always
    size:
      description: Size in bytes.
      type: int
      returned: always
    mtime:
      description: Time of last modification, in seconds since the epoch.
      type: float
      returned: always
    lnk_target:
      description:
        - Where a symbolic link points, as it is written in the link (not resolved), as M(ansible.builtin.stat)
          returns it; M(ansible.builtin.find) does not return it.
      type: str
      returned: for a symbolic link
      sample: /opt/crhq/app/releases/0.1.0-4b09e92be267
    lnk_source:
      description:
        - The path the link resolves to, every link on the way followed, as M(ansible.builtin.stat) returns it; the
          path need not exist.
      type: str
      returned: for a symbolic link
      sample: /usr/bin/x86_64-linux-gnu-as
    checksum:
      description: SHA-1 of the content, the checksum M(ansible.builtin.find) reports with O(get_checksum=true).
      type: str
      returned: for a regular file, when O(get_checksum=true)
      sample: 16fac7be61a6e4591a33ef4b729c5c3302307523
  sample: [{path: /etc/issue, mode: "0644", isreg: true, isdir: false, islnk: false, uid: 0, gid: 0,
            pw_name: root, gr_name: root, size: 27, mtime: 1767225600.0,
            checksum: 16fac7be61a6e4591a33ef4b729c5c3302307523}]
missing:
  description: The paths of O(paths) that do not exist, in the order given.
  returned: always
  type: list
  elements: str
  sample: [/etc/modprobe.d/crhq-blacklist.conf]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.crhq.platform.plugins.module_utils.host_reads import PathError, read_paths, relative_paths


def main():
    module = AnsibleModule(
        argument_spec=dict(
            paths=dict(type="list", elements="str", required=True),
            get_checksum=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    paths = module.params["paths"]
    relative = relative_paths(paths)
    if relative:
        module.fail_json(msg="paths must be absolute; not absolute: %s" % ", ".join(repr(path) for path in relative))
    try:
        files, missing = read_paths(module, paths, module.params["get_checksum"])
    except PathError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, files=files, missing=missing)


if __name__ == "__main__":
    main()

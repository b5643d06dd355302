# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: paths_in_place
short_description: Managed paths that are already as a role would write them
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Compares the C(files) list of one M(ansible.builtin.find) run (with O(ansible.builtin.find#module:get_checksum=true))
    with the files and directories a role manages, and returns the paths already in place (right type, owner,
    group, mode and, for a file, the SHA-1 of the content it would be written with).
  - A role reads all its paths in one task and runs each writing task only for a path not returned, so an
    idempotent re-run costs one remote call instead of two per file. A path that drifted (content, mode or
    owner changed by hand) is not returned and is written again.
options:
  _input:
    description: The C(files) list registered from M(ansible.builtin.find).
    type: list
    elements: dict
    required: true
  wanted:
    description:
      - What the role writes. Each entry has C(path); C(state) V(file) (default), V(directory) or V(link); C(owner) and
        C(group) (default V(root)); C(mode) as an octal string (default V(0644)). Other keys are ignored.
      - A V(link) has C(src), where it points as written in the link (the C(lnk_target) that
        M(crhq.platform.path_facts) returns), and is in place when it is a symbolic link to C(src), whatever its owner
        and mode (M(ansible.builtin.file) with O(ansible.builtin.file#module:state=link) manages neither by default).
      - A file with C(secret) V(true) is one a module generates on the host (M(crhq.platform.secret)) and that is never
        read back; it is in place when it is a regular file with the wanted owner, group and mode, and needs no entry
        in O(contents). Read it with O(crhq.platform.host_facts#module:private_paths), which returns no checksum of it.
    type: list
    elements: dict
    required: true
  contents:
    description:
      - Path to the text each file is written with (for example the rendered template); every file but a C(secret)
        one needs one.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Read the managed paths once
  ansible.builtin.find:
    paths: [/etc/example]
    patterns: [example.conf]
    get_checksum: true
  register: example_state

- name: Write the file only when it differs
  ansible.builtin.template:
    src: example.conf.j2
    dest: /etc/example/example.conf
    owner: root
    group: root
    mode: "0640"
  when: >-
    '/etc/example/example.conf' not in example_state.files | crhq.platform.paths_in_place(
      [{'path': '/etc/example/example.conf', 'mode': '0640'}],
      {'/etc/example/example.conf': lookup('ansible.builtin.template', 'example.conf.j2')})
"""

RETURN = r"""
_value:
  description: The paths of O(wanted) that are already in place, in the order of O(wanted).
  type: list
  elements: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.file_state import FileStateError, paths_in_place


def paths_in_place_filter(found, wanted, contents=None):
    try:
        return paths_in_place(found, wanted, contents)
    except FileStateError as exc:
        raise AnsibleFilterError("paths_in_place: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"paths_in_place": paths_in_place_filter}

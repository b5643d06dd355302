# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: permission_changes
short_description: The paths whose mode, owner or group must change
version_added: 0.4.0
author: CRHQ platform team (@crhq)
description:
  - Compares the C(files) list of one read (M(ansible.builtin.find) or M(crhq.platform.path_facts)) with the modes,
    owners and groups a role enforces on paths it does not write (cron directories, password databases, home
    directories), and returns the targets that differ, so that M(ansible.builtin.file) runs only for those.
  - A target without C(owner) or C(group) keeps the one it has (home directories, whose mode alone is enforced).
  - A target the read did not find is left out; there is nothing there to change.
options:
  _input:
    description: The C(files) list of the read.
    type: list
    elements: dict
    required: true
  targets:
    description: Each entry has C(path) and C(mode) (an octal string such as V(0700)), and optionally C(owner) and
      C(group). Other keys are kept in the returned entries.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the paths once
  ansible.builtin.find:
    paths: [/etc]
    patterns: [crontab, shadow]
  register: state

- name: Change only what differs
  ansible.builtin.file:
    path: "{{ item.path }}"
    owner: "{{ item.owner | default(omit) }}"
    group: "{{ item.group | default(omit) }}"
    mode: "{{ item.mode }}"
  loop: "{{ state.files | crhq.platform.permission_changes(targets) }}"
  vars:
    targets:
      - {path: /etc/crontab, owner: root, group: root, mode: "0600"}
      - {path: /etc/shadow, owner: root, group: shadow, mode: "0640"}
"""

RETURN = r"""
_value:
  description: The entries of O(targets) that differ from what the read found, in the order of O(targets).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.file_state import FileStateError, permission_changes


def permission_changes_filter(found, targets):
    try:
        return permission_changes(found, targets)
    except FileStateError as exc:
        raise AnsibleFilterError("permission_changes: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"permission_changes": permission_changes_filter}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: key_value_changes
short_description: The wanted settings whose value in a key-value text differs
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads a settings file or command output once (C(KEY=VALUE) as in C(/etc/default/ufw), C(KEY VALUE) as in
    C(/etc/login.defs), or C(key = value) as C(sysctl) prints it) and returns the wanted settings that differ,
    so a role writes only those; a re-run then costs one read instead of a task per setting.
  - Values are compared as text; C(true) and C(false) count as V(1) and V(0). Comment lines are skipped; a key
    set twice keeps its last value.
options:
  _input:
    description: The text.
    type: string
    required: true
  wanted:
    description: The settings wanted, key to value.
    type: dict
    required: true
  syntax:
    description: How a line sets a key.
    type: string
    choices: [equals, space, sysctl]
    default: equals
  missing:
    description: Whether a key the text does not set counts as differing (V(include)) or is left out (V(skip)).
    type: string
    choices: [include, skip]
    default: include
"""

EXAMPLES = r"""
- name: Read the file once (with the role's other reads)
  crhq.platform.host_facts:
    contents: [/etc/login.defs]
  register: login_defs

- name: Write only the settings that differ
  ansible.builtin.lineinfile:
    path: /etc/login.defs
    regexp: ^#?\s*{{ item.key }}\s
    line: "{{ item.key }}\t{{ item.value }}"
  loop: "{{ login_defs.contents['/etc/login.defs'] | crhq.platform.key_value_changes({'UMASK': '027'}, syntax='space') }}"
"""

RETURN = r"""
_value:
  description: One entry per differing setting, in the order of O(wanted), with C(key), C(value) (wanted) and
    C(current) (None when the text does not set it).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.key_values import KeyValueError, changes


def key_value_changes(text, wanted, syntax="equals", missing="include"):
    try:
        return changes(text, wanted, syntax, missing)
    except KeyValueError as exc:
        raise AnsibleFilterError("key_value_changes: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"key_value_changes": key_value_changes}

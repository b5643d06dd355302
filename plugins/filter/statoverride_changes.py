# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: statoverride_changes
short_description: The owner and mode overrides dpkg does not keep yet
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads the text of dpkg's statoverride database (C(/var/lib/dpkg/statoverride), the lines
    C(dpkg-statoverride --list) prints, owner, group, octal mode and path) once and returns the wanted overrides it
    does not hold as they are, so a role runs C(dpkg-statoverride) only for those; a re-run then costs one read.
  - A wanted override is held when the database has a line for its path with the same owner, group and mode
    (V(0700) and V(700) are the same mode). A line that is not C(owner group mode path) is an error that names it.
options:
  _input:
    description: The database's text (empty or null when it does not exist).
    type: string
    required: true
  wanted:
    description: The overrides wanted, each with C(path) and C(mode) (octal), and C(owner) and C(group) (V(root) by
      default). Other keys are returned as they are.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the database once (with the role's other reads)
  crhq.platform.host_facts:
    contents: [/var/lib/dpkg/statoverride]
  register: reads

- name: Make dpkg keep the cron directories root-only (only those it does not keep so yet)
  ansible.builtin.command: dpkg-statoverride --update --add root root {{ item.mode }} {{ item.path }}
  loop: "{{ reads.contents['/var/lib/dpkg/statoverride'] | crhq.platform.statoverride_changes(wanted) }}"
  changed_when: true
  vars:
    wanted: [{path: /etc/cron.d, mode: "0700"}, {path: /etc/cron.daily, mode: "0700"}]
"""

RETURN = r"""
_value:
  description: The entries of O(wanted) the database does not hold as they are, in their order, each with
    C(current) added, the override the database holds for the path (C(owner), C(group), C(mode) as an integer), or
    null when it holds none. One with a C(current) needs C(dpkg-statoverride --remove) before C(--add).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import DpkgStatusError
from ansible_collections.crhq.platform.plugins.module_utils.dpkg_status import statoverride_changes as _changes


def statoverride_changes(text, wanted):
    try:
        return _changes(text, wanted)
    except DpkgStatusError as exc:
        raise AnsibleFilterError("statoverride_changes: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"statoverride_changes": statoverride_changes}

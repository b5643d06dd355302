# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: sshd_mismatches
short_description: Where sshd's effective settings differ from the wanted ones, per connecting user
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Takes the C(results) of a command task that ran C(sshd -T -C user=<user>,...) once per user (the loop item is
    the user), or the RV(crhq.platform.ssh_facts#module:effective) list of P(crhq.platform.ssh_facts#module),
    and returns one message for each user and keyword whose effective value is not the wanted one.
  - C(sshd -T) with a connection specification applies every C(Match) block, so a block in another drop-in
    that turns password login back on for one user shows up here, where a check for root alone would miss it.
  - Values are compared as C(sshd -T) prints them; booleans become V(yes) or V(no), lists are joined with commas,
    and C(prohibit-password) is read as the V(without-password) that C(sshd -T) prints.
options:
  _input:
    description: The C(results) list of the looped C(sshd -T) task, or C(ssh_facts)'s C(effective) list.
    type: list
    elements: dict
    required: true
  expected:
    description: sshd keywords (any case) and the values wanted.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Effective settings for each user who may connect
  ansible.builtin.command: sshd -T -C user={{ item }},host=localhost,addr=127.0.0.1
  loop: [root, debian, nobody]
  register: effective
  changed_when: false

- name: No Match block weakens them
  ansible.builtin.assert:
    that: mismatches | length == 0
    fail_msg: "{{ mismatches | join('; ') }}"
  vars:
    mismatches: "{{ effective.results | crhq.platform.sshd_mismatches({'PasswordAuthentication': false, 'MaxAuthTries': 3}) }}"
"""

RETURN = r"""
_value:
  description: Messages such as C(for debian, passwordauthentication is yes, not no); empty when every setting holds.
  type: list
  elements: string
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.sshd_effective import SshdEffectiveError, mismatches


def sshd_mismatches(runs, expected):
    try:
        return mismatches(runs, expected)
    except SshdEffectiveError as exc:
        raise AnsibleFilterError("sshd_mismatches: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"sshd_mismatches": sshd_mismatches}

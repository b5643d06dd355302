# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: account_changes
short_description: What ansible.builtin.user would change for a user, judged from the accounts read once
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Compares a user as M(ansible.builtin.user) would set it with the local accounts that
    M(crhq.platform.host_facts) read (its O(crhq.platform.host_facts#module:accounts) option), so a role runs the
    user module, several commands on the host, only where something differs.
  - C(groups) is compared as the complete list of supplementary groups, as the user module sets it with
    C(append=false); C(password) only as one of the fields that hold no secret (V(!) for a locked account without a
    password, for instance).
options:
  _input:
    description: The RV(crhq.platform.host_facts#module:accounts) of M(crhq.platform.host_facts).
    type: dict
    required: true
  wanted:
    description:
      - The user as wanted, with C(name) and any of C(group), C(groups), C(home), C(shell), C(comment),
        C(password); the keys left out are not compared.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Read the local accounts
  crhq.platform.host_facts:
    accounts: true
  register: example_read

- name: App user, only where it is not already as wanted
  ansible.builtin.user:
    name: crhq
    group: crhq
    shell: /usr/sbin/nologin
    home: /var/lib/crhq
    create_home: false
    password: "!"
  when: >-
    example_read.accounts | crhq.platform.account_changes({'name': 'crhq', 'group': 'crhq',
    'shell': '/usr/sbin/nologin', 'home': '/var/lib/crhq', 'password': '!'}) | length > 0
"""

RETURN = r"""
_value:
  description:
    - V([absent]) when there is no such user; else the keys of O(wanted) whose value differs, in the order C(group),
      C(groups), C(home), C(shell), C(comment), C(password); empty when the user is as wanted.
  type: list
  elements: str
  sample: [shell]
"""

from ansible.errors import AnsibleFilterError


def account_changes(read, wanted):
    # imported when called, not with this file, which ansible-core loads to find other filters by name
    # (plugin_utils/certificates.py, _cryptography)
    from ansible_collections.crhq.platform.plugins.module_utils import accounts

    if not isinstance(read, dict) or not isinstance(wanted, dict):
        raise AnsibleFilterError("account_changes: needs host_facts's accounts and a dict of the wanted user")
    try:
        return accounts.account_changes(read, wanted)
    except accounts.AccountsError as exc:
        raise AnsibleFilterError("account_changes: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"account_changes": account_changes}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: home_directories
short_description: The home directories to close to other users, from the local accounts read once
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - From the local accounts M(crhq.platform.host_facts) read (its O(crhq.platform.host_facts#module:accounts)
    option), the home directories a hardened host keeps closed to other users, each once, in the order of
    C(/etc/passwd).
  - root's; those of regular accounts (uid 0 or 1000 and up, not nobody's 65534) under C(/root) or C(/home/NAME);
    and those of service accounts that have a login shell and a directory of their own under C(/var/lib/NAME)
    (C(postgres) on a Debian host with PostgreSQL).
options:
  _input:
    description: The RV(crhq.platform.host_facts#module:accounts) of M(crhq.platform.host_facts).
    type: dict
    required: true
  root_mode:
    description: The mode of root's home directory.
    type: string
    default: "0700"
  mode:
    description: The mode of every other home directory.
    type: string
    default: "0750"
"""

EXAMPLES = r"""
- name: Read the local accounts
  crhq.platform.host_facts:
    accounts: true
  register: example_read

- name: Home directories closed to other users
  ansible.builtin.file:
    path: "{{ item.path }}"
    mode: "{{ item.mode }}"
  loop: "{{ example_read.accounts | crhq.platform.home_directories }}"
"""

RETURN = r"""
_value:
  description: One entry per home directory, with C(path) and C(mode).
  type: list
  elements: dict
  sample: [{path: /root, mode: "0700"}, {path: /home/admin, mode: "0750"}, {path: /var/lib/postgresql, mode: "0750"}]
"""

from ansible.errors import AnsibleFilterError


def home_directories(read, root_mode="0700", mode="0750"):
    # imported when called, not with this file, which ansible-core loads to find other filters by name
    # (plugin_utils/certificates.py, _cryptography)
    from ansible_collections.crhq.platform.plugins.module_utils import accounts

    if not isinstance(read, dict):
        raise AnsibleFilterError("home_directories: needs host_facts's accounts, a dict")
    try:
        return accounts.home_directories(read, root_mode, mode)
    except (KeyError, TypeError) as exc:
        raise AnsibleFilterError("home_directories: an account entry lacks %s; pass host_facts's accounts" % exc) from None


class FilterModule:
    def filters(self):
        return {"home_directories": home_directories}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: bcrypt_password
short_description: bcrypt a password (or a backup code) for storage
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Returns a C($2b$) bcrypt hash, as the CRHQ app stores user passwords and TOTP backup codes.
  - Without O(salt) each call gives a new hash; give a fixed O(salt) where a task must be idempotent.
  - Passwords longer than 72 bytes are refused rather than silently truncated.
options:
  _input:
    description: The password.
    type: string
    required: true
  rounds:
    description: Cost factor (log2 of the rounds), 4 to 31. Ignored when O(salt) is given.
    type: int
    default: 12
  salt:
    description: A full bcrypt salt setting, C($2b$NN$) followed by 22 characters of C([./A-Za-z0-9]).
    type: string
notes:
  - Requires the Python package C(bcrypt) on the controller.
"""

EXAMPLES = r"""
- name: Hash the first admin's password
  ansible.builtin.set_fact:
    admin_password_hash: "{{ admin_password | crhq.platform.bcrypt_password(rounds=12) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The bcrypt hash, 60 characters.
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.auth import bcrypt_hash
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"bcrypt_password": filter_function("bcrypt_password", bcrypt_hash)}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: totp_code
short_description: RFC 6238 TOTP code for a secret at a given time
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Computes the time-based one-time password for a base32 secret, as an authenticator app would.
  - Used by tests and smoke checks to log in to an instance with 2FA enabled.
options:
  _input:
    description: The base32 TOTP secret.
    type: string
    required: true
  timestamp:
    description: Seconds since the epoch; the current time when omitted.
    type: float
  digits:
    description: Code length.
    type: int
    default: 6
    choices: [6, 7, 8]
  period:
    description: Seconds each code is valid.
    type: int
    default: 30
  algorithm:
    description: HMAC hash.
    type: string
    default: SHA1
    choices: [SHA1, SHA256, SHA512]
"""

EXAMPLES = r"""
- name: Current code for a smoke-test login
  ansible.builtin.set_fact:
    login_code: "{{ admin_totp_secret | crhq.platform.totp_code }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The code as a zero-padded string of O(digits) digits.
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.auth import totp_code
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"totp_code": filter_function("totp_code", totp_code)}

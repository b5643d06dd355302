# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: totp_uri
short_description: otpauth:// provisioning URI for a TOTP secret
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Builds the C(otpauth://totp/) URI (Key Uri Format) that authenticator apps read from a QR code.
  - TOTP secrets are generated on the host by M(crhq.platform.secret) with O(crhq.platform.secret#module:type=totp).
options:
  _input:
    description: The base32 TOTP secret.
    type: string
    required: true
  account:
    description: The account name shown in the app, for example the user's e-mail address.
    type: string
    required: true
  issuer:
    description: The issuer shown in the app; must not contain C(:).
    type: string
    default: CRHQ
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
- name: Provisioning URI for the first admin
  ansible.builtin.set_fact:
    admin_totp_uri: "{{ admin_totp_secret | crhq.platform.totp_uri('admin@customer.example', issuer='CRHQ') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The URI, for example C(otpauth://totp/CRHQ:admin@customer.example?secret=...&issuer=CRHQ&algorithm=SHA1&digits=6&period=30).
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.auth import totp_uri
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"totp_uri": filter_function("totp_uri", totp_uri)}

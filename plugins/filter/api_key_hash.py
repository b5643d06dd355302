# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: api_key_hash
short_description: Storage hash of an API or hub key
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Returns C(sha256:<hex>) of the key. API and hub keys from M(crhq.platform.secret) carry 256 bits
    of randomness, so a fast hash is safe and lets the app find a key by its hash; store this,
    never the key.
  - The same value is the RV(crhq.platform.secret#module:fingerprint) that M(crhq.platform.secret)
    returns for a key it generated, so a role can store the hash without reading the key.
  - Not for passwords or other low-entropy secrets; use P(crhq.platform.bcrypt_password#filter).
options:
  _input:
    description: The API key.
    type: string
    required: true
"""

EXAMPLES = r"""
- name: Hash an API key for the database
  ansible.builtin.set_fact:
    key_hash: "{{ new_api_key | crhq.platform.api_key_hash }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: C(sha256:) followed by 64 lowercase hex digits.
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.auth import api_key_hash
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"api_key_hash": filter_function("api_key_hash", api_key_hash)}

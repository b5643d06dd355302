# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: encrypt_credential
short_description: Encrypt one credential value with AES-256-GCM, bound to its context
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Encrypts one text value under the primary key of a CRHQ keyring with AES-256-GCM and a fresh
    random 96-bit nonce.
  - The result is a self-describing text envelope C(crhq.v1.<key id>.<payload>) specified in the
    collection's C(docs/crypto-format.md).
  - The O(context) is authenticated (not stored). The envelope only decrypts with the same context,
    so a value cannot be moved into another row or field.
  - Each call gives a different envelope. Store the result once; do not re-encrypt on every run.
  - The keyring is normally generated and kept on the managed host by M(crhq.platform.secret);
    this filter runs on the controller, so use it where the keyring is already there (for example
    in the app's Python code through the same core, or an operator-held keyring in Ansible Vault).
options:
  _input:
    description: The plaintext value.
    type: string
    required: true
  keyring:
    description:
      - The keyring as a mapping (for example the keyring file passed through P(ansible.builtin.from_json#filter)),
        the keyring file's JSON text, or one standard base64 32-byte key.
    type: raw
    required: true
  context:
    description:
      - Non-empty text naming where the value belongs, for example V(user:42/openai_api_key).
    type: string
    required: true
seealso:
  - plugin: crhq.platform.decrypt_credential
    plugin_type: filter
  - plugin: crhq.platform.rewrap_credential
    plugin_type: filter
  - module: crhq.platform.secret
notes:
  - Requires the Python package C(cryptography) on the controller.
  - Use C(no_log=true) on tasks that handle the plaintext or the keyring.
"""

EXAMPLES = r"""
- name: Encrypt a provider API key for storage
  ansible.builtin.set_fact:
    stored_value: "{{ provider_api_key | crhq.platform.encrypt_credential(keyring, context='user:42/openai_api_key') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The envelope C(crhq.v1.<key id>.<base64url(nonce || ciphertext || tag)>).
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.envelope import encrypt
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"encrypt_credential": filter_function("encrypt_credential", encrypt)}

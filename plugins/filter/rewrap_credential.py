# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: rewrap_credential
short_description: Re-encrypt a credential envelope under the keyring's primary key
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - After a key rotation (M(crhq.platform.secret) with O(crhq.platform.secret#module:rotate=true)),
    moves an envelope to the new primary key, same context, fresh nonce.
  - An envelope already under the primary key is authenticated and returned unchanged, so
    re-running a rotation changes nothing that is already done.
  - The envelope must decrypt first. A wrong key, context or a modified byte fails and nothing is
    re-encrypted.
options:
  _input:
    description: The envelope.
    type: string
    required: true
  keyring:
    description: Keyring mapping or keyring JSON text that holds both the old and the primary key.
    type: raw
    required: true
  context:
    description: The context the value was encrypted with.
    type: string
    required: true
seealso:
  - plugin: crhq.platform.encrypt_credential
    plugin_type: filter
notes:
  - Requires the Python package C(cryptography) on the controller.
"""

EXAMPLES = r"""
- name: Move a stored value to the newest key
  ansible.builtin.set_fact:
    stored_value: "{{ stored_value | crhq.platform.rewrap_credential(keyring, context='user:42/openai_api_key') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: An envelope under the primary key.
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.envelope import rewrap
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function


class FilterModule:
    def filters(self):
        return {"rewrap_credential": filter_function("rewrap_credential", rewrap)}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: decrypt_credential
short_description: Decrypt a credential envelope made by encrypt_credential
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Decrypts a C(crhq.v1) envelope with the key named by its key id, which may be any key of the
    keyring (older keys stay usable after a rotation).
  - Fails with a message that names the problem for an empty, truncated, non-base64, non-canonical
    or wrong-version envelope, an unknown key id, a wrong key or context, or any modified byte.
    The message never contains key material or plaintext.
options:
  _input:
    description: The envelope.
    type: string
    required: true
  keyring:
    description: Keyring mapping, keyring JSON text, or one standard base64 32-byte key.
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
  - Use C(no_log=true) on tasks that use the result.
"""

EXAMPLES = r"""
- name: Read a stored credential
  ansible.builtin.set_fact:
    provider_api_key: "{{ stored_value | crhq.platform.decrypt_credential(keyring, context='user:42/openai_api_key') }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The plaintext.
  type: string
"""

from ansible_collections.crhq.platform.plugins.module_utils.envelope import decrypt
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import FILTER_INPUT_ERRORS, filter_error


def decrypt_credential(envelope, keyring, context=None):
    """The filter: spelled out rather than wrapped by filter_function, as it is the read path that
    scripts/bench crypto measures (a generic wrapper costs a fifth of a decryption)."""
    try:
        return decrypt(envelope, keyring, context)
    except FILTER_INPUT_ERRORS as exc:
        raise filter_error("decrypt_credential", exc) from None


class FilterModule:
    def filters(self):
        return {"decrypt_credential": decrypt_credential}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: secret_items
short_description: Key descriptions as the items of crhq.platform.secret
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Takes a list of keys, each with the C(file) it lives in inside O(directory) and its C(type) (other keys, such
    as a C(name), are left out), and returns the O(crhq.platform.secret#module:secrets) items that generate them,
    in the same order, all in one module run.
  - An item's C(path) is O(directory) and the file name; a key of type V(keyring) also gets C(rotate), the value of
    O(rotate_keyrings), so a run can rotate the keyrings and leave the other keys alone.
  - A key without a file name, with a directory part in it, or without a type fails with a message that names the
    key by its position.
options:
  _input:
    description: The keys, for example the instance role's C(instance_keys).
    type: list
    elements: dict
    required: true
  directory:
    description: The absolute directory that holds the files.
    type: str
    required: true
  rotate_keyrings:
    description: Whether the module is to add a new primary key to each keyring (the old ones stay for decryption).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Generate the instance's keys on the host, all in one module run
  crhq.platform.secret:
    secrets: >-
      {{ [{'type': 'keyring', 'file': 'master.keyring'}, {'type': 'token', 'file': 'session.secret'}]
         | crhq.platform.secret_items('/etc/crhq/keys', rotate_keyrings=false) }}
    owner: root
    group: crhq
    mode: "0640"
  no_log: true
"""

RETURN = r"""
_value:
  description: One item per key, C(path) and C(type), and C(rotate) for a keyring.
  type: list
  elements: dict
  sample: [{path: /etc/crhq/keys/master.keyring, type: keyring, rotate: false},
           {path: /etc/crhq/keys/session.secret, type: token}]
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.plugin_utils.secret_items import SecretItemsError, secret_items


def secret_items_filter(keys, directory, rotate_keyrings=False):
    try:
        return secret_items(keys, directory, rotate_keyrings)
    except SecretItemsError as exc:
        raise AnsibleFilterError("secret_items: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"secret_items": secret_items_filter}

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: dns_name
short_description: Whether a value is a lowercase DNS host name
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Tests that the input is a string of labels joined by dots, each label 1 to 63 lowercase ASCII letters, digits
    and hyphens that neither starts nor ends with a hyphen, 1 to 253 characters in all.
  - A trailing dot, an empty label, upper case, an underscore, a space or a non-ASCII character make it false.
  - The last label must not be all digits (no top-level domain is, RFC 3696 section 2), so an IPv4 address such as
    C(203.0.113.10), often an inventory's host name, is not a DNS name.
  - A value that is not a string (none, a number, a list) is not a DNS name; the test is false, never an error.
options:
  _input:
    description: The value to test, for example a role's hostname variable.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the host name before it is used
  ansible.builtin.assert:
    that:
      - instance_hostname is crhq.platform.dns_name
    fail_msg: "instance_hostname must be a lowercase DNS name (got {{ instance_hostname | to_json }})"

- name: Keep only the valid names
  ansible.builtin.set_fact:
    valid_names: "{{ names | select('crhq.platform.dns_name') | list }}"
"""

RETURN = r"""
_value:
  description: V(True) if the input is a lowercase DNS name, V(False) otherwise.
  type: boolean
"""

from ansible_collections.crhq.platform.plugins.module_utils.dns_names import is_dns_name


def dns_name(value):
    return is_dns_name(value)


class TestModule:
    def tests(self):
        return {"dns_name": dns_name}

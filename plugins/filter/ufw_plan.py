# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ufw_plan
short_description: What to change so that ufw holds exactly the rules, policies and logging a role manages
version_added: 0.3.0
author: CRHQ platform team (@crhq)
description:
  - Reads the text of C(ufw status verbose) once and returns the rules to add, the rule numbers to delete, the
    default policies to set, and whether logging must be set, so a role changes only what differs.
  - A rule carrying the role's comment that is no longer wanted (an old SSH port, a port taken off the list) is
    deleted; with O(prune_unmanaged), so is every rule without that comment.
  - Rule numbers are positions in the listing, which is how C(ufw status numbered) and C(ufw delete NUM) count;
    they are returned highest first, since deleting a rule renumbers those after it.
options:
  _input:
    description: The output of C(ufw status verbose).
    type: string
    required: true
  rules:
    description:
      - The rules the role manages. Each has C(port), C(proto) (default V(tcp)), C(action) (V(allow), V(deny),
        V(reject) or V(limit); default V(allow)), C(comment), and C(source) (an address or network; V(any),
        the default, means both address families when O(ipv6)) or C(sources) (a list of them, one rule each;
        empty means any).
    type: list
    elements: dict
    required: true
  defaults:
    description: Wanted default policies by direction (V(incoming), V(outgoing), V(routed)).
    type: dict
    default: {}
  logging:
    description: Wanted logging level (V(off), V(low), V(medium), V(high), V(full)); omit to leave it.
    type: string
  ipv6:
    description: Whether ufw filters IPv6 (its C(IPV6=yes)), so rules for any source are expected for both families.
    type: bool
    default: true
  comment:
    description: The comment (or first word of the comment) that marks the role's rules.
    type: string
    default: ""
  prune_unmanaged:
    description: Also delete every rule that does not carry O(comment).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Read the firewall once
  ansible.builtin.command: ufw status verbose
  register: state
  changed_when: false

- name: Add what is missing
  community.general.ufw:
    rule: "{{ item.action }}"
    port: "{{ item.port | string }}"
    proto: tcp
    comment: "{{ item.comment }}"
  loop: "{{ (state.stdout | crhq.platform.ufw_plan(wanted, comment='site-managed')).missing }}"
  vars:
    wanted:
      - {port: 22, action: limit, comment: site-managed ssh}
      - {port: 443, action: allow, comment: site-managed service}
"""

RETURN = r"""
_value:
  description: The plan.
  type: dict
  contains:
    active:
      description: Whether ufw is enabled.
      type: bool
    missing:
      description: The wanted rules not fully in force, one per source, each with its C(source) (V(any) for any).
      type: list
      elements: dict
    delete:
      description: Numbers of the rules to delete, highest first.
      type: list
      elements: int
    defaults:
      description: The default policies to set, as C(direction) and C(policy).
      type: list
      elements: dict
    logging:
      description: Whether the logging level must be set.
      type: bool
    pending:
      description: Whether anything above is to change (a rule to add or delete, a policy, the logging level, or ufw to
        enable); false for a firewall already as wanted.
      type: bool
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.ufw_status import UfwStatusError, plan


def ufw_plan(text, rules, defaults=None, logging=None, ipv6=True, comment="", prune_unmanaged=True):
    try:
        return plan(text, rules, defaults, logging, ipv6, comment, prune_unmanaged)
    except UfwStatusError as exc:
        raise AnsibleFilterError("ufw_plan: %s" % exc) from None


class FilterModule:
    def filters(self):
        return {"ufw_plan": ufw_plan}

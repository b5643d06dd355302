# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: role_selected
short_description: Whether a run's tags can reach a role of this collection
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Tests whether a run with the given C(--tags) and C(--skip-tags) can run any task of the named role of this
    collection that is not tagged C(always). The roles use it to skip their read-only probes (tagged C(always), so
    that a run of one concern's tag finds them) in a run that reaches none of their tasks, such as C(--tags app)
    for every role but the app's.
  - Every task of these roles carries the role's name as a tag, and its concern's tag starts with the role's name
    and C(_) (C(hardening_ssh)). A run tag reaches the role when it is C(all), C(tagged), the role's name or one
    of its concern tags, or a tag this collection does not use (it may be a playbook's own tag on the role).
    C(always), C(never) and C(untagged) reach no role by themselves.
  - A role whose name is skipped (C(--skip-tags hardening)), or C(--skip-tags all), is not reached.
  - An unknown role name or tags that are not a list of names are an error, not a false.
options:
  _input:
    description:
      - The role's short name, for example V(hardening), or its full name, V(crhq.platform.hardening) (as
        C(ansible_role_name) holds it inside the role).
      - One of V(instance), V(hardening), V(firewall), V(postgresql), V(app), V(nginx), V(certbot), V(backup),
        V(agent), with or without V(crhq.platform.) before it.
    type: string
    required: true
  run_tags:
    description: The run's tags, C(ansible_run_tags); empty means all.
    type: list
    elements: string
    required: true
  skip_tags:
    description: The run's skipped tags, C(ansible_skip_tags).
    type: list
    elements: string
    default: []
"""

EXAMPLES = r"""
- name: Read the host, only when a task of this role can run
  crhq.platform.host_facts:
    paths: [/etc/ssh/sshd_config]
  register: hardening_read
  when: "'hardening' is crhq.platform.role_selected(ansible_run_tags, ansible_skip_tags)"
  tags: [hardening, always]
"""

RETURN = r"""
_value:
  description: V(True) if the run can run any of the role's tasks that are not tagged C(always).
  type: boolean
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.run_tags import role_selected as _role_selected


def role_selected(role, run_tags, skip_tags=None):
    try:
        return _role_selected(role, run_tags, skip_tags)
    except (TypeError, ValueError) as error:
        raise AnsibleFilterError("crhq.platform.role_selected: %s" % error) from error


class TestModule:
    def tests(self):
        return {"role_selected": role_selected}

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: audit_verify
short_description: Verify the hash chain of the CRHQ app's audit log
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Walks the CRHQ app's audit log from its first row and checks that every row's hash covers its content and
    the hash of the row before it, and that no row is missing. Fails naming the first broken row.
  - Drives the app's command C(crhq-app audit_verify) with the app's settings from O(env_file). Reads only.
  - The chain shows rows changed, removed or inserted after they were written. Rows cut from the end of the log
    leave a shorter intact chain; compare RV(last_hash) and RV(rows) with the journal's copy of the log or with
    a value recorded earlier (O(expect_at_least)).
options:
  expect_at_least:
    description: Fail when the log has fewer rows than this (for example the RV(rows) of an earlier run).
    type: int
    default: 0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.app_command
attributes:
  check_mode:
    support: full
    details: Reads only; runs the same in check mode.
  diff_mode:
    support: none
  platform:
    platforms: posix
"""

EXAMPLES = r"""
- name: The audit log has not been tampered with
  crhq.platform.audit_verify:
  become: true
  register: audit_chain

- name: And it has not shrunk since the last run
  crhq.platform.audit_verify:
    expect_at_least: "{{ audit_chain.rows }}"
  become: true
"""

RETURN = r"""
rows:
  description: Rows checked (all of them when the chain is intact).
  returned: always
  type: int
last_hash:
  description: Hash of the last intact row (64 zeros for an empty log).
  returned: always
  type: str
first_broken:
  description: The sequence number of the first broken row, or null.
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.crhq.platform.plugins.module_utils.app_command import APP_COMMAND_OPTIONS, AppCommandError, run_app


def main():
    module = AnsibleModule(
        argument_spec=dict(
            expect_at_least=dict(type="int", default=0),
            **APP_COMMAND_OPTIONS
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        # the command exits 1 for a broken chain: run it through run_app only to read its JSON line
        result = run_app(module, params["command"], ["audit_verify", "--no-fail"], params["env_file"])
    except AppCommandError as exc:
        module.fail_json(msg=to_native(exc))
    output = {"changed": False, "rows": result["rows"], "last_hash": result["last_hash"],
              "first_broken": result["first_broken"]}
    if not result["ok"]:
        module.fail_json(msg="the audit log's hash chain is broken at row %d: %s"
                         % (result["first_broken"], result["reason"]), **output)
    if result["rows"] < params["expect_at_least"]:
        module.fail_json(msg="the audit log has %d rows, fewer than the %d expected: rows were removed from its end"
                         % (result["rows"], params["expect_at_least"]), **output)
    module.exit_json(**output)


if __name__ == "__main__":
    main()

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: credential
short_description: Store a credential in the CRHQ app's encrypted credential store, from a playbook
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Stores a credential (a provider's API key, a token, a password) in the CRHQ reference app, where it is
    encrypted on its own with AES-256-GCM under the host's keyring, bound to the credential's id, and kept
    with every earlier value as a version; or deletes it (deleted credentials can be restored in the app).
  - Drives the app's own command, C(crhq-app credential), with the app's settings from O(env_file). The value
    goes to the command on its standard input, never on a command line, and is encrypted on the host.
  - Idempotent by name. The app compares the stored value with O(value) on the host, so the stored value never
    comes back to the controller; a different value makes a new version.
  - Every access is audited in the app's audit log with C(ansible) as the actor; the comparison is a read of the
    value and is audited as one.
options:
  name:
    description: The credential's name, 1 to 100 characters of letters, digits, C(-) and C(_).
    type: str
    required: true
  value:
    description:
      - The value, from a vaulted variable, stored exactly as given. Required with O(state=present). At most
        65536 characters.
    type: str
  description:
    description: A note shown next to the name in the app; left as it is when omitted.
    type: str
  state:
    description: V(present) stores it (restoring a deleted one of that name); V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.app_command
attributes:
  check_mode:
    support: full
    details: The command runs with C(--dry-run) inside a transaction it rolls back.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - The module never returns the value. Still give the task C(no_log), so that the value in its arguments does
    not appear when the task fails before Ansible masks it.
seealso:
  - module: crhq.platform.api_key
"""

EXAMPLES = r"""
- name: The OpenAI key the research agent uses
  crhq.platform.credential:
    name: openai
    value: "{{ vault_openai_api_key }}"
    description: OpenAI production key
  become: true
  no_log: true

- name: No longer needed
  crhq.platform.credential:
    name: old-token
    state: absent
  become: true
"""

RETURN = r"""
credential:
  description: The credential's record, without its value; null when O(state=absent) found none.
  returned: always
  type: dict
  contains:
    name:
      description: The name.
      type: str
    version:
      description: Its version; every new value adds one.
      type: int
    hint:
      description: The last 4 characters of a value of 16 characters or more, else empty.
      type: str
    deleted:
      description: Whether it is deleted.
      type: bool
  sample: {"name": "openai", "version": 2, "hint": "x9Qa", "deleted": false, "description": "OpenAI production key"}
created:
  description: Whether this run created it.
  returned: when O(state=present)
  type: bool
fields:
  description: What this run changed, among V(value), V(version) and V(description).
  returned: when O(state=present)
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.crhq.platform.plugins.module_utils.app_command import APP_COMMAND_OPTIONS, AppCommandError, run_app


def run(module):
    params = module.params
    args = ["credential", "set" if params["state"] == "present" else "delete", "--name", params["name"]]
    if params["description"] is not None and params["state"] == "present":
        args += ["--description", params["description"]]
    if module.check_mode:
        args.append("--dry-run")
    data = params["value"] + "\n" if params["state"] == "present" else None
    result = run_app(module, params["command"], args, params["env_file"], data=data)
    output = {"changed": result["changed"], "credential": result.get("credential")}
    if params["state"] == "present":
        output.update(created=bool(result.get("created")), fields=list(result.get("fields", [])))
    return output


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            value=dict(type="str", no_log=True),
            description=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            **APP_COMMAND_OPTIONS
        ),
        required_if=[("state", "present", ["value"])],
        supports_check_mode=True,
    )
    if module.params["value"] is not None and not module.params["value"]:
        module.fail_json(msg="value must not be empty")
    try:
        module.exit_json(**run(module))
    except AppCommandError as exc:
        module.fail_json(msg=to_native(exc))


if __name__ == "__main__":
    main()

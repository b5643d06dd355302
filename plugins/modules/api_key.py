#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: api_key
short_description: Issue and revoke API keys of the CRHQ app, on the host
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Issues an API key of the CRHQ reference app for an agent or a service, with its scopes, the credentials it
    may use and an optional expiry; or revokes it.
  - Drives the app's own command, C(crhq-app api_key), with the app's settings from O(env_file). The key is
    made on the host. The app stores only its SHA-256 and shows it once, so this module returns it once, in
    RV(key), or writes it to O(key_file), a new file of mode C(0600). Give the task C(no_log) when the key is
    returned.
  - Keys look like C(crhq_ak_) followed by 43 base62 characters (256 random bits) and a 6-character base62
    CRC-32 checksum, so secret scanners recognise them. See the collection's C(docs/app.md).
  - An active key of that name whose scopes, credentials or expiry differ is brought to the requested ones in
    place. An expired key is revoked and a new one issued, since O(state=present) means a key that works.
    Issuing, changing and revoking are audited in the app's audit log with C(ansible) as the actor.
options:
  name:
    description: The key's name, 1 to 100 characters of letters, digits, C(-) and C(_). One active key per name.
    type: str
    required: true
  state:
    description: V(present) issues the key when no active key has this name; V(absent) revokes it.
    type: str
    choices: [present, absent]
    default: present
  scopes:
    description:
      - What the key may do. V(credentials:read) reads the values of its O(credentials); V(credentials:list)
        lists their names; V(credentials:write) creates credentials and changes its own; V(audit:read) reads
        the audit log.
    type: list
    elements: str
    choices: ["credentials:read", "credentials:list", "credentials:write", "audit:read"]
    default: ["credentials:read"]
  credentials:
    description: Names of the stored credentials the key may use (see M(crhq.platform.credential)).
    type: list
    elements: str
    default: []
  expires_days:
    description: The key stops working this many days after it is issued. Without it the key does not expire.
    type: int
  key_file:
    description:
      - Write a newly issued key to this file on the host instead of returning it. Its directory must exist.
        The file is made with mode C(0600) by the user the module runs as; O(owner), O(group) and O(mode) then
        apply to it, for example to give an agent job its key (P(crhq.platform.agent#role)).
      - When the key exists but this file does not, the task fails (the app cannot show the key again); set
        O(rotate=true) to issue a new one.
    type: path
  rotate:
    description: Revoke the active key of this name and issue a new one.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.app_command
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details: The command runs with C(--dry-run) inside a transaction it rolls back; no key file is written.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: crhq.platform.credential
"""

EXAMPLES = r"""
- name: Key for the agent job that reads the OpenAI credential, in the agent's working directory, the agent's only
  crhq.platform.api_key:
    name: agent-research
    scopes: ["credentials:read"]
    credentials: [openai]
    expires_days: 90
    key_file: /var/lib/crhq-agent/work/.crhq/research.api-key
    owner: agent
    group: agent
    mode: "0400"
  become: true

- name: Key for a deployment pipeline, into a vault on the controller
  crhq.platform.api_key:
    name: pipeline
    scopes: ["credentials:write"]
  become: true
  register: pipeline_key
  no_log: true

- name: Revoke it
  crhq.platform.api_key:
    name: pipeline
    state: absent
  become: true
"""

RETURN = r"""
api_key:
  description: The key's record, without the key; null when O(state=absent) found no active key.
  returned: always
  type: dict
  contains:
    name:
      description: The name.
      type: str
    key_id:
      description: Public id, the first 16 hex digits of the key's SHA-256.
      type: str
    scopes:
      description: Its scopes.
      type: list
      elements: str
    credentials:
      description: The credentials it may use.
      type: list
      elements: str
    expires_at:
      description: Expiry (ISO 8601) or null.
      type: str
    state:
      description: V(active), V(expired) or V(revoked).
      type: str
  sample: {"name": "agent-research", "key_id": "3f9a1c2b7d4e5f60", "scopes": ["credentials:read"],
           "credentials": ["openai"], "expires_at": null, "state": "active"}
key:
  description: The key itself, only when this run issued it and O(key_file) is not set. It cannot be shown again.
  returned: when issued without O(key_file)
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.crhq.platform.plugins.module_utils.app_command import APP_COMMAND_OPTIONS, AppCommandError, run_app

SCOPES = ["credentials:read", "credentials:list", "credentials:write", "audit:read"]


def run(module):
    params = module.params
    check = module.check_mode
    base = ["api_key"]
    if params["state"] == "absent" or params["rotate"]:
        args = base + ["revoke", "--name", params["name"]] + (["--dry-run"] if check else [])
        revoked = run_app(module, params["command"], args, params["env_file"])
        if params["state"] == "absent":
            return {"changed": revoked["changed"], "api_key": revoked["api_key"]}
    if params["key_file"]:
        if not os.path.isabs(params["key_file"]):
            raise AppCommandError("key_file must be an absolute path, got %s" % params["key_file"])
        directory = os.path.dirname(params["key_file"])
        if not os.path.isdir(directory):
            raise AppCommandError("the directory %s of the key file does not exist; create it first" % directory)
    args = base + ["issue", "--name", params["name"]]
    for scope in params["scopes"]:
        args += ["--scope", scope]
    for credential in params["credentials"]:
        args += ["--credential", credential]
    if params["expires_days"] is not None:
        args += ["--expires-days", str(params["expires_days"])]
    if params["key_file"] and not check:
        args += ["--key-file", params["key_file"]]
    if check:
        if params["rotate"]:
            # the dry run of the revoke was rolled back, so an issue now would find the old key
            return {"changed": True, "api_key": None}
        args.append("--dry-run")
    result = run_app(module, params["command"], args, params["env_file"])
    key = result.get("key")  # returned in `key` only: the task that asks for it needs no_log
    output = {"changed": result["changed"] or bool(params["rotate"]), "api_key": result["api_key"]}
    if (not result["changed"] and params["key_file"] and not os.path.exists(params["key_file"])
            and not check):
        raise AppCommandError("an API key named %s is active but its key file %s does not exist, and the app cannot "
                              "show the key again; set rotate: true to issue a new one"
                              % (params["name"], params["key_file"]))
    if key and not check and not params["key_file"]:
        output["key"] = key
    if params["key_file"] and os.path.exists(params["key_file"]):
        file_args = module.load_file_common_arguments(params, path=params["key_file"])
        output["changed"] = module.set_fs_attributes_if_different(file_args, output["changed"])
    return output


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            scopes=dict(type="list", elements="str", default=["credentials:read"], choices=SCOPES),
            credentials=dict(type="list", elements="str", default=[]),
            expires_days=dict(type="int"),
            key_file=dict(type="path"),
            rotate=dict(type="bool", default=False),
            **APP_COMMAND_OPTIONS
        ),
        add_file_common_args=True,
        supports_check_mode=True,
    )
    if module.params["expires_days"] is not None and module.params["expires_days"] < 1:
        module.fail_json(msg="expires_days must be at least 1, got %d" % module.params["expires_days"])
    try:
        module.exit_json(**run(module))
    except AppCommandError as exc:
        module.fail_json(msg=to_native(exc))


if __name__ == "__main__":
    main()

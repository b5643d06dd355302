#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: app_rewrap
short_description: Move every secret the CRHQ app stores to the keyring's primary key
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - After a new primary key was added to the keyring (M(crhq.platform.secret) with O(crhq.platform.secret#module:rotate=true))
    and the app restarted, re-encrypts every stored credential, every kept version of a credential and every TOTP
    secret under the primary key, in one database transaction. It then reads every value again, checks that each
    decrypts and that the number of values is unchanged, and commits only then.
  - An interrupted or failed rewrap changes nothing, and since the keyring still holds the older keys, every value
    stays decryptable.
  - With O(verify=true) it changes nothing and only checks that every stored value decrypts.
  - With O(unused_key_ids) it changes nothing and only checks that no stored value uses those keys, the condition
    for retiring them (M(crhq.platform.secret) with O(crhq.platform.secret#module:retire)).
  - Drives the app's command C(crhq-app rewrap_secrets) with the app's settings from O(env_file); values never
    leave the host.
options:
  unused_key_ids:
    description: Only check that no stored value is under these key ids; fail naming those still in use.
    type: list
    elements: str
    default: []
  verify:
    description:
      - Only decrypt every stored value with the keyring in use, changing nothing. This is the check after a
        restore, which C(playbooks/restore.yml) runs. It fails naming the key ids the keyring lacks, and what to
        do, when the data comes from a server whose exported keyring was not put in place.
    type: bool
    default: false
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.app_command
attributes:
  check_mode:
    support: full
    details: The rewrap runs in full with C(--dry-run) and is rolled back, so the counts are what a real run would do.
  diff_mode:
    support: none
  platform:
    platforms: posix
seealso:
  - module: crhq.platform.secret
"""

EXAMPLES = r"""
- name: Everything under the new primary key
  crhq.platform.app_rewrap:
  become: true
  register: rewrap

- name: After a restore, every stored value decrypts with this host's keyring
  crhq.platform.app_rewrap:
    verify: true
  become: true

- name: Nothing uses the old key any more
  crhq.platform.app_rewrap:
    unused_key_ids: ["3f9a1c2b7d4e5f60"]
  become: true
"""

RETURN = r"""
primary:
  description: The primary key id every value is under afterwards.
  returned: when O(unused_key_ids) is empty
  type: str
checked:
  description: Values read and decrypted (after the rewrap, or by O(verify)).
  returned: when O(unused_key_ids) is empty
  type: int
rewrapped:
  description: Values re-encrypted (those already under the primary are only checked).
  returned: when O(unused_key_ids) is empty
  type: int
counts:
  description: Values by kind (C(credential), C(credential_version), C(totp_secret), C(totp_pending)).
  returned: when O(unused_key_ids) is empty
  type: dict
key_ids_before:
  description: Number of values under each key id before.
  returned: when O(unused_key_ids) is empty
  type: dict
key_ids:
  description: Number of values under each key id (with O(unused_key_ids); after the rewrap otherwise).
  returned: unless O(verify=true)
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native

from ansible_collections.crhq.platform.plugins.module_utils.app_command import APP_COMMAND_OPTIONS, AppCommandError, run_app
from ansible_collections.crhq.platform.plugins.module_utils.keyring import KEY_ID_RE


def main():
    module = AnsibleModule(
        argument_spec=dict(
            unused_key_ids=dict(type="list", elements="str", default=[], no_log=False),  # public key ids
            verify=dict(type="bool", default=False),
            **APP_COMMAND_OPTIONS
        ),
        mutually_exclusive=[("unused_key_ids", "verify")],
        supports_check_mode=True,
    )
    params = module.params
    bad = [kid for kid in params["unused_key_ids"] if not KEY_ID_RE.fullmatch(kid)]
    if bad:
        module.fail_json(msg="unused_key_ids takes key ids (16 lowercase hex digits), got %s" % ", ".join(bad))
    args = ["rewrap_secrets"] + (["--verify"] if params["verify"] else [])
    for kid in params["unused_key_ids"]:
        args += ["--unused", kid]
    if module.check_mode and not params["unused_key_ids"] and not params["verify"]:
        args.append("--dry-run")
    try:
        result = run_app(module, params["command"], args, params["env_file"])
    except AppCommandError as exc:
        module.fail_json(msg=to_native(exc))
    if params["unused_key_ids"]:
        module.exit_json(changed=False, key_ids=result["key_ids"])
    if params["verify"]:
        module.exit_json(changed=False, checked=result["checked"])
    module.exit_json(changed=result["changed"], primary=result["primary"], checked=result["checked"],
                     rewrapped=result["rewrapped"], counts=result["counts"], key_ids_before=result["key_ids_before"],
                     key_ids=result["key_ids_after"])


if __name__ == "__main__":
    main()

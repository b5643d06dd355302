#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: ssh_facts
short_description: Read what an SSH hardening decision needs, in one pass
version_added: 0.2.0
author: CRHQ platform team (@crhq)
description:
  - Reads, without changing anything, what the P(crhq.platform.hardening#role) role needs before it writes an
    sshd configuration, in one module call instead of one task per question.
  - The algorithms the installed OpenSSH knows (C(ssh -Q kex), C(cipher), C(mac), C(key-sig)), so that a
    configuration never names an algorithm the installed version would reject.
  - For each admin user whether the account exists, its groups, and how many keys its authorized keys
    files hold, and which of them can log in with a key under O(allow_groups). The role refuses to turn
    off password login when that list is empty, so the operator is never locked out.
  - How many Diffie-Hellman moduli in O(moduli_path) are shorter than O(min_moduli_bits).
options:
  admin_users:
    description: Accounts that must be able to log in with a key.
    type: list
    elements: str
    required: true
  allow_groups:
    description: The groups sshd will allow (its C(AllowGroups)). An empty list means every group.
    type: list
    elements: str
    default: []
  min_moduli_bits:
    description: Moduli whose size field is below this count as weak.
    type: int
    default: 3071
  moduli_path:
    description: The moduli file sshd reads.
    type: path
    default: /etc/ssh/moduli
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: The module never changes anything.
  diff_mode:
    support: none
  platform:
    platforms: posix
notes:
  - Authorized keys are counted in C(~/.ssh/authorized_keys) and C(~/.ssh/authorized_keys2); lines that are
    empty or comments do not count. Keys are never returned.
  - Only the standard library and the OpenSSH client are needed on the managed host.
seealso:
  - name: sshd_config(5)
    description: The meaning of AllowGroups and of the algorithm lists.
    link: https://man.openbsd.org/sshd_config
"""

EXAMPLES = r"""
- name: What OpenSSH supports and who can log in with a key
  crhq.platform.ssh_facts:
    admin_users: [debian]
    allow_groups: [sudo]
  register: ssh

- name: Refuse to lock the operator out
  ansible.builtin.assert:
    that: ssh.reachable_admins | length > 0
"""

RETURN = r"""
supported:
  description: Algorithm names the installed OpenSSH knows, by C(ssh -Q) query.
  returned: always
  type: dict
  contains:
    kex:
      description: Key exchange algorithms.
      type: list
      elements: str
      returned: always
    cipher:
      description: Ciphers.
      type: list
      elements: str
      returned: always
    mac:
      description: Message authentication codes.
      type: list
      elements: str
      returned: always
    key_sig:
      description: Host key and public key signature algorithms.
      type: list
      elements: str
      returned: always
  sample: {kex: [curve25519-sha256], cipher: [aes256-gcm@openssh.com], mac: [hmac-sha2-512-etm@openssh.com],
           key_sig: [ssh-ed25519]}
admins:
  description: One entry per admin user, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    user:
      description: Account name.
      type: str
      returned: always
    exists:
      description: Whether the account exists.
      type: bool
      returned: always
    groups:
      description: Primary and supplementary groups of the account.
      type: list
      elements: str
      returned: always
    authorized_keys:
      description: Number of key lines in the account's authorized keys files.
      type: int
      returned: always
  sample: [{user: debian, exists: true, groups: [debian, sudo], authorized_keys: 1}]
reachable_admins:
  description: Admin users that exist, hold at least one authorized key and belong to an allowed group.
  returned: always
  type: list
  elements: str
  sample: [debian]
weak_moduli:
  description: Number of moduli shorter than O(min_moduli_bits); 0 when the file does not exist.
  returned: always
  type: int
  sample: 0
"""

import grp
import os
import pwd

from ansible.module_utils.basic import AnsibleModule

QUERIES = (("kex", "kex"), ("cipher", "cipher"), ("mac", "mac"), ("key_sig", "key-sig"))


def count_keys(home):
    count = 0
    for name in ("authorized_keys", "authorized_keys2"):
        path = os.path.join(home, ".ssh", name)
        try:
            with open(path, encoding="utf-8", errors="replace") as handle:
                count += sum(1 for line in handle if line.strip() and not line.lstrip().startswith("#"))
        except OSError:
            continue
    return count


def admin_entry(user):
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return {"user": user, "exists": False, "groups": [], "authorized_keys": 0}
    groups = []
    try:
        groups.append(grp.getgrgid(account.pw_gid).gr_name)
    except KeyError:
        pass
    for group in grp.getgrall():
        if user in group.gr_mem and group.gr_name not in groups:
            groups.append(group.gr_name)
    return {"user": user, "exists": True, "groups": groups, "authorized_keys": count_keys(account.pw_dir)}


def weak_moduli(path, min_bits):
    count = 0
    try:
        with open(path, encoding="ascii", errors="replace") as handle:
            for line in handle:
                fields = line.split()
                if len(fields) >= 7 and not fields[0].startswith("#") and fields[4].isdigit() and int(fields[4]) < min_bits:
                    count += 1
    except FileNotFoundError:
        return 0
    return count


def reachable_admins(admins, allow_groups):
    """Admin users that exist, hold a key and belong to an allowed group (any group when none are listed)."""
    allowed = set(allow_groups)
    return [
        entry["user"] for entry in admins
        if entry["exists"] and entry["authorized_keys"] > 0 and (not allowed or allowed.intersection(entry["groups"]))
    ]


def main():
    module = AnsibleModule(
        argument_spec=dict(
            admin_users=dict(type="list", elements="str", required=True),
            allow_groups=dict(type="list", elements="str", default=[]),
            min_moduli_bits=dict(type="int", default=3071),
            moduli_path=dict(type="path", default="/etc/ssh/moduli"),
        ),
        supports_check_mode=True,
    )
    ssh = module.get_bin_path("ssh", required=True)
    supported = {}
    for key, query in QUERIES:
        rc, out, err = module.run_command([ssh, "-Q", query])
        if rc != 0:
            module.fail_json(msg="ssh -Q %s failed (rc %d): %s" % (query, rc, err.strip()))
        supported[key] = [line.strip() for line in out.splitlines() if line.strip()]
    admins = [admin_entry(user) for user in module.params["admin_users"]]
    module.exit_json(
        changed=False,
        supported=supported,
        admins=admins,
        reachable_admins=reachable_admins(admins, module.params["allow_groups"]),
        weak_moduli=weak_moduli(module.params["moduli_path"], module.params["min_moduli_bits"]),
    )


if __name__ == "__main__":
    main()

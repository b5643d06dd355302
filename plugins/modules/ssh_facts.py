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
  - For each admin user whether the account exists, its groups and login shell, how many keys its authorized
    keys files hold, how many of them sshd will accept once O(accepted_algorithms) and O(permit_root_login)
    apply, and which admins can therefore log in with a key. The role refuses to turn off password login when
    that list is empty, so the operator is never locked out, and names each admin's obstacle.
  - How many Diffie-Hellman moduli in O(moduli_path) are shorter than O(min_moduli_bits).
  - The TCP ports sshd listens on, from C(sshd -T), or from C(ssh.socket) when socket activation is in use, so
    that a firewall opens the port sshd really listens on.
  - The effective settings for each of O(effective_users) (C(sshd -T -C user=...)), with every C(Match) block
    applied. A role that writes nothing in a run compares these with what it wants instead of running C(sshd -T)
    again for each user.
options:
  admin_users:
    description: Accounts that must be able to log in with a key.
    type: list
    elements: str
    default: []
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
  main_config_path:
    description: sshd's main configuration file, whose mode and C(Include) of the drop-in directory are read.
    type: path
    default: /etc/ssh/sshd_config
    version_added: 0.3.0
  accepted_algorithms:
    description:
      - The public key signature algorithms sshd will accept (its C(PubkeyAcceptedAlgorithms) after the change).
      - A key counts only when one of its signature algorithms is listed (C(ssh-rsa) keys sign with
        C(rsa-sha2-512) or C(rsa-sha2-256)); a C(cert-authority) line counts when a C(-cert-v01@openssh.com)
        algorithm is listed. An empty list counts every key, whatever its type.
    type: list
    elements: str
    default: []
  permit_root_login:
    description:
      - The C(PermitRootLogin) sshd will have. With V(no) root is never reachable; with V(forced-commands-only)
        root has no shell. Omitted, root is judged like any other account.
    type: str
    choices: ['yes', 'no', prohibit-password, without-password, forced-commands-only]
  trusted_user_ca_keys:
    description:
      - Whether sshd will trust a user certificate authority (C(TrustedUserCAKeys)). The certificate algorithm of
        each of O(accepted_algorithms) is then accepted too, and admins count as reachable by certificate even
        without an authorized key; the module cannot see the certificates operators hold.
    type: bool
    default: false
  effective_users:
    description:
      - Users to read sshd's effective settings for (C(sshd -T -C user=<user>,host=localhost,addr=127.0.0.1)), in
        this order. Empty, nothing is read.
    type: list
    elements: str
    default: []
    version_added: 0.4.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - crhq.platform.read_only
notes:
  - Authorized keys are counted in C(~/.ssh/authorized_keys) and C(~/.ssh/authorized_keys2); lines that are
    empty or comments do not count. Keys are never returned, only their types.
  - A key with a C(command=) option (a forced command) or an C(expiry-time) in the past gives no shell and does
    not count as usable; C(from=) and other options are not evaluated.
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

- name: Refuse to lock the operator out, saying what stands in each admin's way
  ansible.builtin.assert:
    that: ssh.reachable_admins | length > 0
    fail_msg: "{{ ssh.admins | map(attribute='reason') | join('; ') }}"

- name: Judge the keys by what sshd will accept after the change
  crhq.platform.ssh_facts:
    admin_users: [debian, root]
    allow_groups: [root, sudo]
    accepted_algorithms: [ssh-ed25519, sk-ssh-ed25519@openssh.com, rsa-sha2-512, rsa-sha2-256]
    permit_root_login: "no"
  register: ssh

- name: The same read, with the effective settings for root, an admin and a user who is neither
  crhq.platform.ssh_facts:
    admin_users: [debian]
    effective_users: [root, debian, nobody]
  register: ssh

- name: No Match block weakens them
  ansible.builtin.assert:
    that: "ssh.effective | crhq.platform.sshd_mismatches({'PasswordAuthentication': false}) | length == 0"
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
accepted_algorithms:
  description: The algorithms of O(accepted_algorithms) this OpenSSH knows (with their certificate algorithms when
    O(trusted_user_ca_keys)), in the order given, which is the value for C(PubkeyAcceptedAlgorithms). Empty when
    O(accepted_algorithms) is.
  returned: always
  type: list
  elements: str
  sample: [ssh-ed25519, sk-ssh-ed25519@openssh.com, rsa-sha2-512, rsa-sha2-256]
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
    shell:
      description: The account's login shell; empty when the account does not exist.
      type: str
      returned: always
    authorized_keys:
      description: Number of key lines in the account's authorized keys files.
      type: int
      returned: always
    usable_keys:
      description: Of those, the keys sshd will accept for a login with a shell.
      type: int
      returned: always
    key_types:
      description: The key types found (C(cert-authority) lines as C(cert-authority:<type>)), sorted.
      type: list
      elements: str
      returned: always
    reason:
      description: Why the account cannot log in with a key; empty when it can.
      type: str
      returned: always
  sample: [{user: debian, exists: true, groups: [debian, sudo], shell: /bin/bash, authorized_keys: 2, usable_keys: 1,
            key_types: [ecdsa-sha2-nistp256, ssh-ed25519], reason: ""}]
reachable_admins:
  description: Admin users that exist, have a login shell, hold a key sshd will accept (or a trusted certificate
    authority applies) and belong to an allowed group; not root when O(permit_root_login) shuts it out.
  returned: always
  type: list
  elements: str
  sample: [debian]
listen:
  description: Where sshd listens.
  returned: always
  type: dict
  contains:
    ports:
      description: The TCP ports connections reach sshd on (from C(ssh.socket) when it is active, else from C(sshd -T)),
        sorted; empty when sshd is not installed or its configuration does not load.
      type: list
      elements: int
      returned: always
    config_ports:
      description: The ports of sshd's own configuration (C(sshd -T)).
      type: list
      elements: int
      returned: always
    socket_activated:
      description: Whether C(ssh.socket) is active, so systemd, not sshd, holds the listening socket.
      type: bool
      returned: always
    error:
      description: Why sshd's configuration could not be read; empty when it was.
      type: str
      returned: always
  sample: {ports: [22], config_ports: [22], socket_activated: false, error: ""}
main_config:
  description: sshd's main configuration file (O(main_config_path)), as the role checks it.
  returned: always
  type: dict
  version_added: 0.3.0
  contains:
    exists:
      description: Whether the file exists.
      type: bool
      returned: always
    mode:
      description: Its permission bits as a four-digit octal string; empty when it does not exist.
      type: str
      returned: always
    includes_drop_ins:
      description: Whether one of its lines is exactly C(Include /etc/ssh/sshd_config.d/*.conf).
      type: bool
      returned: always
  sample: {exists: true, mode: "0600", includes_drop_ins: true}
weak_moduli:
  description: Number of moduli shorter than O(min_moduli_bits); 0 when the file does not exist.
  returned: always
  type: int
  sample: 0
effective:
  description:
    - One entry per O(effective_users) user, in that order, with sshd's effective settings for a connection of
      that user; empty when O(effective_users) is, or when sshd is not installed (RV(listen.error) says so).
    - The shape the P(crhq.platform.sshd_mismatches#filter) filter takes.
  returned: always
  type: list
  elements: dict
  version_added: 0.4.0
  contains:
    user:
      description: The user.
      type: str
      returned: always
    rc:
      description: The exit status of C(sshd -T); not 0 when the configuration does not load.
      type: int
      returned: always
    stderr:
      description: The end of what C(sshd -T) printed on standard error (why the configuration does not load).
      type: str
      returned: always
    stdout_lines:
      description: What C(sshd -T) printed, one setting a line.
      type: list
      elements: str
      returned: always
  sample: [{user: root, rc: 0, stdout_lines: ["port 22", "passwordauthentication no"], stderr: ""}]
"""

import copy

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.crhq.platform.plugins.module_utils.ssh_reads import ARGUMENT_SPEC, SshReadError, read_ssh


def main():
    module = AnsibleModule(argument_spec=copy.deepcopy(ARGUMENT_SPEC), supports_check_mode=True)
    ssh = module.get_bin_path("ssh", required=True)
    try:
        facts = read_ssh(module, module.params, ssh)
    except SshReadError as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **facts)


if __name__ == "__main__":
    main()

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

import grp
import os
import pwd
import time

from ansible.module_utils.basic import AnsibleModule

QUERIES = (("kex", "kex"), ("cipher", "cipher"), ("mac", "mac"), ("key_sig", "key-sig"))


KEY_TYPES = frozenset([
    "ssh-ed25519", "sk-ssh-ed25519@openssh.com", "ssh-rsa", "ssh-dss", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ecdsa-sha2-nistp256@openssh.com",
])
CERT_SUFFIX = "-cert-v01@openssh.com"
# the signature algorithms (the names sshd's PubkeyAcceptedAlgorithms takes) a key of a type can log in with
SIGNATURES = {
    "ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"),
    "sk-ecdsa-sha2-nistp256@openssh.com": ("sk-ecdsa-sha2-nistp256@openssh.com",
                                           "webauthn-sk-ecdsa-sha2-nistp256@openssh.com"),
}
NO_SHELL = frozenset(["nologin", "false"])


def certificate_base(name):
    """The key type a certificate type certifies (ssh-ed25519 for ssh-ed25519-cert-v01@openssh.com), else None."""
    if not name.endswith(CERT_SUFFIX):
        return None
    stem = name[:-len(CERT_SUFFIX)]
    return stem + "@openssh.com" if stem + "@openssh.com" in KEY_TYPES else stem


def is_key_type(name):
    return name in KEY_TYPES or certificate_base(name) in KEY_TYPES


def split_unquoted(text, separators):
    """Split at any of `separators` outside double quotes (a backslash escapes a quote), dropping empty parts."""
    parts, current, quoted, escaped = [], [], False, False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char in separators and not quoted:
            if current:
                parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if current:
        parts.append("".join(current))
    return parts


def parse_key_line(line):
    """(key type, options) of an authorized_keys line, options a dict of lowercase name to value (True for a
    flag); None for a line whose key type OpenSSH does not know. Blank lines and comments are not passed here."""
    fields = split_unquoted(line.strip(), " \t")
    options = {}
    if fields and not is_key_type(fields[0]):
        for option in split_unquoted(fields[0], ","):
            name, separator, value = option.partition("=")
            options[name.lower()] = value.strip('"') if separator else True
        fields = fields[1:]
    if not fields or not is_key_type(fields[0]):
        return None
    return fields[0], options


def expiry_passed(value, now=None):
    """Whether an expiry-time option (YYYYMMDD[HHMM[SS]], local time, or UTC with a trailing Z) lies in the past;
    None when sshd could not read it."""
    text = str(value).strip()
    utc = text[-1:] in ("Z", "z")
    digits = text[:-1] if utc else text
    if not digits.isdigit() or len(digits) not in (8, 12, 14):
        return None
    digits = (digits + "000000")[:14]
    stamp = tuple(int(digits[start:end]) for start, end in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 12), (12, 14)))
    current = now if now is not None else (time.gmtime() if utc else time.localtime())
    return stamp <= tuple(current[:6])


def key_obstacle(key_type, options, accepted):
    """Why a key gives no login with a shell when sshd accepts the signature algorithms `accepted` (every one
    when empty), or "" when it does."""
    if "command" in options:
        return "a forced command (command=)"
    if "expiry-time" in options:
        passed = expiry_passed(options["expiry-time"])
        if passed is None:
            return "an expiry-time sshd cannot read"
        if passed:
            return "an expiry-time in the past"
    if not accepted:
        return ""
    if "cert-authority" in options:
        if any(name.endswith(CERT_SUFFIX) for name in accepted):
            return ""
        return "a cert-authority line, and no certificate algorithm is accepted"
    base = certificate_base(key_type)
    signatures = SIGNATURES.get(base or key_type, (base or key_type,))
    if base:
        signatures = tuple(name.replace("@openssh.com", "") + CERT_SUFFIX for name in signatures)
    if any(name in accepted for name in signatures):
        return ""
    return "type %s, which sshd will not accept" % key_type


def read_keys(home, accepted):
    """(key lines, usable keys, key types, obstacles) of an account's authorized keys files."""
    lines, usable, types, obstacles = 0, 0, set(), []
    for name in ("authorized_keys", "authorized_keys2"):
        try:
            with open(os.path.join(home, ".ssh", name), encoding="utf-8", errors="replace") as handle:
                content = handle.readlines()
        except OSError:
            continue
        for line in content:
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            lines += 1
            parsed = parse_key_line(line)
            if parsed is None:
                obstacles.append("a line that is not a key OpenSSH knows")
                continue
            key_type, options = parsed
            types.add(("cert-authority:" if "cert-authority" in options else "") + key_type)
            obstacle = key_obstacle(key_type, options, accepted)
            if obstacle:
                obstacles.append(obstacle)
            else:
                usable += 1
    return lines, usable, sorted(types), obstacles


def admin_entry(user, accepted=(), permit_root_login=None, trusted_user_ca_keys=False):
    """What decides whether `user` can log in with a key once the change applies (groups: reachable_admins)."""
    try:
        account = pwd.getpwnam(user)
    except KeyError:
        return {"user": user, "exists": False, "groups": [], "shell": "", "authorized_keys": 0, "usable_keys": 0,
                "key_types": [], "reason": "%s: no such account" % user}
    groups = []
    try:
        groups.append(grp.getgrgid(account.pw_gid).gr_name)
    except KeyError:
        pass
    for group in grp.getgrall():
        if user in group.gr_mem and group.gr_name not in groups:
            groups.append(group.gr_name)
    lines, usable, types, obstacles = read_keys(account.pw_dir, list(accepted))
    entry = {"user": user, "exists": True, "groups": groups, "shell": account.pw_shell, "authorized_keys": lines,
             "usable_keys": usable, "key_types": types, "reason": ""}
    certificates = trusted_user_ca_keys and any(name.endswith(CERT_SUFFIX) for name in accepted)
    if account.pw_uid == 0 and permit_root_login in ("no", "forced-commands-only"):
        entry["reason"] = "%s: PermitRootLogin %s shuts root out" % (user, permit_root_login)
    elif os.path.basename(account.pw_shell or "") in NO_SHELL:
        entry["reason"] = "%s: the login shell %s gives no shell" % (user, account.pw_shell)
    elif not usable and not certificates:
        if not lines:
            entry["reason"] = "%s: no authorized key" % user
        else:
            entry["reason"] = "%s: none of its %d authorized key line(s) will work (%s)" % (
                user, lines, "; ".join(sorted(set(obstacles))))
    return entry


def effective_algorithms(requested, certificates, supported):
    """The requested signature algorithms this OpenSSH knows, in the order given; with a trusted user CA, each
    one's certificate algorithm after it. Empty when nothing was requested."""
    wanted = []
    for name in requested:
        wanted.append(name)
        if certificates and not name.endswith(CERT_SUFFIX):
            wanted.append(name.replace("@openssh.com", "") + CERT_SUFFIX)
    known = set(supported)
    result = []
    for name in wanted:
        if name in known and name not in result:
            result.append(name)
    return result


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


DROP_IN_INCLUDE = "Include /etc/ssh/sshd_config.d/*.conf"


def main_config_facts(path):
    """Whether sshd's main file exists, its mode, and whether a line of it is exactly the drop-in Include."""
    try:
        mode = "%04o" % (os.stat(path).st_mode & 0o7777)
        with open(path, encoding="utf-8", errors="replace") as handle:
            includes = any(line.rstrip("\r\n") == DROP_IN_INCLUDE for line in handle)
    except FileNotFoundError:
        return {"exists": False, "mode": "", "includes_drop_ins": False}
    return {"exists": True, "mode": mode, "includes_drop_ins": includes}


def config_ports(sshd_t_output):
    """Ports from `sshd -T` output: those of its listenaddress lines, or else of its port lines."""
    listen, ports = set(), set()
    for line in sshd_t_output.splitlines():
        keyword, _sep, value = line.strip().partition(" ")
        if keyword == "port" and value.strip().isdigit():
            ports.add(int(value))
        elif keyword == "listenaddress":
            port = value.strip().rsplit(":", 1)[-1].split()[0] if ":" in value else ""
            if port.isdigit():
                listen.add(int(port))
    return sorted(listen or ports)


def socket_ports(listen_value):
    """Ports of `systemctl show -p Listen --value ssh.socket` lines such as "[::]:22 (Stream)"."""
    ports = set()
    for line in listen_value.splitlines():
        address = line.strip().split(" ")[0]
        if "(Stream)" in line and ":" in address and address.rsplit(":", 1)[1].isdigit():
            ports.add(int(address.rsplit(":", 1)[1]))
        elif "(Stream)" in line and address.isdigit():
            ports.add(int(address))
    return sorted(ports)


def effective_settings(module, sshd, users):
    """sshd -T for a connection of each user (every Match block applied), in the order given."""
    effective = []
    for user in users:
        rc, out, err = module.run_command([sshd, "-T", "-C", "user=%s,host=localhost,addr=127.0.0.1" % user])
        effective.append({"user": user, "rc": rc, "stdout_lines": out.splitlines(), "stderr": err.strip()[-300:]})
    return effective


def listen_facts(module, sshd):
    """Where connections reach sshd: ssh.socket's ports when socket activation is in use, else sshd's own."""
    result = {"ports": [], "config_ports": [], "socket_activated": False, "error": ""}
    if not sshd:
        result["error"] = "sshd is not installed"
        return result
    rc, out, err = module.run_command([sshd, "-T"])
    if rc != 0:
        result["error"] = "sshd -T failed (rc %d): %s" % (rc, err.strip()[-300:])
    else:
        result["config_ports"] = config_ports(out)
    result["ports"] = result["config_ports"]
    systemctl = module.get_bin_path("systemctl")
    if systemctl:
        rc, out, _err = module.run_command([systemctl, "is-active", "ssh.socket"])
        if rc == 0 and out.strip() == "active":
            result["socket_activated"] = True
            rc, out, _err = module.run_command([systemctl, "show", "-p", "Listen", "--value", "ssh.socket"])
            if rc == 0:
                result["ports"] = socket_ports(out)
    return result


def reachable_admins(admins, allow_groups):
    """Admin users with nothing in their way (admin_entry's reason) in an allowed group (any group when none are
    listed); records a group obstacle as the entry's reason."""
    allowed = set(allow_groups)
    reachable = []
    for entry in admins:
        usable = not entry["reason"]
        if usable and allowed and not allowed.intersection(entry["groups"]):
            entry["reason"] = "%s: in none of the allowed groups %s (its groups: %s)" % (
                entry["user"], ", ".join(sorted(allowed)), ", ".join(entry["groups"]) or "none")
            usable = False
        if usable:
            reachable.append(entry["user"])
    return reachable


def main():
    module = AnsibleModule(
        argument_spec=dict(
            admin_users=dict(type="list", elements="str", default=[]),
            allow_groups=dict(type="list", elements="str", default=[]),
            min_moduli_bits=dict(type="int", default=3071),
            moduli_path=dict(type="path", default="/etc/ssh/moduli"),
            main_config_path=dict(type="path", default="/etc/ssh/sshd_config"),
            accepted_algorithms=dict(type="list", elements="str", default=[]),
            permit_root_login=dict(type="str",
                                   choices=["yes", "no", "prohibit-password", "without-password", "forced-commands-only"]),
            trusted_user_ca_keys=dict(type="bool", default=False),
            effective_users=dict(type="list", elements="str", default=[]),
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
    params = module.params
    accepted = effective_algorithms(params["accepted_algorithms"], params["trusted_user_ca_keys"], supported["key_sig"])
    admins = [admin_entry(user, accepted, params["permit_root_login"], params["trusted_user_ca_keys"])
              for user in params["admin_users"]]
    sshd = module.get_bin_path("sshd", opt_dirs=["/usr/sbin"])
    module.exit_json(
        changed=False,
        effective=effective_settings(module, sshd, params["effective_users"]) if sshd else [],
        supported=supported,
        accepted_algorithms=accepted,
        admins=admins,
        listen=listen_facts(module, sshd),
        main_config=main_config_facts(module.params["main_config_path"]),
        reachable_admins=reachable_admins(admins, module.params["allow_groups"]),
        weak_moduli=weak_moduli(module.params["moduli_path"], module.params["min_moduli_bits"]),
    )


if __name__ == "__main__":
    main()

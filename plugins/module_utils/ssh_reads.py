# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What an SSH hardening decision needs, read in one pass: the algorithms the installed OpenSSH knows, the admin users'
keys and whether sshd will accept them, weak Diffie-Hellman moduli, sshd's main file, where sshd listens and the
effective settings per user. crhq.platform.ssh_facts returns it, and crhq.platform.host_facts (its ssh option) with
the hardening role's other reads, in one module call."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import grp
import os
import pwd
import time

from ansible_collections.crhq.platform.plugins.module_utils.sshd_listen import listen_facts

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


def effective_settings(module, sshd, users):
    """sshd -T for a connection of each user (every Match block applied), in the order given."""
    effective = []
    for user in users:
        rc, out, err = module.run_command([sshd, "-T", "-C", "user=%s,host=localhost,addr=127.0.0.1" % user])
        effective.append({"user": user, "rc": rc, "stdout_lines": out.splitlines(), "stderr": err.strip()[-300:]})
    return effective


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


# the options of crhq.platform.ssh_facts, which crhq.platform.host_facts's ssh option takes too
ARGUMENT_SPEC = dict(
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
)


class SshReadError(Exception):
    """ssh -Q failed; the message says which query and why."""


def read_ssh(module, params, ssh):
    """The facts for these (validated) options, with the ssh client at `ssh`; SshReadError when it cannot say which
    algorithms it knows."""
    supported = {}
    for key, query in QUERIES:
        rc, out, err = module.run_command([ssh, "-Q", query])
        if rc != 0:
            raise SshReadError("ssh -Q %s failed (rc %d): %s" % (query, rc, err.strip()))
        supported[key] = [line.strip() for line in out.splitlines() if line.strip()]
    accepted = effective_algorithms(params["accepted_algorithms"], params["trusted_user_ca_keys"], supported["key_sig"])
    admins = [admin_entry(user, accepted, params["permit_root_login"], params["trusted_user_ca_keys"])
              for user in params["admin_users"]]
    sshd = module.get_bin_path("sshd", opt_dirs=["/usr/sbin"])
    return dict(
        effective=effective_settings(module, sshd, params["effective_users"]) if sshd else [],
        supported=supported,
        accepted_algorithms=accepted,
        admins=admins,
        listen=listen_facts(module, sshd),
        main_config=main_config_facts(params["main_config_path"]),
        reachable_admins=reachable_admins(admins, params["allow_groups"]),
        weak_moduli=weak_moduli(params["moduli_path"], params["min_moduli_bits"]),
    )

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: secret
short_description: Generate key material on the managed host, where it stays
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - Generates CRHQ key material in a file on the managed host with the host's own random source. The material is
    a master keyring of AES-256 keys, a session secret or password (O(type=token)), API and hub keys
    with recognisable prefixes, a TOTP secret, or a set of one-time backup codes.
  - Never overwrites existing material. A file that exists and is valid is left as it is (only its
    owner, group and mode are enforced); a file that exists but is not valid (wrong prefix, alphabet or length
    for its O(type), as C(docs/crypto-format.md) specifies) makes the task fail with a message that names the
    problem, and the file is not touched. A new file is linked into place, so it never replaces one that another
    process wrote meanwhile.
  - O(rotate=true) adds a new key to an existing keyring and makes it the primary; older keys stay
    so that everything encrypted under them still decrypts (see P(crhq.platform.rewrap_credential#filter)).
  - Returns key ids and fingerprints, never key material; the diff shows only ids and counts.
  - The file formats are specified in the collection's C(docs/crypto-format.md).
  - O(secrets) handles several files in one task, and one run of the module on the host (a loop runs it once per
    file), with the same options per file and the results in RV(results).
options:
  path:
    description:
      - File that holds the material. Its directory must exist.
      - Required unless O(secrets) is given; the two exclude each other.
    type: path
  type:
    description:
      - V(keyring) is a JSON keyring of 256-bit AES keys.
      - V(token) is 32 random bytes (O(bytes)) as unpadded base64url, for session secrets and passwords.
      - V(api_key) and V(hub_key) are O(prefix) followed by 43 base62 characters (256 bits).
      - V(totp) is a base32 TOTP secret (160 bits unless O(bytes) says otherwise).
      - V(backup_codes) is O(count) one-time codes of the form C(xxxxx-xxxxx), one per line.
      - Required with O(path).
    type: str
    choices: [keyring, token, api_key, hub_key, totp, backup_codes]
  rotate:
    description:
      - With O(type=keyring), add a new primary key to an existing keyring. Every run with
        V(true) adds a key, so set it for the one run that rotates.
      - The rotated file keeps the owner, group and mode of the file it replaces (unless the task sets them), and
        runs of this module on files of one directory take turns on a lock, so two rotations at the same time
        both add their key.
    type: bool
    default: false
  retire:
    description:
      - With O(type=keyring), remove these key ids from the keyring (ids it does not hold are ignored, so the task
        is idempotent). The primary key never retires. The file keeps its owner, group and mode.
      - Only retire a key no stored value uses any more; C(playbooks/rotate_keys.yml) checks that through the app
        (C(crhq-app rewrap_secrets --unused KEY_ID)) before it retires.
    type: list
    elements: str
    default: []
  prefix:
    description:
      - Text put in front of a generated V(token), V(api_key) or V(hub_key), up to 32 characters of
        C([A-Za-z0-9_]). Defaults to V(crhq_ak_) for API keys, V(crhq_hk_) for hub keys and none for tokens.
    type: str
  bytes:
    description: Random bytes for V(token), V(api_key), V(hub_key) and V(totp); at least 16.
    type: int
  count:
    description: Number of codes for V(backup_codes).
    type: int
    default: 10
  scram_sha256:
    description:
      - With O(type=token), also return RV(scram_sha256), the PostgreSQL SCRAM-SHA-256 verifier of the
        token, computed on the host. Give it to M(community.postgresql.postgresql_user) as the
        password. The database role gets the token as its password while the token never leaves
        the host. The salt is 16 random bytes; the verifier is kept in C(<path>.scram) (mode C(0600), the module's
        user), so later runs return the same verifier while it matches the token, and a new token gets a new salt.
    type: bool
    default: false
  secrets:
    description:
      - Several files at once, each with the options above (O(path) and O(type) required), handled in their order
        in one run of the module. The task's O(owner), O(group) and O(mode) apply to an item that does not set its
        own, and the task's other file options (SELinux context, attributes) to every item; the options above may
        not be given to the task with O(secrets).
      - Every item's options are checked before any file is touched; a file that fails stops the task with a
        message that starts with C(secrets[N] (path)), and the files before it stay as they were made (the failed
        task's RV(results) lists them).
    type: list
    elements: dict
    suboptions:
      path:
        description: As O(path).
        type: path
        required: true
      type:
        description: As O(type).
        type: str
        required: true
        choices: [keyring, token, api_key, hub_key, totp, backup_codes]
      rotate:
        description: As O(rotate).
        type: bool
        default: false
      retire:
        description: As O(retire).
        type: list
        elements: str
        default: []
      prefix:
        description: As O(prefix).
        type: str
      bytes:
        description: As O(bytes).
        type: int
      count:
        description: As O(count).
        type: int
        default: 10
      scram_sha256:
        description: As O(scram_sha256).
        type: bool
        default: false
      owner:
        description: Owner of this file; the task's O(owner) when not set.
        type: str
      group:
        description: Group of this file; the task's O(group) when not set.
        type: str
      mode:
        description: Mode of this file; the task's O(mode) when not set.
        type: raw
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The diff lists key ids, counts and fingerprints only, never material.
  platform:
    platforms: posix
notes:
  - When O(mode) is not given the file is created with mode C(0600).
  - Only the standard library is needed on the managed host.
seealso:
  - plugin: crhq.platform.encrypt_credential
    plugin_type: filter
  - plugin: crhq.platform.api_key_hash
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Master keyring, readable by the app group only
  crhq.platform.secret:
    path: /etc/crhq/keys/master.keyring
    type: keyring
    owner: root
    group: crhq
    mode: "0640"

- name: Rotate the master key (adds a new primary, keeps the old keys)
  crhq.platform.secret:
    path: /etc/crhq/keys/master.keyring
    type: keyring
    rotate: true

- name: Session secret
  crhq.platform.secret:
    path: /etc/crhq/keys/session.secret
    type: token
    group: crhq
    mode: "0640"

- name: Hub key; store only its hash
  crhq.platform.secret:
    path: /etc/crhq/keys/hub.key
    type: hub_key
  register: hub_key

- name: Two database passwords in one run of the module, both readable by root only
  crhq.platform.secret:
    secrets:
      - {path: /etc/crhq/keys/db-owner.password, type: token, scram_sha256: true}
      - {path: /etc/crhq/keys/db-app.password, type: token, scram_sha256: true}
    owner: root
    group: root
    mode: "0600"
  register: passwords
  no_log: true

- name: The hash the app stores, computed on the host
  ansible.builtin.debug:
    msg: "{{ hub_key.fingerprint }}"
"""

RETURN = r"""
results:
  description:
    - With O(secrets), one result per item in their order, each with the keys below (and C(changed)).
    - Without O(secrets) the keys below are the task's own.
  returned: when O(secrets) is given (on a failure, the items handled before the failing one)
  type: list
  elements: dict
path:
  description: The file.
  returned: without O(secrets)
  type: str
type:
  description: The kind of material.
  returned: without O(secrets)
  type: str
created:
  description: Whether the file was (or, in check mode, would be) created.
  returned: without O(secrets)
  type: bool
rotated:
  description: Whether a new primary key was (or would be) added.
  returned: without O(secrets)
  type: bool
retired:
  description: Key ids removed (or, in check mode, that would be) by O(retire).
  returned: when O(type=keyring)
  type: list
  elements: str
primary_key_id:
  description: Id of the key that encrypts; null in check mode when the keyring does not exist yet.
  returned: when O(type=keyring)
  type: str
  sample: 3f9a1c2b7d4e5f60
key_ids:
  description: Ids of all keys in the keyring, oldest first.
  returned: when O(type=keyring)
  type: list
  elements: str
key_details:
  description: Id, creation time and fingerprint of each key.
  returned: when O(type=keyring)
  type: list
  elements: dict
  sample: [{"id": "3f9a1c2b7d4e5f60", "created": "2026-11-29T14:00:00Z", "fingerprint": "sha256:9b1c..."}]
fingerprint:
  description:
    - C(sha256:<hex>) of the token, API key, hub key or TOTP secret. For API and hub keys this is
      the value P(crhq.platform.api_key_hash#filter) gives, the form the app stores.
  returned: when O(type) is not V(keyring) or V(backup_codes), and the file exists
  type: str
scram_sha256:
  description:
    - C(SCRAM-SHA-256$4096:<salt>$<StoredKey>:<ServerKey>), PostgreSQL's stored form of the token as
      a password. Not the token, but treat it as sensitive (C(no_log)).
  returned: when O(scram_sha256=true) and the file exists
  type: str
codes:
  description: Number of backup codes in the file.
  returned: when O(type=backup_codes)
  type: int
"""

import os
import stat
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native, to_text

from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
    KEY_ID_RE,
    TOKEN_PREFIX_RE,
    CredentialError,
    check_backup_codes,
    check_token,
    dump_keyring,
    fingerprint,
    keyring_summary,
    new_backup_codes,
    new_keyring,
    new_token,
    parse_keyring,
    retire_keys,
    rotate_keyring,
    scram_sha256_matches,
    scram_sha256_verifier,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

SCRAM_SUFFIX = ".scram"
DEFAULT_PREFIX = {"api_key": "crhq_ak_", "hub_key": "crhq_hk_", "token": ""}
DEFAULT_BYTES = {"token": 32, "api_key": 32, "hub_key": 32, "totp": 20}


def read_existing(path):
    try:
        with open(path, "rb") as handle:
            return to_text(handle.read(), errors="surrogate_or_strict")
    except UnicodeError:
        raise CredentialError("%s exists but is not UTF-8 text; it was left untouched" % path)


def check_existing(kind, text, prefix, path):
    """Validate stored material; return its non-secret summary. Raises CredentialError."""
    where = "%s exists but " % path
    if kind == "keyring":
        try:
            return keyring_summary(parse_keyring(text))
        except CredentialError as exc:
            raise CredentialError(where + "is not a valid keyring (%s); it was left untouched" % exc)
    lines = text.splitlines()
    if kind == "backup_codes":
        try:
            return {"codes": check_backup_codes(lines)}
        except CredentialError as exc:
            raise CredentialError(where + "is not a valid backup codes file: %s; it was left untouched" % exc)
    if len(lines) != 1 or not lines[0].strip():
        raise CredentialError(where + "does not hold exactly one line of %s material; it was left untouched" % kind)
    value = lines[0].strip()
    try:
        check_token(kind, value, prefix)
    except CredentialError as exc:
        raise CredentialError(where + "is not valid %s material: %s; it was left untouched" % (kind, exc))
    return {"fingerprint": fingerprint(value)}


def describe(kind, summary):
    """Diff text: ids and counts only."""
    if summary is None:
        return "absent\n"
    if kind == "keyring":
        return "".join("key %s%s\n" % (k["id"], " (primary)" if k["id"] == summary["primary_key_id"] else "")
                       for k in summary["key_details"])
    if kind == "backup_codes":
        return "%d backup codes\n" % summary["codes"]
    return "%s %s\n" % (kind, summary["fingerprint"])


class DirectoryLock:
    """An exclusive flock on the file's directory: read, rotate and write are one step for every run of this
    module (two rotations of one keyring at the same time would otherwise lose a key)."""

    def __init__(self, path):
        self.directory = os.path.dirname(path) or "."
        self.fd = None

    def __enter__(self):
        self.fd = os.open(self.directory, os.O_RDONLY)
        if fcntl is not None:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        os.close(self.fd)  # releases the lock
        return False


def write_atomically(path, text, replace=False):
    """Write a file: made 0600 (or with the owner, group and mode of the file it replaces), flushed to disk,
    then put in place in one step. A new file is linked, so it never replaces a file that appeared meanwhile
    (FileExistsError); with `replace`, it is renamed over the old one."""
    directory = os.path.dirname(path) or "."
    fd, tmp = tempfile.mkstemp(prefix=".crhq-secret-", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            if replace:
                old = os.stat(path)
                os.fchown(handle.fileno(), old.st_uid, old.st_gid)
                os.fchmod(handle.fileno(), stat.S_IMODE(old.st_mode))
            handle.write(to_bytes(text))
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.rename(tmp, path)
        else:
            os.link(tmp, path)
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def scram_verifier(module, path, password):
    """The SCRAM-SHA-256 verifier of `password`, kept in `<path>.scram` (root only) with its random salt:
    the same verifier on every run while it matches the password, a new salt otherwise."""
    keep = path + SCRAM_SUFFIX
    try:
        with open(keep, encoding="utf-8") as handle:
            stored = handle.read().strip()
    except (OSError, UnicodeError):
        stored = None
    if stored is not None and scram_sha256_matches(stored, password):
        return stored, False
    verifier = scram_sha256_verifier(password)
    if not module.check_mode:
        if os.path.lexists(keep):
            os.unlink(keep)  # of another password, or damaged: it only ever held a verifier
        write_atomically(keep, verifier + "\n")
    return verifier, True


def generate(params, kind, existing_text):
    """New file content and its summary."""
    if kind == "keyring":
        keyring = rotate_keyring(parse_keyring(existing_text)) if existing_text is not None else new_keyring()
        return dump_keyring(keyring), keyring_summary(keyring)
    if kind == "backup_codes":
        codes = new_backup_codes(params["count"])
        return "\n".join(codes) + "\n", {"codes": len(codes)}
    value = new_token(kind, prefix=params["prefix"], nbytes=params["bytes"])
    return value + "\n", {"fingerprint": fingerprint(value)}


class Refused(Exception):
    """A task that cannot go on: its message names the problem."""


def check_params(params):
    """Fill in the defaults that depend on the type; refuse what does not fit together (nothing is touched yet)."""
    path, kind = params["path"], params["type"]
    if params["rotate"] and kind != "keyring":
        raise Refused("rotate=true only applies to type=keyring")
    if params["retire"] and (kind != "keyring" or params["rotate"]):
        raise Refused("retire only applies to type=keyring, and not in the task that rotates")
    bad = [kid for kid in params["retire"] if not KEY_ID_RE.fullmatch(kid)]
    if bad:
        raise Refused("retire takes key ids (16 lowercase hex digits), got %s" % ", ".join(repr(k) for k in bad))
    if params["prefix"] is None:
        params["prefix"] = DEFAULT_PREFIX.get(kind, "")
    elif kind not in DEFAULT_PREFIX:
        raise Refused("prefix only applies to types token, api_key and hub_key")
    if not TOKEN_PREFIX_RE.fullmatch(params["prefix"]):
        raise Refused("prefix must be at most 32 characters of [A-Za-z0-9_]")
    if params["bytes"] is None:
        params["bytes"] = DEFAULT_BYTES.get(kind, 32)
    if params["bytes"] < 16:
        raise Refused("bytes must be at least 16 (128 bits), got %d" % params["bytes"])
    if params["count"] < 1:
        raise Refused("count must be at least 1")
    if params["scram_sha256"] and kind != "token":
        raise Refused("scram_sha256=true only applies to type=token")
    if os.path.isdir(path):
        raise Refused("%s is a directory" % path)


def run_one(module, params):
    """Generate, rotate or retire the material of one file as `params` say; returns the task's result."""
    path, kind = params["path"], params["type"]
    if not os.path.isdir(os.path.dirname(path) or "."):
        if module.check_mode and not params["retire"] and not params["rotate"]:
            # a first dry run on a fresh host: the task before this one only predicted the directory
            result = {"changed": True, "path": path, "type": kind, "created": True, "rotated": False}
            if kind == "keyring":
                result.update(primary_key_id=None, key_ids=[], key_details=[], retired=[])
            if module._diff:
                result["diff"] = {"before_header": path, "after_header": path, "before": "absent\n",
                                  "after": "new %s (check mode; its directory does not exist yet)\n" % kind}
            return result
        raise Refused("the directory of %s does not exist; create it first" % path)

    with DirectoryLock(path):
        exists = os.path.exists(path)
        existing_text = read_existing(path) if exists else None
        before = check_existing(kind, existing_text, params["prefix"], path) if exists else None
        created = not exists
        rotated = bool(params["rotate"]) and exists
        retired = sorted(set(params["retire"]) & set(before["key_ids"])) if exists and params["retire"] else []
        if not exists and params["retire"]:
            raise Refused("%s does not exist: there is no key to retire" % path)
        after = before
        if created or rotated:
            after = None
            if not module.check_mode:
                content, after = generate(params, kind, existing_text)
                write_atomically(path, content, replace=rotated)
        elif retired:
            kept = retire_keys(parse_keyring(existing_text), retired)
            after = keyring_summary(kept)
            if not module.check_mode:
                write_atomically(path, dump_keyring(kept), replace=True)
        scram, scram_changed = None, False
        if params["scram_sha256"] and os.path.exists(path):
            scram, scram_changed = scram_verifier(module, path, read_existing(path).strip())

    result = {"changed": created or rotated or bool(retired) or scram_changed, "path": path, "type": kind,
              "created": created, "rotated": rotated}
    if kind == "keyring":
        result["retired"] = retired
    if result["changed"] and module._diff:
        planned = "new %s (check mode)\n" % ("primary key" if rotated else kind)
        result["diff"] = {"before_header": path, "after_header": path, "before": describe(kind, before),
                          "after": planned if after is None else describe(kind, after)}
    if os.path.exists(path):
        file_args = module.load_file_common_arguments(params, path=path)
        if file_args.get("mode") is None and created:
            file_args["mode"] = "0600"
        result["changed"] = module.set_fs_attributes_if_different(file_args, result["changed"])
    # in check mode, report what is there now; a keyring that does not exist yet has no ids
    summary = after if after is not None else before
    if summary is None and kind == "keyring":
        summary = {"primary_key_id": None, "key_ids": [], "key_details": []}
    result.update(summary or {})
    if scram is not None:
        result["scram_sha256"] = scram
    return result


ITEM_OPTIONS = dict(
    path=dict(type="path", required=True),
    type=dict(type="str", required=True, choices=["keyring", "token", "api_key", "hub_key", "totp", "backup_codes"]),
    rotate=dict(type="bool", default=False),
    retire=dict(type="list", elements="str", default=[]),
    prefix=dict(type="str"),
    bytes=dict(type="int"),
    count=dict(type="int", default=10),
    scram_sha256=dict(type="bool", default=False),
)
FILE_OPTIONS = ("owner", "group", "mode")


def item_params(module, item):
    """One file's parameters: the item's own, and the task's owner, group and mode where the item sets none."""
    params = dict(module.params)
    params.pop("secrets")
    params.update((key, value) for key, value in item.items() if value is not None or key not in FILE_OPTIONS)
    return params


def fail(module, batch, results, msg):
    """Fail the task; with `secrets`, the items handled before the failing one are reported as well."""
    if not batch:
        module.fail_json(msg=msg)
    for result in results:
        result.pop("diff", None)
    module.fail_json(msg=msg, changed=any(result["changed"] for result in results), results=results)


def main():
    item_options = dict(ITEM_OPTIONS, **{key: dict(type="raw" if key == "mode" else "str") for key in FILE_OPTIONS})
    module = AnsibleModule(
        argument_spec=dict(
            ITEM_OPTIONS,
            path=dict(type="path"),
            type=dict(type="str", choices=ITEM_OPTIONS["type"]["choices"]),
            # the files' paths and types, never material
            secrets=dict(type="list", elements="dict", options=item_options, no_log=False),
        ),
        add_file_common_args=True,
        mutually_exclusive=[("secrets", "path"), ("secrets", "type"), ("secrets", "rotate"), ("secrets", "retire"),
                            ("secrets", "prefix"), ("secrets", "bytes"), ("secrets", "count"),
                            ("secrets", "scram_sha256")],
        required_one_of=[("path", "secrets")],
        required_together=[("path", "type")],
        supports_check_mode=True,
    )
    batch = module.params["secrets"] is not None
    items = [item_params(module, item) for item in module.params["secrets"]] if batch else [module.params]
    where = ""
    results = []
    try:
        for index, params in enumerate(items):
            where = "secrets[%d] (%s): " % (index, params["path"]) if batch else ""
            check_params(params)
        for index, params in enumerate(items):
            where = "secrets[%d] (%s): " % (index, params["path"]) if batch else ""
            results.append(run_one(module, params))
    except (Refused, CredentialError) as exc:
        fail(module, batch, results, where + to_native(exc))
    except (IOError, OSError) as exc:
        fail(module, batch, results, "%scannot write %s: %s" % (where, params["path"], to_native(exc.strerror or exc)))
    if not batch:
        module.exit_json(**results[0])
    diffs = [result.pop("diff") for result in results if "diff" in result]
    outcome = {"changed": any(result["changed"] for result in results), "results": results}
    if diffs:
        outcome["diff"] = diffs
    module.exit_json(**outcome)


if __name__ == "__main__":
    main()

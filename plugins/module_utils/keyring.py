# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keyring and token material for crhq.platform.

Standard library only: this file runs on managed hosts (inside the secret
module) as well as on the controller. The on-disk formats are specified in
docs/crypto-format.md; keep the two in step.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import datetime
import hashlib
import hmac
import json
import os
import re

KEY_BYTES = 32
KEYRING_FORMAT = "crhq-keyring"
KEYRING_VERSION = 1
KEY_ID_RE = re.compile(r"^[0-9a-f]{16}$")
_KEY_ID_DOMAIN = b"crhq key id v1\x00"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Backup codes avoid characters that are easily confused when read aloud or typed.
BACKUP_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
TOKEN_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{0,32}$")


class CredentialError(ValueError):
    """Bad keyring, key, envelope or argument. Messages never carry key material."""


def key_id(key):
    """Key id of a raw 32-byte key: 16 hex digits of SHA-256 over a domain tag and the key."""
    return hashlib.sha256(_KEY_ID_DOMAIN + key).hexdigest()[:16]


def fingerprint(material):
    """Public fingerprint of key or token material (bytes or text): 'sha256:' + hex digest."""
    if not isinstance(material, bytes):
        material = material.encode("utf-8")
    return "sha256:" + hashlib.sha256(material).hexdigest()


def _utcnow():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def decode_key(text, where="key"):
    """Decode a standard base64 key of exactly 32 bytes."""
    if not isinstance(text, str) or not text:
        raise CredentialError("%s must be a non-empty base64 string" % where)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise CredentialError("%s is not valid base64" % where)
    if len(raw) != KEY_BYTES:
        raise CredentialError("%s must decode to %d bytes, got %d" % (where, KEY_BYTES, len(raw)))
    return raw


def new_key_entry(created=None):
    key = os.urandom(KEY_BYTES)
    return {
        "id": key_id(key),
        "created": created or _utcnow(),
        "algorithm": "AES-256-GCM",
        "key": base64.b64encode(key).decode("ascii"),
    }


def new_keyring():
    entry = new_key_entry()
    return {"format": KEYRING_FORMAT, "version": KEYRING_VERSION, "primary": entry["id"], "keys": [entry]}


def rotate_keyring(keyring):
    """Return a new keyring with a fresh primary key; older keys stay for decryption."""
    validate_keyring(keyring)
    entry = new_key_entry()
    rotated = dict(keyring)
    rotated["keys"] = list(keyring["keys"]) + [entry]
    rotated["primary"] = entry["id"]
    return rotated


def validate_keyring(keyring):
    """Check a parsed keyring completely; return {key_id: raw_key}."""
    if not isinstance(keyring, dict):
        raise CredentialError("keyring must be a mapping (parsed keyring JSON), got %s" % type(keyring).__name__)
    if keyring.get("format") != KEYRING_FORMAT:
        raise CredentialError("keyring 'format' must be %r" % KEYRING_FORMAT)
    if keyring.get("version") != KEYRING_VERSION:
        raise CredentialError("unsupported keyring version %r (this collection reads version %d)"
                              % (keyring.get("version"), KEYRING_VERSION))
    entries = keyring.get("keys")
    if not isinstance(entries, list) or not entries:
        raise CredentialError("keyring 'keys' must be a non-empty list")
    keys = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise CredentialError("keyring key #%d must be a mapping" % index)
        kid = entry.get("id")
        if not isinstance(kid, str) or not KEY_ID_RE.match(kid):
            raise CredentialError("keyring key #%d has a malformed id (16 lowercase hex digits expected)" % index)
        raw = decode_key(entry.get("key"), "keyring key %s" % kid)
        if key_id(raw) != kid:
            raise CredentialError("keyring key %s does not match its id: the key material is damaged" % kid)
        if kid in keys:
            raise CredentialError("keyring lists key %s twice" % kid)
        keys[kid] = raw
    primary = keyring.get("primary")
    if primary not in keys:
        raise CredentialError("keyring primary %r is not one of its key ids" % (primary,))
    return keys


def parse_keyring(text):
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        raise CredentialError("keyring is not valid JSON")
    validate_keyring(data)
    return data


def dump_keyring(keyring):
    return json.dumps(keyring, indent=2, sort_keys=True) + "\n"


def keyring_summary(keyring):
    """Non-secret description of a keyring: ids, fingerprints, creation times, primary."""
    keys = validate_keyring(keyring)
    return {
        "primary_key_id": keyring["primary"],
        "key_ids": [e["id"] for e in keyring["keys"]],
        "key_details": [
            {"id": e["id"], "created": e.get("created"), "fingerprint": fingerprint(keys[e["id"]])}
            for e in keyring["keys"]
        ],
    }


def base62(data, width):
    number = int(binascii.hexlify(data), 16) if data else 0
    chars = []
    while number:
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars)).rjust(width, "0")


def new_token(kind, prefix=None, nbytes=32):
    """Random secret text of the given kind; returns text without a trailing newline."""
    if nbytes < 16:
        raise CredentialError("a token needs at least 16 random bytes, got %d" % nbytes)
    raw = os.urandom(nbytes)
    if kind == "token":
        return (prefix or "") + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    if kind in ("api_key", "hub_key"):
        width = len(base62(b"\xff" * nbytes, 0))
        return prefix + base62(raw, width)
    if kind == "totp":
        return base64.b32encode(raw).decode("ascii").rstrip("=")
    raise CredentialError("unknown token kind %r" % (kind,))


def new_backup_codes(count=10, length=10):
    """`count` one-time backup codes of `length` characters, grouped as xxxxx-xxxxx."""
    if count < 1 or length < 8:
        raise CredentialError("backup codes need count >= 1 and length >= 8")
    codes = []
    alphabet = BACKUP_CODE_ALPHABET
    while len(codes) < count:
        raw = os.urandom(length)
        # rejection sampling keeps every character uniform
        chars = [alphabet[b % len(alphabet)] for b in raw if b < 256 - (256 % len(alphabet))]
        if len(chars) < length:
            continue
        code = "".join(chars[:length])
        code = code[:length // 2] + "-" + code[length // 2:]
        if code not in codes:
            codes.append(code)
    return codes


SCRAM_ITERATIONS = 4096


def scram_sha256_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """PostgreSQL's stored form of a password for SCRAM-SHA-256 (RFC 5802, RFC 7677).

    ``SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>``. Without a
    salt, one is derived from the password itself, so the same password always gives the same
    verifier (idempotent role updates) while different passwords never share a salt. Only for
    high-entropy generated passwords, which need no SASLprep.
    """
    if not isinstance(password, str) or not password:
        raise CredentialError("a SCRAM password must be a non-empty string")
    secret = password.encode("utf-8")
    if salt is None:
        salt = hmac.new(secret, b"crhq scram salt v1", hashlib.sha256).digest()[:16]
    salted = hashlib.pbkdf2_hmac("sha256", secret, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data):
        return base64.b64encode(data).decode("ascii")

    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt), b64(stored_key), b64(server_key))

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
KEY_ID_RE = re.compile(r"[0-9a-f]{16}")  # use with fullmatch: "$" also matches before a newline
_KEY_ID_DOMAIN = b"crhq key id v1\x00"
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Backup codes avoid characters that are easily confused when read aloud or typed.
BACKUP_CODE_ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
TOKEN_PREFIX_RE = re.compile(r"[A-Za-z0-9_]{0,32}")
BASE64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
BASE62_RE = re.compile(r"[0-9A-Za-z]+")
BASE32_RE = re.compile(r"[A-Z2-7]+")
MIN_TOKEN_BYTES = 16


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
        raise CredentialError("%s is not valid base64 (standard alphabet with padding, no whitespace)" % where)
    if len(raw) != KEY_BYTES:
        raise CredentialError("%s must decode to %d bytes, got %d" % (where, KEY_BYTES, len(raw)))
    if base64.b64encode(raw).decode("ascii") != text:
        raise CredentialError("%s is not canonical base64 (its unused bits must be zero)" % where)
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


def retire_keys(keyring, key_ids):
    """A new keyring without the keys `key_ids` (ids it does not hold are ignored); the primary never goes."""
    validate_keyring(keyring)
    if keyring["primary"] in key_ids:
        raise CredentialError("key %s is the primary key and cannot retire; rotate first" % keyring["primary"])
    kept = dict(keyring)
    kept["keys"] = [entry for entry in keyring["keys"] if entry["id"] not in key_ids]
    return kept


def validate_keyring(keyring):
    """Check a parsed keyring completely; return {key_id: raw_key}."""
    if not isinstance(keyring, dict):
        raise CredentialError("keyring must be a mapping (parsed keyring JSON), got %s" % type(keyring).__name__)
    if keyring.get("format") != KEYRING_FORMAT:
        raise CredentialError("keyring 'format' must be %r" % KEYRING_FORMAT)
    version = keyring.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version != KEYRING_VERSION:  # not True, not 1.0
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
        if not isinstance(kid, str) or not KEY_ID_RE.fullmatch(kid):
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


def base62_width(nbytes):
    """Characters of base62 text for `nbytes` random bytes (43 for 32)."""
    return len(base62(b"\xff" * nbytes, 0))


def check_token(kind, value, prefix=""):
    """Check stored material of one kind (token, api_key, hub_key, totp): its prefix, alphabet and length.

    Returns None; raises CredentialError naming the problem, never the value.
    """
    if not isinstance(value, str):
        raise CredentialError("%s material must be text" % kind)
    prefix = prefix or ""
    if kind in ("token", "api_key", "hub_key") and not value.startswith(prefix):
        raise CredentialError("it does not start with the prefix %r" % prefix)
    body = value[len(prefix):] if kind in ("token", "api_key", "hub_key") else value
    if kind == "token":
        shortest, pattern, what = len(base64.urlsafe_b64encode(b"\0" * MIN_TOKEN_BYTES).rstrip(b"=")), \
            BASE64URL_RE, "unpadded base64url characters [A-Za-z0-9_-]"
    elif kind in ("api_key", "hub_key"):
        shortest, pattern, what = base62_width(MIN_TOKEN_BYTES), BASE62_RE, "base62 characters [0-9A-Za-z]"
    elif kind == "totp":
        shortest, pattern, what = len(base64.b32encode(b"\0" * MIN_TOKEN_BYTES).rstrip(b"=")), BASE32_RE, \
            "upper-case base32 characters [A-Z2-7] without padding"
    else:
        raise CredentialError("unknown token kind %r" % (kind,))
    if not pattern.fullmatch(body):
        raise CredentialError("after its prefix it must hold only %s" % what if prefix else "it must hold only %s" % what)
    if len(body) < shortest:
        raise CredentialError("it holds %d characters of %s material; at least %d (%d random bytes) are required"
                              % (len(body), kind, shortest, MIN_TOKEN_BYTES))


def check_backup_codes(lines):
    """Check backup code lines (xxxxx-xxxxx from BACKUP_CODE_ALPHABET); return their number."""
    pattern = re.compile(r"[%s]{5}-[%s]{5}" % (BACKUP_CODE_ALPHABET, BACKUP_CODE_ALPHABET))
    codes = [line.strip() for line in lines if line.strip()]
    if not codes:
        raise CredentialError("it holds no backup codes")
    for number, code in enumerate(codes, 1):
        if not pattern.fullmatch(code):
            raise CredentialError("backup code %d is not two groups of 5 characters from %s joined by '-'"
                                  % (number, BACKUP_CODE_ALPHABET))
    return len(codes)


def new_token(kind, prefix=None, nbytes=32):
    """Random secret text of the given kind; returns text without a trailing newline."""
    if nbytes < MIN_TOKEN_BYTES:
        raise CredentialError("a token needs at least %d random bytes, got %d" % (MIN_TOKEN_BYTES, nbytes))
    raw = os.urandom(nbytes)
    if kind == "token":
        return (prefix or "") + base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")
    if kind in ("api_key", "hub_key"):
        return prefix + base62(raw, base62_width(nbytes))
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
SCRAM_SALT_BYTES = 16
SCRAM_VERIFIER_RE = re.compile(r"SCRAM-SHA-256\$([1-9][0-9]{3,6}):([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2}):([A-Za-z0-9+/]+={0,2})")


def scram_sha256_verifier(password, salt=None, iterations=SCRAM_ITERATIONS):
    """PostgreSQL's stored form of a password for SCRAM-SHA-256 (RFC 5802, RFC 7677).

    ``SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>``. Without a
    salt, 16 random bytes are used: a salt derived from the password would be shared by equal
    passwords and, since the server sends it to any client, would let guesses be computed ahead.
    Keep the verifier (see scram_sha256_matches) for repeatable role updates. Only for
    high-entropy generated passwords, which need no SASLprep.
    """
    if not isinstance(password, str) or not password:
        raise CredentialError("a SCRAM password must be a non-empty string")
    secret = password.encode("utf-8")
    if salt is None:
        salt = os.urandom(SCRAM_SALT_BYTES)
    salted = hashlib.pbkdf2_hmac("sha256", secret, salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data):
        return base64.b64encode(data).decode("ascii")

    return "SCRAM-SHA-256$%d:%s$%s:%s" % (iterations, b64(salt), b64(stored_key), b64(server_key))


def scram_sha256_matches(verifier, password):
    """True if `verifier` (text) is a well-formed SCRAM-SHA-256 verifier of `password`."""
    match = SCRAM_VERIFIER_RE.fullmatch(verifier) if isinstance(verifier, str) else None
    if match is None:
        return False
    try:
        salt = base64.b64decode(match.group(2), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not salt:
        return False
    again = scram_sha256_verifier(password, salt=salt, iterations=int(match.group(1)))
    return hmac.compare_digest(again.encode("ascii"), verifier.encode("ascii"))

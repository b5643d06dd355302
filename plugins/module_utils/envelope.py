# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""AES-256-GCM credential envelopes: the one implementation for modules, filters and the app.

Envelope (docs/crypto-format.md):  crhq.v1.<key id>.<base64url(nonce || ciphertext || tag)>
Associated data:                   ASCII "crhq.v1.<key id>" || 0x00 || UTF-8 context
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import json
import os
import re

try:
    from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
        KEY_BYTES,
        KEY_ID_RE,
        CredentialError,
        decode_key,
        key_id,
        validate_keyring,
    )
except ImportError:  # the CRHQ app, whose crhq_app.crypto package links this file and keyring.py
    from .keyring import (
        KEY_BYTES,
        KEY_ID_RE,
        CredentialError,
        decode_key,
        key_id,
        validate_keyring,
    )

try:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError:  # pragma: no cover - reported when a function is called
    AESGCM = None
    InvalidTag = Exception

PREFIX = "crhq"
VERSION = "v1"
HEADER = PREFIX + "." + VERSION + "."
NONCE_BYTES = 12
TAG_BYTES = 16
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*")  # with fullmatch: "$" also matches before a newline
_B64URL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# the last character of unpadded base64url text leaves 4 (len % 4 == 2) or 2 (len % 4 == 3)
# bits unused; canonical text has them zero
_CANONICAL_LAST = {2: frozenset(_B64URL_CHARS[0::16]), 3: frozenset(_B64URL_CHARS[0::4])}
# the fast parse: a payload of at least NONCE_BYTES + TAG_BYTES = 28 bytes has at least 38 characters
_HEX_BYTES = b"0123456789abcdef"
_HEADER_BYTES = b"crhq.v1."
# the last byte a canonical unpadded payload may end with, by its length % 4 (1 is never valid)
_LAST_BYTES = {rem: frozenset(char.encode("ascii")[0] for char in chars)
               for rem, chars in list(_CANONICAL_LAST.items()) + [(0, _B64URL_CHARS)]}
_PADDING = (b"", b"", b"==", b"=")
_FROM_URL_ONLY = bytes.maketrans(b"-_+/", b"+/!!")


def _a2b_strict(data):
    """Base64 to bytes, refusing any character outside the alphabet (strict_mode needs Python 3.11)."""
    try:
        return binascii.a2b_base64(data, strict_mode=True)
    except TypeError:  # pragma: no cover - Python < 3.11: the caller's checks and this full match suffice
        if not _B64_STRICT_RE.fullmatch(data):
            raise binascii.Error("not base64")
        return binascii.a2b_base64(data)


_B64_STRICT_RE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")
_TO_URL = bytes.maketrans(b"+/", b"-_")
_FROM_URL = bytes.maketrans(b"-_", b"+/")
_CACHE_LIMIT = 64
_aead_by_key = {}    # base64 key -> (its key id, AESGCM), verified once; decrypt()'s fast path reads it too
_keyring_cache = {}  # keyring JSON text -> parsed keyring
_PARSED_LIMIT = 4096
_parsed = {}         # envelope text -> (key id, nonce, ciphertext + tag) of a well-formed envelope


def _require_cryptography():
    if AESGCM is None:
        raise CredentialError("the Python package 'cryptography' is required for credential encryption")


def _remember(cache, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value
    return value


def _aead(kid, key_b64):
    verified = _aead_by_key.get(key_b64)
    if verified is None or verified[0] != kid:
        raw = decode_key(key_b64, "key %s" % kid)
        if key_id(raw) != kid:
            raise CredentialError("key %s does not match its id: the key material is damaged" % kid)
        verified = _remember(_aead_by_key, key_b64, (kid, AESGCM(raw)))
    return verified[1]


def _keyring(keyring):
    """Accept a parsed keyring, keyring JSON text, or one raw base64 key."""
    if isinstance(keyring, dict):
        version = keyring.get("version")
        if (keyring.get("format") != "crhq-keyring" or isinstance(version, bool) or not isinstance(version, int)
                or version != 1 or not isinstance(keyring.get("primary"), str)):
            validate_keyring(keyring)  # raises with a message that names the problem
        return keyring
    if isinstance(keyring, bytes):
        keyring = keyring.decode("utf-8", "replace")
    if not isinstance(keyring, str):
        raise CredentialError("keyring must be a keyring mapping, keyring JSON or a base64 key, got %s"
                              % type(keyring).__name__)
    parsed = _keyring_cache.get(keyring)
    if parsed is not None:
        return parsed
    text = keyring.strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            raise CredentialError("keyring is not valid JSON")
        validate_keyring(parsed)
    else:
        raw = decode_key(text, "key")
        kid = key_id(raw)
        parsed = {"format": "crhq-keyring", "version": 1, "primary": kid,
                  "keys": [{"id": kid, "key": base64.b64encode(raw).decode("ascii")}]}
    return _remember(_keyring_cache, keyring, parsed)


def _entry(keyring, kid):
    try:
        for entry in keyring["keys"]:
            if entry["id"] == kid:
                return entry["key"]
    except (KeyError, TypeError):
        validate_keyring(keyring)  # raises a message that names the problem
        raise
    known = ", ".join(e.get("id", "?") for e in keyring["keys"])
    raise CredentialError("key id %s is not in the keyring (it holds: %s)" % (kid, known))


def _aad(kid, context):
    if not isinstance(context, str) or not context:
        raise CredentialError("context must be a non-empty string naming the credential (for example 'user:42/openai_api_key')")
    try:
        return (HEADER + kid + "\x00" + context).encode("utf-8")
    except UnicodeEncodeError:
        raise CredentialError("context must be Unicode text that UTF-8 can encode (it holds a lone surrogate)")


def b64url_encode(data):
    return binascii.b2a_base64(data, newline=False).translate(_TO_URL).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    """Strict, canonical, unpadded base64url (RFC 4648 section 5) to bytes."""
    rem = len(text) % 4
    if rem == 1 or not _B64URL_RE.fullmatch(text) or (rem and text[-1] not in _CANONICAL_LAST[rem]):
        if text != text.strip() or any(char.isspace() for char in text):
            raise CredentialError("malformed envelope: it holds whitespace (a trailing newline?); an envelope is "
                                  "one line of text without its line ending")
        raise CredentialError("malformed envelope: the payload is not canonical unpadded base64url")
    return binascii.a2b_base64(text.encode("ascii").translate(_FROM_URL) + b"=" * (-rem % 4))


def seal(kid, key_b64, nonce, plaintext, aad):
    """AES-256-GCM encryption under one keyring entry: ciphertext || 16-byte tag."""
    return _aead(kid, key_b64).encrypt(nonce, plaintext, aad)


def unseal(kid, key_b64, nonce, sealed, aad):
    """AES-256-GCM decryption under one keyring entry; CredentialError when authentication fails."""
    try:
        return _aead(kid, key_b64).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise CredentialError("authentication failed for key id %s: wrong key, wrong context, "
                              "or the envelope was modified" % kid)


def primary_key_id(keyring):
    keyring = _keyring(keyring)
    try:
        return keyring["primary"]
    except (KeyError, TypeError):
        validate_keyring(keyring)
        raise


def encrypt(value, keyring, context):
    """Encrypt one text value under the keyring's primary key, bound to `context`."""
    _require_cryptography()
    if not isinstance(value, str):
        raise CredentialError("only text can be encrypted, got %s" % type(value).__name__)
    keyring = _keyring(keyring)
    kid = keyring["primary"]
    aad = _aad(kid, context)
    nonce = os.urandom(NONCE_BYTES)
    try:
        plain = value.encode("utf-8")
    except UnicodeEncodeError:
        raise CredentialError("the value must be Unicode text that UTF-8 can encode (it holds a lone surrogate)")
    sealed = seal(kid, _entry(keyring, kid), nonce, plain, aad)
    return HEADER + kid + "." + b64url_encode(nonce + sealed)


def _parse_fast(envelope):
    """(key id, nonce, ciphertext+tag) of a well-formed envelope, by fixed positions and one strict base64
    decode; None for anything else, and parse() then names the problem. Every credential read comes here."""
    if not isinstance(envelope, str):
        return None
    try:
        data = envelope.encode("ascii")
        payload = data[25:]
        rem = len(payload) & 3
        # rem 1 has no entry (KeyError); a "=" is refused as the last character here and by the strict
        # decode anywhere else
        if (data[:8] != _HEADER_BYTES or data[24] != 46 or data[8:24].strip(_HEX_BYTES) or len(payload) < 38
                or payload[-1] not in _LAST_BYTES[rem]):
            return None
        # "+" and "/" become "!", which the strict decode refuses like any other foreign character
        raw = binascii.a2b_base64(payload.translate(_FROM_URL_ONLY) + _PADDING[rem], strict_mode=True)
    except (binascii.Error, UnicodeEncodeError, IndexError, KeyError, TypeError):  # TypeError: strict_mode needs 3.11
        return None
    return envelope[8:24], raw[:NONCE_BYTES], raw[NONCE_BYTES:]


def parse(envelope):
    """Split an envelope into (key id, nonce, ciphertext+tag); names the problem when malformed."""
    return _parse_fast(envelope) or _parse_full(envelope)


def _parse_full(envelope):
    """parse() one check at a time, each failure with its own message."""
    if not isinstance(envelope, str):
        raise CredentialError("an envelope must be text, got %s" % type(envelope).__name__)
    if not envelope:
        raise CredentialError("the envelope is empty")
    parts = envelope.split(".")
    if parts[0] != PREFIX:
        raise CredentialError("not a crhq credential envelope (it must start with 'crhq.')")
    if len(parts) > 1 and parts[1] != VERSION:
        raise CredentialError("unsupported envelope version %r (this collection reads %s)" % (parts[1][:16], VERSION))
    if len(parts) != 4:
        raise CredentialError("malformed envelope: expected 4 dot-separated fields, found %d" % len(parts))
    kid, payload = parts[2], parts[3]
    if not KEY_ID_RE.fullmatch(kid):
        raise CredentialError("malformed envelope: the key id must be 16 lowercase hex digits")
    raw = b64url_decode(payload)
    if len(raw) < NONCE_BYTES + TAG_BYTES:
        raise CredentialError("truncated envelope: the payload has %d bytes, at least %d are needed"
                              % (len(raw), NONCE_BYTES + TAG_BYTES))
    return kid, raw[:NONCE_BYTES], raw[NONCE_BYTES:]


def decrypt(envelope, keyring, context):
    """Decrypt an envelope; fails unless key, context and every byte are right."""
    # The fast path: an envelope parsed before (_parsed: ciphertext only, never a plaintext) or well-formed,
    # a keyring mapping of version 1, and a key that _aead() has verified. Any doubt (a missing member, a
    # wrong type, a failed check or tag) goes to the checked path, which decides again from scratch and
    # names the problem.
    try:
        parsed = _parsed.get(envelope)
        if parsed is None:
            parsed = _parse_fast(envelope)  # None (malformed) fails at parsed[0] below
            if parsed is not None:
                if len(_parsed) >= _PARSED_LIMIT:
                    _parsed.clear()
                _parsed[envelope] = parsed
        kid = parsed[0]
        version = keyring["version"]
        if (context and keyring["format"] == "crhq-keyring" and version == 1 and isinstance(version, int)
                and version is not True and isinstance(keyring["primary"], str)):  # version 1, not 1.0 or true
            for entry in keyring["keys"]:
                if entry["id"] == kid:
                    verified = _aead_by_key[entry["key"]]
                    if verified[0] == kid:
                        return verified[1].decrypt(parsed[1], parsed[2],
                                                   (HEADER + kid + "\x00" + context).encode("utf-8")).decode("utf-8")
                    break
    except Exception:  # noqa: BLE001 - pylint: disable=broad-except; the checked path reports it
        pass
    return _decrypt_checked(envelope, keyring, context)


def _decrypt_checked(envelope, keyring, context):
    """decrypt() with every input checked, each failure with its own message."""
    _require_cryptography()
    kid, nonce, sealed = parse(envelope)
    keyring = _keyring(keyring)
    aad = _aad(kid, context)
    try:
        plain = _aead(kid, _entry(keyring, kid)).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise CredentialError("authentication failed for key id %s: wrong key, wrong context, "
                              "or the envelope was modified" % kid)
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise CredentialError("the decrypted value is not UTF-8 text")


def rewrap(envelope, keyring, context):
    """Re-encrypt under the primary key; an envelope already under it is verified and returned as is."""
    plain = decrypt(envelope, keyring, context)
    if envelope.split(".")[2] == primary_key_id(keyring):
        return envelope
    return encrypt(plain, keyring, context)


__all__ = ["CredentialError", "KEY_BYTES", "decrypt", "encrypt", "parse", "primary_key_id", "rewrap", "seal", "unseal"]

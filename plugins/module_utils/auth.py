# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Authentication helpers shared by the filters and the app: API key hashes, bcrypt, TOTP."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import base64
import binascii
import hashlib
import hmac
import re
import struct
import time

from ansible_collections.crhq.platform.plugins.module_utils.keyring import CredentialError, fingerprint

try:
    import bcrypt as _bcrypt
except ImportError:  # pragma: no cover - reported when bcrypt_hash is called
    _bcrypt = None

try:
    from urllib.parse import quote, urlencode
except ImportError:  # pragma: no cover
    from urllib import quote, urlencode

BCRYPT_MAX_BYTES = 72
TOTP_MIN_BYTES = 16
_TOTP_ALGORITHMS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
_BCRYPT_HASH_RE = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{53}")
_BCRYPT_SALT_RE = re.compile(r"\$2[aby]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{22}")  # with fullmatch


def api_key_hash(api_key):
    """Storage form of a high-entropy API or hub key: 'sha256:' + hex digest (lookup by hash)."""
    if not isinstance(api_key, str) or not api_key:
        raise CredentialError("an API key must be a non-empty string")
    return fingerprint(api_key)


def bcrypt_hash(password, rounds=12, salt=None):
    """bcrypt a password. A fixed `salt` (a '$2b$NN$' + 22 character salt) makes the result repeatable."""
    if _bcrypt is None:
        raise CredentialError("the Python package 'bcrypt' is required to hash passwords")
    if not isinstance(password, str) or not password:
        raise CredentialError("a password must be a non-empty string")
    secret = password.encode("utf-8")
    if len(secret) > BCRYPT_MAX_BYTES:
        raise CredentialError("bcrypt uses at most %d bytes of a password; this one has %d"
                              % (BCRYPT_MAX_BYTES, len(secret)))
    if salt is None:
        if not isinstance(rounds, int) or not 4 <= rounds <= 31:
            raise CredentialError("bcrypt rounds must be an integer from 4 to 31, got %r" % (rounds,))
        setting = _bcrypt.gensalt(rounds=rounds)
    else:
        if not isinstance(salt, str) or not _BCRYPT_SALT_RE.fullmatch(salt):
            raise CredentialError("a bcrypt salt must look like '$2b$12$' followed by 22 characters of [./A-Za-z0-9]")
        setting = salt.encode("ascii")
    return _bcrypt.hashpw(secret, setting).decode("ascii")


def bcrypt_verify(password, hashed):
    if _bcrypt is None:
        raise CredentialError("the Python package 'bcrypt' is required to verify passwords")
    if not isinstance(password, str) or not password:
        raise CredentialError("a password must be a non-empty string")
    try:
        secret = password.encode("utf-8")
    except UnicodeEncodeError:
        raise CredentialError("a password must be Unicode text that UTF-8 can encode (it holds a lone surrogate)")
    if len(secret) > BCRYPT_MAX_BYTES:
        raise CredentialError("bcrypt uses at most %d bytes of a password; this one has %d"
                              % (BCRYPT_MAX_BYTES, len(secret)))
    if not isinstance(hashed, str) or not _BCRYPT_HASH_RE.fullmatch(hashed):
        raise CredentialError("not a bcrypt hash ('$2b$' and a cost, then 53 characters of [./A-Za-z0-9])")
    try:
        return _bcrypt.checkpw(secret, hashed.encode("ascii"))
    except ValueError:
        raise CredentialError("not a bcrypt hash")


def _totp_key(secret):
    if not isinstance(secret, str) or not secret:
        raise CredentialError("a TOTP secret must be a non-empty base32 string")
    text = secret.replace(" ", "").upper()
    try:
        key = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise CredentialError("the TOTP secret is not valid base32")
    if len(key) < TOTP_MIN_BYTES:
        raise CredentialError("a TOTP secret needs at least 128 bits (26 base32 characters; RFC 4226 section 4), "
                              "this one has %d" % (len(key) * 8))
    return key


def _totp_params(digits, period, algorithm):
    if digits not in (6, 7, 8):
        raise CredentialError("TOTP digits must be 6, 7 or 8, got %r" % (digits,))
    if not isinstance(period, int) or period < 1:
        raise CredentialError("TOTP period must be a positive number of seconds, got %r" % (period,))
    name = str(algorithm).upper()
    if name not in _TOTP_ALGORITHMS:
        raise CredentialError("TOTP algorithm must be one of SHA1, SHA256, SHA512, got %r" % (algorithm,))
    return name


def totp_code(secret, timestamp=None, digits=6, period=30, algorithm="SHA1"):
    """RFC 6238 TOTP code for `timestamp` (seconds since the epoch; now when omitted)."""
    name = _totp_params(digits, period, algorithm)
    key = _totp_key(secret)
    counter = int((time.time() if timestamp is None else timestamp) // period)
    digest = hmac.new(key, struct.pack(">Q", counter), _TOTP_ALGORITHMS[name]).digest()
    offset = bytearray(digest)[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % (10 ** digits)).zfill(digits)


def totp_uri(secret, account, issuer="CRHQ", digits=6, period=30, algorithm="SHA1"):
    """otpauth:// provisioning URI (Key Uri Format) for authenticator apps."""
    name = _totp_params(digits, period, algorithm)
    _totp_key(secret)
    if not isinstance(account, str) or not account:
        raise CredentialError("a TOTP account name must be a non-empty string")
    if not isinstance(issuer, str) or not issuer or ":" in issuer:
        raise CredentialError("a TOTP issuer must be a non-empty string without ':'")
    label = quote(issuer, safe="") + ":" + quote(account, safe="@")
    query = urlencode([("secret", secret.replace(" ", "").upper().rstrip("=")), ("issuer", issuer),
                       ("algorithm", name), ("digits", digits), ("period", period)])
    return "otpauth://totp/" + label + "?" + query

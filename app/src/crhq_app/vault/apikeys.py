"""API keys: crhq_ak_ + 43 base62 characters (256 random bits) + a 6-character base62 CRC-32 checksum.

The prefix and the checksum let a secret scanner tell a real key from noise without asking the server.
The server stores only the SHA-256 of the whole key: a fast hash is right for 256 random bits, which no
one can guess, so no slow password hash is needed (docs/app.md). The first 16 hex digits of that hash
are the key's public id; a presented key is found by its id and its full hash compared in constant time.
"""

import binascii
import datetime
import hashlib
import hmac
import re

from django.db import transaction
from django.utils import timezone

from crhq_app.crypto import keyring as material

from .models import ApiKey

PREFIX = "crhq_ak_"
BODY = 43      # base62 characters of 32 random bytes
CHECKSUM = 6   # base62 characters of a CRC-32
KEY_RE = re.compile(r"crhq_ak_([0-9A-Za-z]{%d})([0-9A-Za-z]{%d})" % (BODY, CHECKSUM))
SCOPES = [choice[0] for choice in ApiKey.SCOPES]


class ApiKeyError(ValueError):
    """A bad request to issue or revoke a key; the message names the problem."""


def checksum(text):
    return material.base62(binascii.crc32(text.encode("ascii")).to_bytes(4, "big"), CHECKSUM)


def new_key():
    body = material.new_token("api_key", prefix=PREFIX, nbytes=32)
    return body + checksum(body)


def well_formed(key):
    """Prefix, alphabet, length and checksum: what a secret scanner checks, without the server."""
    match = KEY_RE.fullmatch(key) if isinstance(key, str) else None
    return bool(match) and hmac.compare_digest(checksum(PREFIX + match.group(1)), match.group(2))


def key_hash(key):
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def issue(name, scopes, credentials, created_by, expires_days=None):
    """Create a key; returns (ApiKey, key). The key itself is not stored and cannot be shown again."""
    now = timezone.now()
    expires_at = None if expires_days is None else now + datetime.timedelta(days=expires_days)
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise ApiKeyError("unknown scope(s) %s; the scopes are %s" % (", ".join(unknown), ", ".join(SCOPES)))
    if not scopes:
        raise ApiKeyError("an API key needs at least one scope (%s)" % ", ".join(SCOPES))
    if expires_days is not None and expires_days < 1:
        raise ApiKeyError("an API key expires at least 1 day after it is issued")
    with transaction.atomic():
        if ApiKey.objects.filter(name=name, revoked_at__isnull=True).exists():
            raise ApiKeyError("an API key named %r is active; revoke it first" % name)
        key = new_key()
        digest = key_hash(key)
        api_key = ApiKey.objects.create(name=name, key_id=digest[:16], key_hash=digest, scopes=sorted(set(scopes)),
                                        created_by=created_by, created_at=now, expires_at=expires_at)
        api_key.credentials.set(credentials)
    return api_key, key


def authenticate(key):
    """(ApiKey, None) for a usable key; (None or the ApiKey, reason) when it is refused."""
    if not well_formed(key):
        return None, "malformed"
    digest = key_hash(key)
    api_key = ApiKey.objects.filter(key_id=digest[:16]).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
        return None, "unknown"
    state = api_key.state()
    if state != "active":
        return api_key, state
    return api_key, None


def mark_used(api_key, address):
    """Record the last use (one UPDATE per key and request)."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now, last_used_from=address[:64])
    api_key.last_used_at, api_key.last_used_from = now, address[:64]

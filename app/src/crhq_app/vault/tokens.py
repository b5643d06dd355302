"""Session tokens: crhq_st_ + 43 base62 characters (256 random bits) + a 6-character base62 CRC-32 checksum.

A person who has logged in with both factors asks for one (POST /api/v1/tokens, with the session and its CSRF
token) and sends it as `Authorization: Bearer` from scripts. It is stored as its SHA-256, lives
CRHQ_TOKEN_SECONDS (at most the rest of the session's absolute lifetime), can be revoked, and stops working when
the person's session auth hash changes: a new password or "log out everywhere" ends every token with the sessions.
"""

import datetime
import hmac
import re

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from crhq_app.crypto import keyring as material

from .apikeys import checksum
from .apikeys import key_hash as token_hash
from .models import SessionToken

PREFIX = "crhq_st_"
TOKEN_RE = re.compile(r"crhq_st_([0-9A-Za-z]{43})([0-9A-Za-z]{6})")


def well_formed(token):
    match = TOKEN_RE.fullmatch(token) if isinstance(token, str) else None
    return bool(match) and hmac.compare_digest(checksum(PREFIX + match.group(1)), match.group(2))


def issue(user, address, session_ends_at=None):
    """A new token for `user`; returns (SessionToken, token). The token is not stored and not shown again."""
    body = material.new_token("api_key", prefix=PREFIX, nbytes=32)
    token = body + checksum(body)
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=settings.CRHQ_TOKEN_SECONDS)
    if session_ends_at is not None:
        expires = min(expires, session_ends_at)
    digest = token_hash(token)
    row = SessionToken.objects.create(user=user, token_id=digest[:16], token_hash=digest, created_at=now,
                                      expires_at=expires, session_hash=user.get_session_auth_hash(),
                                      address=address[:64])
    return row, token


def authenticate(token):
    """(SessionToken, None) for a usable token; (None or the token, reason) when it is refused."""
    if not well_formed(token):
        return None, "malformed"
    digest = token_hash(token)
    row = SessionToken.objects.select_related("user").filter(token_id=digest[:16]).first()
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        return None, "unknown"
    if row.revoked_at is not None:
        return row, "revoked"
    if row.expires_at <= timezone.now():
        return row, "expired"
    if not row.user.is_active or not constant_time_compare(row.session_hash, row.user.get_session_auth_hash()):
        return row, "ended (password changed or logged out everywhere)"
    return row, None

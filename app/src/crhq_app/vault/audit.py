"""The audit log: every access to a credential, every key issued or revoked, logins and second-factor changes.

record() inserts one row in the caller's transaction, chained by hash to the row before it; the
rows are serialised by a transaction-level advisory lock, so the chain has no forks and no gaps.
Reads of a credential call it inside the transaction that decrypts, so a value never leaves without
its row (fail closed). Each committed row is also written to the journal (logger crhq.audit) as
one JSON line with its hash, a copy outside the database to compare the chain's tail with.
"""

import hashlib
import hmac
import json
import logging

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from .models import GENESIS, AuditEvent

log = logging.getLogger("crhq.audit")

_LOCK = 0x6372687161756474  # "crhqaudt": the advisory lock that orders the chain


class AuditUnavailable(Exception):
    """The audit row could not be written: the access it was for must not happen."""


def keyed_hash(value):
    """A keyed hash (HMAC-SHA-256, key from the session secret) of a secret text that must be matched later
    without being stored: 16 hex digits."""
    key = hashlib.sha256(b"crhq audit keyed hash\x00" + settings.SECRET_KEY.encode("utf-8")).digest()
    return hmac.new(key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:16]


def actor_of(request):
    """(actor_type, actor) of a request: the API key or person it authenticated as, else anonymous."""
    caller = getattr(request, "crhq_caller", None)
    if caller is not None:
        return caller.actor_type, caller.actor
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return "user", "user:%d:%s" % (user.pk, user.get_username())
    return "anonymous", "anonymous"


def record(action, *, actor_type, actor, object_type="", object_id="", result="ok", address="", request_id="",
           detail=None):
    """Insert one audit row (in the caller's transaction, if any); raise AuditUnavailable when it cannot."""
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            last = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
            event = AuditEvent(
                seq=(last[0] + 1) if last else 1, prev_hash=last[1] if last else GENESIS, at=timezone.now(),
                actor_type=actor_type, actor=actor[:200], action=action, object_type=object_type,
                object_id=str(object_id)[:200], result=result, address=address[:64], request_id=request_id[:64],
                detail=detail or {})
            event.hash = event.compute_hash()
            event.save(force_insert=True)
    except DatabaseError as exc:
        log.error(json.dumps({"audit_write_failed": action, "actor": actor, "object_id": str(object_id),
                              "error": type(exc).__name__}, sort_keys=True))
        raise AuditUnavailable("the audit log cannot be written (%s)" % type(exc).__name__) from exc
    transaction.on_commit(lambda: log.info(json.dumps(event.as_dict(), sort_keys=True)))
    return event


def record_request(request, action, **kwargs):
    """record() with the actor, address and request id of `request`."""
    actor_type, actor = actor_of(request)
    return record(action, actor_type=actor_type, actor=actor, address=request.META.get("REMOTE_ADDR", ""),
                  request_id=getattr(request, "request_id", ""), **kwargs)


def verify():
    """Walk the chain from the first row: {"ok", "rows", "first_broken", "reason", "last_hash"}."""
    expected_seq, prev, rows = 1, GENESIS, 0
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        reason = None
        if event.seq != expected_seq:
            reason = "row %d follows row %d: rows are missing" % (event.seq, expected_seq - 1)
        elif event.prev_hash != prev:
            reason = "its previous hash is not the hash of row %d" % (event.seq - 1)
        elif not hmac.compare_digest(event.compute_hash(), event.hash):
            reason = "its content does not match its hash (changed after it was written)"
        if reason:
            return {"ok": False, "rows": rows, "first_broken": event.seq, "reason": reason, "last_hash": prev}
        expected_seq, prev, rows = event.seq + 1, event.hash, rows + 1
    return {"ok": True, "rows": rows, "first_broken": None, "reason": None, "last_hash": prev}

"""The hub's read-only sync: every document version after a cursor, for the instance's hub key only.

GET /api/v1/hub/versions?since=<cursor>&limit=<n>  with  Authorization: Bearer <hub key>
The cursor is the last version id the hub has; the answer's `next` is the cursor of the next call. The hub key
(CRHQ_HUB_KEY_FILE) opens this endpoint and nothing else; every call, and every refusal, is audited.
"""

import hashlib
import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from crhq_app.vault import audit

from .models import Document

MAX_LIMIT = 500


def _hub_key_matches(presented):
    expected = settings.CRHQ_HUB_KEY
    if not expected or not presented:
        return False
    return hmac.compare_digest(hashlib.sha256(presented.encode("utf-8", "surrogatepass")).digest(),
                               hashlib.sha256(expected.encode("utf-8")).digest())


def _audit(request, result, actor="hub", **detail):
    audit.record("hub.sync", actor_type="hub", actor=actor, result=result, object_type="document",
                 address=request.META.get("REMOTE_ADDR", ""), request_id=getattr(request, "request_id", ""),
                 detail=detail)


@login_not_required
@csrf_exempt
@never_cache
@require_GET
def hub_versions(request):
    scheme, _space, presented = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not _hub_key_matches(presented):
        try:
            _audit(request, "denied", actor="hub:?%s" % audit.keyed_hash(presented) if presented else "anonymous",
                   reason="not the hub key")
        except audit.AuditUnavailable:
            return JsonResponse({"error": "the audit log is unavailable; nothing was done"}, status=503)
        return JsonResponse({"error": "this endpoint needs the instance's hub key (Authorization: Bearer)"},
                            status=401)
    try:
        since = int(request.GET.get("since", "0"))
        limit = min(max(int(request.GET.get("limit", "100")), 1), MAX_LIMIT)
    except ValueError:
        return JsonResponse({"error": "since and limit are whole numbers"}, status=400)
    rows = Document.history.filter(history_id__gt=since).order_by("history_id")[:limit]
    versions = [{
        "cursor": row.history_id, "document": row.id, "title": row.title, "body": row.body,
        "deleted": row.deleted_at is not None, "change": {"+": "created", "~": "changed", "-": "removed"}[row.history_type],
        "reason": row.history_change_reason, "actor": row.actor, "at": row.history_date.isoformat(),
    } for row in rows]
    following = versions[-1]["cursor"] if versions else since
    try:
        _audit(request, "ok", since=since, count=len(versions), next=following)
    except audit.AuditUnavailable:
        return JsonResponse({"error": "the audit log is unavailable; nothing is returned"}, status=503)
    return JsonResponse({"versions": versions, "next": following})

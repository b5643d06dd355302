"""The JSON API under /api/v1/: API keys (Authorization: Bearer crhq_ak_...) or a logged-in session.

A request with a bearer key is authenticated by the key alone (no cookie is read, so no CSRF token
is needed); a session request that changes something needs the CSRF token like a form. Every
credential access, and every refusal, is audited.
"""

import datetime
import functools
import json
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.db import transaction
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from crhq_app import crypto
from crhq_app.middleware import LOGIN_AT

from . import apikeys, audit, store, tokens
from .models import AuditEvent, Credential, SessionToken

log = logging.getLogger("crhq.security")
SAFE = ("GET", "HEAD")


class Caller:
    """Who is calling: a person (full access to credentials, the audit log if staff) or an API key (its scopes)."""

    def __init__(self, user=None, api_key=None, token=None):
        self.user, self.api_key, self.token = user, api_key, token
        if api_key is not None:
            self.actor_type, self.actor = "api_key", "%s:%s" % (api_key.key_id, api_key.name)
        else:
            self.actor_type, self.actor = "user", "user:%d:%s" % (user.pk, user.get_username())
            if token is not None:
                self.actor += " token:%s" % token.token_id

    def may(self, scope):
        if self.api_key is None:
            return scope != "audit:read" or self.user.is_staff
        return scope in self.api_key.scopes

    def may_touch(self, credential):
        """Whether this credential is in the caller's reach (an API key's own credentials only)."""
        return self.api_key is None or self.api_key.credentials.filter(pk=credential.pk).exists()

    def label(self):
        return self.actor


def _error(status, message):
    return JsonResponse({"error": message}, status=status)


def _audit_args(request):
    return {"actor_type": request.crhq_caller.actor_type, "actor": request.crhq_caller.actor,
            "address": request.META.get("REMOTE_ADDR", ""), "request_id": getattr(request, "request_id", "")}


def _refuse(request, status, message, action, object_id="", **detail):
    """Audit a refused access (its own transaction), then answer it."""
    try:
        audit.record_request(request, action, object_type="credential" if object_id else "",
                             object_id=object_id, result="denied", detail=dict(detail, reason=message))
    except audit.AuditUnavailable:
        return _error(503, "the audit log is unavailable; nothing was done")
    return _error(status, message)


def _authenticate(request):
    """Set request.crhq_caller, or return the response that refuses the request."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _error(401, "the Authorization header must be 'Bearer <API key>'")
        token = token.strip()
        if token.startswith(tokens.PREFIX):
            return _authenticate_token(request, token)
        api_key, reason = apikeys.authenticate(token)
        if reason:
            key_label = api_key.label if api_key else "api_key:?%s" % audit.keyed_hash(token)
            return _refuse_credentials(request, "auth.api_key", "api_key", key_label, "API key", reason)
        apikeys.mark_used(api_key, request.META.get("REMOTE_ADDR", ""))
        request.crhq_caller = Caller(api_key=api_key)
        return None
    if not request.user.is_authenticated:
        return _error(401, "authentication required: an API key (Authorization: Bearer) or a logged-in session")
    if request.method not in SAFE:
        refused = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})
        if refused is not None:
            return refused
    request.crhq_caller = Caller(user=request.user)
    return None


def _refuse_credentials(request, action, actor_type, label, what, reason):
    """Audit a refused key or token (never the key: its id, or a keyed hash of what was sent) and answer 401."""
    try:
        audit.record(action, actor_type=actor_type, actor=label, result="denied", detail={"reason": "%s %s" % (what, reason)},
                     address=request.META.get("REMOTE_ADDR", ""), request_id=getattr(request, "request_id", ""))
    except audit.AuditUnavailable:
        return _error(503, "the audit log is unavailable; nothing was done")
    log.warning("%s refused (%s) address=%s", what, reason, request.META.get("REMOTE_ADDR", "?"))
    return _error(401, "the %s is %s" % (what, "not valid" if reason in ("malformed", "unknown") else reason))


def _authenticate_token(request, token):
    row, reason = tokens.authenticate(token)
    if reason:
        label = "token:%s" % row.token_id if row else "token:?%s" % audit.keyed_hash(token)
        return _refuse_credentials(request, "auth.token", "user", label, "session token", reason)
    request.crhq_caller = Caller(user=row.user, token=row)
    return None


def api_view(methods):
    """An /api/v1/ view: its methods, authentication, JSON errors; never cached."""
    def decorate(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = _error(405, "method %s is not allowed here" % request.method)
                response["Allow"] = ", ".join(methods)
                return response
            refused = _authenticate(request)
            if refused is not None:
                return refused
            try:
                return view(request, *args, **kwargs)
            except store.StoreError as exc:
                return _error(exc.status, str(exc))
            except audit.AuditUnavailable:
                return _error(503, "the audit log is unavailable; nothing was done and nothing is returned")
        return login_not_required(csrf_exempt(never_cache(wrapper)))
    return decorate


def _body(request):
    try:
        data = json.loads(request.body.decode("utf-8") or "{}")
    except (UnicodeDecodeError, ValueError):
        raise store.StoreError("the request body must be a JSON object")
    if not isinstance(data, dict):
        raise store.StoreError("the request body must be a JSON object")
    return data


def _credential_for(request, name, scope, action):
    """The credential, or the refusal (audited) for a caller without the scope or the credential."""
    caller = request.crhq_caller
    credential = Credential.objects.filter(name=name, deleted_at__isnull=True).first()
    if not caller.may(scope):
        return None, _refuse(request, 403, "this API key has no %s scope" % scope, action, name)
    if caller.api_key is not None and (credential is None or not caller.may_touch(credential)):
        # an API key learns nothing about credentials outside its reach: a missing one gets the same answer
        return None, _refuse(request, 403, "this API key may not use credential %r" % name, action, name)
    if credential is None:
        return None, _error(404, "no credential named %r" % name)
    return credential, None


@api_view(["GET", "POST"])
def credentials(request):
    caller = request.crhq_caller
    if request.method == "GET":
        if not caller.may("credentials:list"):
            return _refuse(request, 403, "this API key has no credentials:list scope", "credential.list")
        found = Credential.objects.filter(deleted_at__isnull=True)
        if caller.api_key is not None:
            found = found.filter(api_keys=caller.api_key)
        items = [c.summary() for c in found]
        audit.record_request(request, "credential.list", detail={"count": len(items)})
        return JsonResponse({"credentials": items})
    if not caller.may("credentials:write"):
        return _refuse(request, 403, "this API key has no credentials:write scope", "credential.create")
    data = _body(request)
    # a key that creates a credential does not thereby reach it: which credentials a key uses is the
    # operator's choice (crhq.platform.api_key), never the key's own
    credential = store.create(data.get("name"), data.get("value"), data.get("description", ""), caller.label(),
                              _audit_args(request))
    return JsonResponse(credential.summary(), status=201)


@api_view(["GET", "PUT", "PATCH", "DELETE"])
def credential(request, name):
    caller = request.crhq_caller
    if request.method == "GET":
        found, refused = _credential_for(request, name, "credentials:list", "credential.show")
        if refused:
            return refused
        audit.record_request(request, "credential.show", object_type="credential", object_id=name)
        return JsonResponse(dict(found.summary(), versions=[v.summary() for v in found.versions.all()]))
    found, refused = _credential_for(request, name, "credentials:write", "credential.%s" % (
        "delete" if request.method == "DELETE" else "update"))
    if refused:
        return refused
    if request.method == "DELETE":
        store.delete(found, _audit_args(request))
        return JsonResponse({"deleted": name, "version": found.version})
    data = _body(request)
    unknown = sorted(set(data) - {"value", "description"})
    if unknown:
        raise store.StoreError("unknown field(s): %s (value, description)" % ", ".join(unknown))
    updated, changed = store.update(found, caller.label(), _audit_args(request), value=data.get("value"),
                                    description=data.get("description"))
    return JsonResponse(dict(updated.summary(), changed=sorted(set(changed) - {"hint"})))


@api_view(["GET"])
def credential_value(request, name):
    found, refused = _credential_for(request, name, "credentials:read", "credential.read")
    if refused:
        return refused
    try:
        value = store.read_value(found, _audit_args(request))
    except crypto.CredentialError as exc:
        audit.record_request(request, "credential.read", object_type="credential", object_id=name, result="error",
                             detail={"reason": str(exc)})
        return _error(500, "credential %r cannot be decrypted with this server's keyring" % name)
    return JsonResponse({"name": name, "version": found.version, "value": value})


@api_view(["POST"])
def credential_restore(request, name):
    if not request.crhq_caller.may("credentials:write") or request.crhq_caller.api_key is not None:
        return _refuse(request, 403, "only a person restores a deleted credential", "credential.restore", name)
    restored = store.restore(store.get(name, deleted=True), _audit_args(request))
    return JsonResponse(restored.summary())


@api_view(["GET"])
def audit_log(request):
    caller = request.crhq_caller
    if not caller.may("audit:read"):
        return _refuse(request, 403, "reading the audit log needs staff or the audit:read scope", "audit.read")
    try:
        after = int(request.GET.get("after", "0"))
        limit = min(max(int(request.GET.get("limit", "100")), 1), 1000)
    except ValueError:
        raise store.StoreError("after and limit are whole numbers")
    events = [e.as_dict() for e in AuditEvent.objects.filter(seq__gt=after).order_by("seq")[:limit]]
    audit.record_request(request, "audit.read", detail={"after": after, "rows": len(events)})
    return JsonResponse({"events": events, "next": events[-1]["seq"] if events else after})


@api_view(["GET", "POST"])
def session_tokens(request):
    """A person's bearer tokens: POST makes one (with the logged-in session, not with a token or a key)."""
    caller = request.crhq_caller
    if caller.api_key is not None or caller.token is not None:
        return _refuse(request, 403, "session tokens are made with a logged-in session only", "token.issue")
    if request.method == "GET":
        live = SessionToken.objects.filter(user=caller.user, revoked_at__isnull=True)
        return JsonResponse({"tokens": [t.summary() for t in live]})
    login_at = request.session.get(LOGIN_AT)
    ends = None
    if login_at:
        ends = datetime.datetime.fromtimestamp(login_at + settings.CRHQ_SESSION_ABSOLUTE_SECONDS, datetime.timezone.utc)
    with transaction.atomic():  # no token without its audit row
        row, token = tokens.issue(caller.user, request.META.get("REMOTE_ADDR", ""), session_ends_at=ends)
        audit.record_request(request, "token.issue", object_type="token", object_id=row.token_id,
                             detail={"expires_at": row.expires_at.isoformat()})
    return JsonResponse(dict(row.summary(), token=token), status=201)


@api_view(["DELETE"])
def session_token(request, token_id):
    caller = request.crhq_caller
    if caller.api_key is not None:
        return _refuse(request, 403, "an API key cannot revoke a person's tokens", "token.revoke")
    row = SessionToken.objects.filter(user=caller.user, token_id=token_id, revoked_at__isnull=True).first()
    if row is None:
        return _error(404, "no live token %r of yours" % token_id)
    with transaction.atomic():
        row.revoked_at = timezone.now()
        row.save(update_fields=["revoked_at"])
        audit.record_request(request, "token.revoke", object_type="token", object_id=token_id)
    return JsonResponse(row.summary())

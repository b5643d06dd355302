"""Request-level policy: client address, session lifetime, login required everywhere."""

import ipaddress
import logging
import time
import uuid

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.http import JsonResponse

log = logging.getLogger("crhq.security")

# session keys written by crhq_app.accounts.views
LOGIN_AT = "crhq_login_at"      # time of the password login that led to this session
SEEN_AT = "crhq_seen_at"        # time of the last request
PENDING = "crhq_pending"        # password accepted, second factor pending: {"uid", "at", "next"}
UNKNOWN_ADDRESS = "0.0.0.0"


def _address(value):
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


class RealIPMiddleware:
    """REMOTE_ADDR := the X-Real-IP header nginx sets to its peer's address.

    gunicorn listens on a unix socket only nginx can reach, so its own REMOTE_ADDR names no client.
    X-Forwarded-For is never read. Without a valid X-Real-IP the socket peer is used, or 0.0.0.0:
    such requests share one throttle bucket, which fails safe.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META["REMOTE_ADDR"] = (_address(request.META.get("HTTP_X_REAL_IP"))
                                       or _address(request.META.get("REMOTE_ADDR")) or UNKNOWN_ADDRESS)
        return self.get_response(request)


def refresh_interval():
    """Seconds after which a request saves its session's last-seen time again."""
    return max(1, min(60, settings.CRHQ_SESSION_IDLE_SECONDS // 10))


class SessionLifetimeMiddleware:
    """Ends sessions idle for CRHQ_SESSION_IDLE_SECONDS, or older than CRHQ_SESSION_ABSOLUTE_SECONDS.

    Django's database sessions already expire CRHQ_SESSION_IDLE_SECONDS after their last save.
    The time of the last request is saved (which moves that expiry on) once it is more than a tenth
    of the idle time old, at most every 60 s: one UPDATE per session per interval instead of one per
    request, and an idle session may end up to that interval early, never late. The absolute limit
    counts from the password login, which no request moves. A half-finished login is forgotten after
    CRHQ_PENDING_LOGIN_SECONDS.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        now = int(time.time())
        pending = session.get(PENDING)
        if pending and now - pending.get("at", 0) > settings.CRHQ_PENDING_LOGIN_SECONDS:
            del session[PENDING]
        if request.user.is_authenticated:
            login_at = session.get(LOGIN_AT)
            seen_at = session.get(SEEN_AT, login_at)
            reason = None
            if login_at is None or now - login_at >= settings.CRHQ_SESSION_ABSOLUTE_SECONDS:
                reason = "absolute lifetime"
            elif now - seen_at >= settings.CRHQ_SESSION_IDLE_SECONDS:
                reason = "idle timeout"
            if reason:
                log.info("session ended (%s) user=%s", reason, request.user.pk)
                auth.logout(request)  # deletes the session row and sends an empty cookie
            elif now - seen_at >= refresh_interval():
                session[SEEN_AT] = now
        return self.get_response(request)


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    """Every view needs a fully logged-in user unless marked @login_not_required.

    A session whose second factor is pending is not logged in: pages redirect to the login page,
    /api/ answers 401.
    """

    def handle_no_permission(self, request, view_func):
        if request.path.startswith("/api/"):
            return JsonResponse({"error": "authentication required"}, status=401)
        return super().handle_no_permission(request, view_func)


_REQUEST_ID_CHARS = frozenset("0123456789abcdef")


class RequestIdMiddleware:
    """request.request_id: nginx's $request_id (32 hex digits, in X-Request-ID), or a new one; sent back in
    X-Request-ID. The audit log records it, so an entry can be found in nginx's access log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.META.get("HTTP_X_REQUEST_ID", "")
        if len(given) != 32 or not _REQUEST_ID_CHARS.issuperset(given):
            given = uuid.uuid4().hex
        request.request_id = given
        response = self.get_response(request)
        response["X-Request-ID"] = given
        return response

"""Login throttling with django-ratelimit's counters: failed attempts per account and per address.

Only failures count (a wrong password, an unknown user, a wrong second factor), so a user who logs
in is never slowed down. Once either counter reaches its limit, every attempt for that account or
from that address is refused with 429 and Retry-After until the window ends, even with the right
password. Counters live in the "throttle" cache (a database table shared by all workers).
"""

import logging

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.core import get_usage

log = logging.getLogger("crhq.security")

ACCOUNT_GROUP = "crhq.login.account"
ADDRESS_GROUP = "crhq.login.address"


def _account_key(username):
    value = (username or "").strip().lower()[:150]
    return lambda group, request: value


def _counters(username):
    yield ACCOUNT_GROUP, _account_key(username), settings.CRHQ_LOGIN_ACCOUNT_RATE
    yield ADDRESS_GROUP, "ip", settings.CRHQ_LOGIN_ADDRESS_RATE  # REMOTE_ADDR (from X-Real-IP), IPv6 per /64


def retry_after(request, username):
    """Seconds to wait when the account or the address has used up its failures, else None."""
    waits = []
    for group, key, rate in _counters(username):
        usage = get_usage(request, group=group, key=key, rate=rate, increment=False)
        if usage is None:  # RATELIMIT_ENABLE = False
            continue
        if usage["count"] >= usage["limit"]:  # also when the counter could not be read (limit 0)
            waits.append(max(1, usage["time_left"]))
    return max(waits) if waits else None


def record_failure(request, username):
    for group, key, rate in _counters(username):
        get_usage(request, group=group, key=key, rate=rate, increment=True)


def throttled_response(request, wait, username):
    log.warning("login throttled account=%r address=%s retry_after=%d",
                (username or "")[:150], request.META.get("REMOTE_ADDR", "?"), wait)
    response = render(request, "accounts/throttled.html", {"retry_after": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response

"""Login in two steps, second factors, sessions, password change, health."""

import logging
import time

from django.conf import settings
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import PasswordChangeForm
from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crhq_app.middleware import LOGIN_AT, PENDING, SEEN_AT
from crhq_app.vault import audit

from . import throttle, twofactor
from .backends import forget_user
from .forms import CodeForm, EnrolForm, LoginForm, PasswordConfirmForm
from .models import User

log = logging.getLogger("crhq.security")

LOGIN_ERROR = "The user name or the password is wrong."  # the same for an unknown user
CODE_ERROR = "That code is not valid."
PASSWORD_ERROR = "The password is wrong."
BACKEND = "crhq_app.accounts.backends.CachedUserBackend"


def _address(request):
    return request.META.get("REMOTE_ADDR", "?")


def _audit(request, action, user, result="ok", **detail):
    """An audit row for an account event. A failure is refused when its row cannot be written too; a
    refusal whose row cannot be written is still refused (the journal has the error)."""
    try:
        audit.record(action, actor_type="user" if user is not None else "anonymous",
                     actor="user:%d:%s" % (user.pk, user.get_username()) if user is not None else "anonymous",
                     object_type="user", object_id=detail.pop("account", None) or (user.get_username() if user else ""),
                     result=result, address=_address(request), request_id=getattr(request, "request_id", ""),
                     detail=detail)
    except audit.AuditUnavailable:
        if result == "ok":
            raise


def _safe_next(request, candidate):
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=True):
        return candidate
    return None


def _pending(request):
    """(user, pending) for a session whose password step succeeded, else (None, None).

    The password step recorded the user's session auth hash: a password change or "log out
    everywhere" since then voids the half-finished login too.
    """
    pending = request.session.get(PENDING)
    if not pending:
        return None, None
    user = User.objects.filter(pk=pending.get("uid"), is_active=True).first()
    if user is None or not constant_time_compare(pending.get("hash", ""), user.get_session_auth_hash()):
        return None, None
    return user, pending


def _complete_login(request, user, password_at):
    """Both factors given: log in (Django's login() rotates the session key and the CSRF token)."""
    pending = request.session.pop(PENDING, None) or {}
    _audit(request, "auth.login", user, second_factor=pending.get("factor", "none"))
    login(request, user, backend=BACKEND)
    now = int(time.time())
    request.session[LOGIN_AT] = password_at or now
    request.session[SEEN_AT] = now
    log.info("login user=%s address=%s", user.pk, _address(request))
    return pending.get("next") or settings.LOGIN_REDIRECT_URL


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = LoginForm(request.POST or None)
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        wait = throttle.retry_after(request, username)
        if wait:
            return throttle.throttled_response(request, wait, username)
        # unknown users cost one bcrypt too: ModelBackend hashes the password when the user is missing
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            throttle.record_failure(request, username)
            log.warning("login failed account=%r address=%s", username[:150], _address(request))
            known = User.objects.filter(username=username).exists()
            _audit(request, "auth.login", None, result="denied", reason="password",
                   account=username[:150] if known else "unknown:" + audit.keyed_hash(username))
            form.add_error(None, LOGIN_ERROR)
        else:
            request.session.cycle_key()  # a new session key once the password is right
            now = int(time.time())
            request.session[PENDING] = {"uid": user.pk, "at": now, "next": next_url,
                                        "hash": user.get_session_auth_hash()}
            if user.totp_required:
                return redirect("login-verify" if user.totp_enabled else "login-enrol")
            return redirect(_complete_login(request, user, now))
    return render(request, "accounts/login.html", {"form": form, "next": next_url or ""})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_verify(request):
    """Second step: a TOTP code or a backup code. The session grants nothing until this succeeds."""
    user, pending = _pending(request)
    if user is None:
        return redirect("login")
    if not user.totp_enabled:
        return redirect("login-enrol")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        wait = throttle.retry_after(request, user.get_username())
        if wait:
            return throttle.throttled_response(request, wait, user.get_username())
        code = form.cleaned_data["code"]
        if twofactor.normalise_totp_code(code):
            ok, factor = twofactor.verify_totp(user, code), "totp"
        else:
            ok, factor = twofactor.use_backup_code(user, code), "backup_code"
        if ok:
            request.session[PENDING] = dict(pending, factor=factor)
            return redirect(_complete_login(request, user, pending.get("at")))
        throttle.record_failure(request, user.get_username())
        log.warning("second factor failed user=%s address=%s", user.pk, _address(request))
        _audit(request, "auth.login", user, result="denied", reason="second factor")
        form.add_error(None, CODE_ERROR)
    return render(request, "accounts/verify.html", {"form": form})


def _enrol(request, user, template, needs_password, after_success):
    """GET: a new pending secret, shown once as a QR code and a URI. POST: confirm it with a code."""
    if request.method == "GET":
        secret = twofactor.start_enrolment(user)
        uri = twofactor.provisioning_uri(user, secret)
        form = EnrolForm(needs_password=needs_password)
        return render(request, template, {"form": form, "qr_svg": twofactor.qr_svg(uri), "otpauth_uri": uri})
    form = EnrolForm(request.POST, needs_password=needs_password)
    if form.is_valid():
        wait = throttle.retry_after(request, user.get_username())
        if wait:
            return throttle.throttled_response(request, wait, user.get_username())
        if needs_password and not user.check_password(form.cleaned_data["password"]):
            form.add_error("password", PASSWORD_ERROR)
        else:
            with transaction.atomic():  # no new authenticator without its audit row
                enrolled = twofactor.confirm_enrolment(user, form.cleaned_data["code"])
                if enrolled:
                    _audit(request, "auth.totp_enrol", user, replaced=needs_password)
            if enrolled:
                return after_success()
            form.add_error("code", CODE_ERROR)
        throttle.record_failure(request, user.get_username())
    # the secret is not shown again: the page offers to start over with a new one
    return render(request, template, {"form": form, "has_pending": bool(user.totp_pending)})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def login_enrol(request):
    """First login of an account that must use TOTP and has none: enrol, then log in."""
    user, pending = _pending(request)
    if user is None:
        return redirect("login")
    if user.totp_enabled:
        return redirect("login-verify")

    def enrolled():
        next_url = _complete_login(request, user, pending.get("at"))
        codes = twofactor.regenerate_backup_codes(user)
        return render(request, "accounts/backup_codes.html", {"codes": codes, "next_url": resolve_url(next_url)})

    return _enrol(request, user, "accounts/enrol.html", needs_password=False, after_success=enrolled)


@never_cache
@require_GET
def home(request):
    # the number kept on the user row, which every request loads already: no query of its own
    return render(request, "accounts/home.html", {"backup_codes_left": request.user.backup_codes_left})


@never_cache
@require_GET
def two_factor(request):
    return render(request, "accounts/two_factor.html", {
        "backup_codes_left": twofactor.backup_codes_left(request.user),
        "form": PasswordConfirmForm(),
    })


@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_enrol(request):
    """Set up TOTP, or replace the authenticator in use (which takes the password)."""
    user = request.user
    first = not user.totp_enabled

    def enrolled():
        if first:
            codes = twofactor.regenerate_backup_codes(user)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next_url": resolve_url("two-factor")})
        return redirect("two-factor")

    return _enrol(request, user, "accounts/two_factor_enrol.html", needs_password=not first, after_success=enrolled)


@never_cache
@require_POST
def backup_codes(request):
    """New backup codes (the password is asked again); the old ones stop working."""
    user = request.user
    form = PasswordConfirmForm(request.POST)
    if form.is_valid():
        wait = throttle.retry_after(request, user.get_username())
        if wait:
            return throttle.throttled_response(request, wait, user.get_username())
        if user.check_password(form.cleaned_data["password"]):
            with transaction.atomic():
                codes = twofactor.regenerate_backup_codes(user)
                _audit(request, "auth.backup_codes", user)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next_url": resolve_url("two-factor")})
        throttle.record_failure(request, user.get_username())
        form.add_error("password", PASSWORD_ERROR)
    return render(request, "accounts/two_factor.html", {
        "backup_codes_left": twofactor.backup_codes_left(user), "form": form})


@never_cache
@require_http_methods(["GET", "POST"])
def password_change(request):
    """A new password; every other session of the user ends (the session auth hash changes)."""
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST":
        wait = throttle.retry_after(request, request.user.get_username())
        if wait:
            return throttle.throttled_response(request, wait, request.user.get_username())
        if form.is_valid():
            with transaction.atomic():  # no new password without its audit row
                changed = form.save(commit=False)
                changed.save(update_fields=["password"])  # the password only: never an older copy of the row
                _audit(request, "auth.password_change", request.user)
            update_session_auth_hash(request, form.user)  # keeps this session, under a new key
            log.info("password changed user=%s address=%s", request.user.pk, _address(request))
            return render(request, "accounts/password_changed.html")
        if "old_password" in form.errors:
            throttle.record_failure(request, request.user.get_username())
    return render(request, "accounts/password_change.html", {"form": form})


@login_not_required
@require_POST
def logout_view(request):
    """Deletes the session on the server and clears the cookie."""
    if request.user.is_authenticated:
        log.info("logout user=%s", request.user.pk)
    logout(request)
    return redirect("login")


@require_POST
def logout_everywhere(request):
    """Ends every session of the user, on every device, this one included."""
    user = request.user
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
        forget_user(user.pk)
        _audit(request, "auth.logout_everywhere", user)
    log.info("logout everywhere user=%s", user.pk)
    logout(request)
    return redirect("login")


@never_cache
@require_GET
def api_me(request):
    return JsonResponse({"username": request.user.get_username(), "staff": request.user.is_staff})


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD"])
def healthz(request):
    """200 "ok" when the database answers, 503 otherwise. No session, no authentication."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        log.error("health check: the database does not answer")
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


def csrf_failure(request, reason=""):
    log.warning("csrf failure path=%s address=%s reason=%s", request.path, _address(request), reason)
    return render(request, "403_csrf.html", status=403)

"""Helpers for the app's tests: clients that look like nginx's requests, real TOTP codes from the stored secret."""

import time

import pyotp
from django.test import Client

from crhq_app import crypto
from crhq_app.accounts.models import totp_context

HOST = "crhq.test"
PASSWORD = "correct horse battery staple"
SESSION_COOKIE = "__Host-crhq_session"
CSRF_COOKIE = "__Host-crhq_csrf"


def make_client(address="203.0.113.10", **kwargs):
    """A browser behind nginx: TLS at nginx (X-Forwarded-Proto), address in X-Real-IP."""
    headers = {"HTTP_HOST": HOST, "HTTP_X_FORWARDED_PROTO": "https", "HTTP_X_REAL_IP": address}
    headers.update(kwargs)
    return Client(**headers)


def totp_secret(user):
    user.refresh_from_db()
    return crypto.decrypt(user.totp_secret, totp_context(user.pk))


def fresh_code(user, secret=None):
    """A code the server accepts now: the current step, or the next one when the current was used."""
    user.refresh_from_db()
    secret = secret or totp_secret(user)
    step = int(time.time()) // 30
    if user.totp_last_step is not None and user.totp_last_step >= step:
        step = user.totp_last_step + 1
    assert step <= int(time.time()) // 30 + 1, "no unused TOTP step left in the window"
    return pyotp.TOTP(secret).generate_otp(step)


def password_step(client, username="alice", password=PASSWORD):
    return client.post("/login/", {"username": username, "password": password})


def log_in(client, user, password=PASSWORD):
    response = password_step(client, user.get_username(), password)
    assert response.status_code == 302, response.content
    if response["Location"] == "/login/verify/":
        response = client.post("/login/verify/", {"code": fresh_code(user)})
    assert response.status_code == 302 and response["Location"] == "/", response.content
    return response


def session_key(client):
    cookie = client.cookies.get(SESSION_COOKIE)
    return cookie.value if cookie and cookie.value else None

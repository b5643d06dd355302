"""Sessions: cookie attributes, key rotation, half-finished logins, timeouts, logout, password change."""

import time

import pytest
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.models import Session
from django.core.cache import caches

from crhq_testing import PASSWORD, SESSION_COOKIE, fresh_code, log_in, make_client, password_step, session_key
from crhq_app import middleware

pytestmark = pytest.mark.django_db


def test_session_cookie_attributes(user, client):
    client.get("/login/")
    response = password_step(client)
    cookie = response.cookies[SESSION_COOKIE]
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert not cookie["domain"]  # __Host- cookies carry no Domain
    assert not cookie["max-age"]  # a browser-session cookie; the server enforces the lifetime


def test_key_rotates_at_the_password_and_at_the_second_factor(user, client):
    session = client.session  # an anonymous session exists before the login
    session["probe"] = 1
    session.save()
    before = session.session_key

    password_step(client)
    after_password = session_key(client)
    assert after_password and after_password != before
    assert not Session.objects.filter(session_key=before).exists()

    client.post("/login/verify/", {"code": fresh_code(user)})
    after_code = session_key(client)
    assert after_code not in (before, after_password)
    assert not Session.objects.filter(session_key=after_password).exists()


def test_half_finished_login_grants_nothing(user, client):
    password_step(client)
    assert session_key(client)
    assert client.get("/")["Location"].startswith("/login/")
    for path in ("/account/2fa/", "/account/2fa/enrol/"):
        assert client.get(path)["Location"].startswith("/login/?next="), path
    assert client.get("/account/password/").status_code == 302
    api = client.get("/api/me")
    assert api.status_code == 401 and api.json() == {"error": "authentication required"}
    assert client.post("/logout/everywhere/").status_code == 302


def test_api_after_full_login(user, client):
    log_in(client, user)
    assert client.get("/api/me").json() == {"username": "alice", "staff": False}


def test_pending_login_expires(user, client, settings):
    password_step(client)
    session = client.session
    session[middleware.PENDING]["at"] -= settings.CRHQ_PENDING_LOGIN_SECONDS + 1
    session.save()
    assert client.get("/login/verify/")["Location"] == "/login/"


def test_idle_timeout(user, client, settings):
    log_in(client, user)
    assert client.get("/").status_code == 200
    session = client.session
    session[middleware.SEEN_AT] -= settings.CRHQ_SESSION_IDLE_SECONDS
    session.save()
    assert client.get("/")["Location"].startswith("/login/")
    assert not Session.objects.filter(session_key=session.session_key).exists()


def test_requests_move_the_server_side_expiry_once_per_interval(user, client, settings):
    log_in(client, user)
    key = session_key(client)
    Session.objects.filter(session_key=key).update(expire_date=Session.objects.get(session_key=key).expire_date.replace(year=2001))
    # the cache entry expires with the row: both were given the idle time at the last save
    caches["sessions"].touch(cached_db.KEY_PREFIX + key, 0)
    # an expired row is not loaded at all: Django's own idle expiry
    assert client.get("/")["Location"].startswith("/login/")

    log_in(client, user)
    key = session_key(client)
    first = Session.objects.get(session_key=key).expire_date
    time.sleep(0.05)
    client.get("/")  # seen just now: no write, the same expiry
    assert Session.objects.get(session_key=key).expire_date == first
    assert middleware.refresh_interval() == 60  # a tenth of the idle time (900 s here), at most 60 s
    session = client.session
    session[middleware.SEEN_AT] -= middleware.refresh_interval()  # last seen one interval ago
    session.save()
    saved = Session.objects.get(session_key=key).expire_date
    time.sleep(0.05)
    client.get("/")
    assert Session.objects.get(session_key=key).expire_date > saved
    assert client.session[middleware.SEEN_AT] >= int(time.time()) - 1


def test_refresh_interval_follows_the_idle_time(settings):
    for idle, interval in ((60, 6), (600, 60), (1800, 60), (5, 1)):
        settings.CRHQ_SESSION_IDLE_SECONDS = idle
        assert middleware.refresh_interval() == interval


def test_absolute_lifetime(user, client, settings):
    log_in(client, user)
    session = client.session
    session[middleware.LOGIN_AT] -= settings.CRHQ_SESSION_ABSOLUTE_SECONDS
    session[middleware.SEEN_AT] = int(time.time())  # active all along
    session.save()
    assert client.get("/")["Location"].startswith("/login/")


def test_logout_deletes_the_session_on_the_server(user, client):
    log_in(client, user)
    key = session_key(client)
    assert client.get("/logout/").status_code == 405  # POST only (CSRF protected)
    response = client.post("/logout/")
    assert response["Location"] == "/login/"
    assert not Session.objects.filter(session_key=key).exists()
    # the old cookie is worth nothing
    replay = make_client()
    replay.cookies[SESSION_COOKIE] = key
    assert replay.get("/").status_code == 302


def test_log_out_everywhere(user):
    laptop, phone = make_client(), make_client("198.51.100.7")
    log_in(laptop, user)
    log_in(phone, user)
    assert laptop.get("/").status_code == phone.get("/").status_code == 200
    assert laptop.post("/logout/everywhere/")["Location"] == "/login/"
    assert laptop.get("/").status_code == 302
    assert phone.get("/").status_code == 302
    assert phone.get("/api/me").status_code == 401


def test_password_change_ends_the_other_sessions_only(user):
    laptop, phone = make_client(), make_client("198.51.100.7")
    log_in(laptop, user)
    log_in(phone, user)
    old_key = session_key(laptop)
    response = laptop.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "a much better passphrase", "new_password2": "a much better passphrase"})
    assert response.status_code == 200 and "Password changed" in response.content.decode()
    assert session_key(laptop) != old_key  # this session goes on under a new key
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302
    user.refresh_from_db()
    assert user.check_password("a much better passphrase")


def test_password_change_validates(user, client):
    log_in(client, user)
    response = client.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "short", "new_password2": "short"})
    assert "at least 12 characters" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_login_returns_to_the_page_asked_for(user, client):
    assert client.get("/account/2fa/")["Location"] == "/login/?next=/account/2fa/"
    client.post("/login/?next=/account/2fa/", {"username": "alice", "password": PASSWORD})
    assert client.post("/login/verify/", {"code": fresh_code(user)})["Location"] == "/account/2fa/"


def test_login_ignores_a_next_page_elsewhere(user, client):
    client.post("/login/?next=https://evil.example/", {"username": "alice", "password": PASSWORD})
    assert client.post("/login/verify/", {"code": fresh_code(user)})["Location"] == "/"


def test_a_password_change_voids_a_half_finished_login(user):
    attacker, owner = make_client("192.0.2.66"), make_client()
    password_step(attacker)
    log_in(owner, user)
    owner.post("/account/password/", {
        "old_password": PASSWORD, "new_password1": "a much better passphrase", "new_password2": "a much better passphrase"})
    assert attacker.post("/login/verify/", {"code": fresh_code(user)})["Location"] == "/login/"
    assert attacker.get("/").status_code == 302


def test_next_survives_a_failed_attempt(user, client):
    response = client.post("/login/", {"username": "alice", "password": "wrong password!", "next": "/account/password/"})
    assert '<input type="hidden" name="next" value="/account/password/">' in response.content.decode()

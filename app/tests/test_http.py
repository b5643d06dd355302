"""HTTP policy: CSP on every response, CSRF on every POST, templates without inline code, proxy headers."""

import re
from pathlib import Path

import pytest
from django.test import RequestFactory

from crhq_testing import CSRF_COOKIE, HOST, PASSWORD, log_in, make_client
from crhq_app.middleware import RealIPMiddleware

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[1] / "src" / "crhq_app" / "templates"
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"


def _assert_strict_csp(response):
    policy = response["Content-Security-Policy"]
    assert sorted(part.strip() for part in policy.split(";")) == sorted(CSP.split("; "))
    assert "unsafe" not in policy


def test_csp_on_every_response(user, client):
    for path in ("/login/", "/healthz", "/no-such-page", "/"):
        _assert_strict_csp(client.get(path))
    log_in(client, user)
    for path in ("/", "/account/2fa/", "/account/2fa/enrol/", "/account/password/", "/api/me", "/no-such-page"):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        _assert_strict_csp(response)


def test_templates_hold_no_inline_script_or_style():
    files = sorted(TEMPLATES.rglob("*.html"))
    assert len(files) > 10
    for path in files:
        text = path.read_text()
        for pattern in (r"<script", r"<style", r"\sstyle=", r"\son[a-z]+=", r"javascript:"):
            assert not re.search(pattern, text, re.I), "%s: %s" % (path.name, pattern)


def test_rendered_pages_hold_no_inline_script_or_style(user, client):
    log_in(client, user)
    for path in ("/", "/account/2fa/", "/account/2fa/enrol/", "/account/password/"):
        html = client.get(path).content.decode()
        assert not re.search(r"<script|<style|\sstyle=|\son[a-z]+=", html, re.I), path
        assert '<link rel="stylesheet" href="/static/crhq_app/app.css">' in html
        # a page's own icon: without one, browsers ask for /favicon.ico and log the 404 as an error
        assert '<link rel="icon" href="/static/crhq_app/favicon.svg" type="image/svg+xml">' in html


def test_csrf_is_required_on_every_post(user):
    client = make_client(enforce_csrf_checks=True)
    login_page = client.get("/login/")
    cookie = login_page.cookies[CSRF_COOKIE]
    assert cookie["secure"] is True and cookie["httponly"] is True and cookie["path"] == "/"
    assert not cookie["domain"]

    refused = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert refused.status_code == 403
    _assert_strict_csp(refused)

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.content.decode()).group(1)
    cross_site = client.post("/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
                             HTTP_ORIGIN="https://evil.example")
    assert cross_site.status_code == 403
    accepted = client.post("/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token},
                           HTTP_ORIGIN="https://" + HOST)
    assert accepted.status_code == 302

    for path in ("/logout/", "/logout/everywhere/", "/account/2fa/backup-codes/"):
        assert client.post(path, HTTP_ORIGIN="https://" + HOST).status_code == 403, path


def test_behind_nginx_the_scheme_comes_from_x_forwarded_proto(user, client):
    response = make_client().get("/no-such-page")
    assert response.wsgi_request.is_secure()
    plain = make_client(HTTP_X_FORWARDED_PROTO="http").get("/no-such-page")
    assert not plain.wsgi_request.is_secure()


def test_client_address_comes_from_x_real_ip_only():
    factory = RequestFactory()
    seen = []
    middleware = RealIPMiddleware(lambda request: seen.append(request.META["REMOTE_ADDR"]))
    middleware(factory.get("/", HTTP_X_REAL_IP="198.51.100.4", HTTP_X_FORWARDED_FOR="192.0.2.1", REMOTE_ADDR=""))
    middleware(factory.get("/", HTTP_X_FORWARDED_FOR="192.0.2.1", REMOTE_ADDR=""))
    middleware(factory.get("/", HTTP_X_REAL_IP="not an address", REMOTE_ADDR="127.0.0.1"))
    middleware(factory.get("/", HTTP_X_REAL_IP=" 2001:DB8::1 "))
    assert seen == ["198.51.100.4", "0.0.0.0", "127.0.0.1", "2001:db8::1"]


def test_unknown_host_is_refused(db):
    assert make_client().get("/login/", HTTP_HOST="evil.example").status_code == 400


def test_pages_are_not_cached(user, client):
    log_in(client, user)
    for path in ("/", "/login/", "/account/2fa/enrol/"):
        assert "no-store" in client.get(path)["Cache-Control"], path


def test_deploy_checks_pass():
    from django.core.management import call_command
    call_command("check", "--deploy", "--fail-level", "WARNING")


def test_home_page_names_the_user_and_links_the_account_pages(user, client):
    log_in(client, user)
    html = client.get("/").content.decode()
    assert "Welcome, alice" in html
    for target in ('href="/account/2fa/"', 'href="/account/password/"', 'action="/logout/"', 'action="/logout/everywhere/"'):
        assert target in html, target

"""crhq_app.asgi: the same app over ASGI (the role's app_asgi), through Django's ASGI handler and every middleware."""

import importlib
import os

import pytest
from asgiref.sync import async_to_sync
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient

from crhq_testing import HOST, PASSWORD, SESSION_COOKIE, fresh_code

pytestmark = pytest.mark.django_db


@pytest.fixture(name="asgi")
def fixture_asgi(monkeypatch):
    monkeypatch.setenv("CRHQ_SERVED_BY_ASGI", "")  # loading the module sets it; the fixture puts it back
    return importlib.reload(importlib.import_module("crhq_app.asgi"))  # loaded again, so it sets it again


def _client():
    return AsyncClient(HTTP_HOST=HOST, HTTP_X_FORWARDED_PROTO="https", HTTP_X_REAL_IP="203.0.113.10")


def test_the_asgi_callable_serves_the_app_with_its_policy(asgi, user):
    assert isinstance(asgi.application, ASGIHandler)
    assert os.environ["CRHQ_SERVED_BY_ASGI"] == "1"  # settings read it: no persistent database connections
    client = _client()
    health = async_to_sync(client.get)("/healthz")
    assert health.status_code == 200 and health.content == b"ok\n"
    assert async_to_sync(client.get)("/")["Location"].startswith("/login/")
    page = async_to_sync(client.get)("/login/")
    assert page.status_code == 200 and "unsafe-inline" not in page["Content-Security-Policy"]
    step = async_to_sync(client.post)("/login/", {"username": "alice", "password": PASSWORD})
    assert step.status_code == 302 and step["Location"] == "/login/verify/"
    done = async_to_sync(client.post)("/login/verify/", {"code": fresh_code(user)})
    assert done["Location"] == "/" and client.cookies[SESSION_COOKIE]["httponly"]
    home = async_to_sync(client.get)("/")
    assert home.status_code == 200 and "Welcome, alice" in home.content.decode()

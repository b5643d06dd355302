"""GET /healthz: no authentication, 200 with a tiny body when the database answers, 503 otherwise."""

import pytest
from django.db import OperationalError, connection

from crhq_testing import SESSION_COOKIE, make_client

pytestmark = pytest.mark.django_db


def test_healthy():
    response = make_client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert SESSION_COOKIE not in response.cookies
    assert make_client().head("/healthz").status_code == 200
    assert make_client().post("/healthz").status_code in (403, 405)


def test_database_down(monkeypatch):
    def broken(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", broken)
    response = make_client().get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable\n"

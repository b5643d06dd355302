"""Login throttling: failures per account and per address, 429 with Retry-After, database counters."""

import pytest
from django.core.cache import caches
from django.db import connection

from crhq_testing import PASSWORD, fresh_code, make_client, password_step

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def small_limits(settings):
    settings.CRHQ_LOGIN_ACCOUNT_RATE = "3/15m"
    settings.CRHQ_LOGIN_ADDRESS_RATE = "5/15m"


def _assert_throttled(response):
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= 15 * 60
    assert "Too many attempts" in response.content.decode()


def test_per_account_from_many_addresses(user):
    for n in range(3):
        assert password_step(make_client("198.51.100.%d" % n), "alice", "wrong password %d" % n).status_code == 200
    # the right password is refused too while the account is throttled, from any address
    _assert_throttled(password_step(make_client("192.0.2.99"), "alice", PASSWORD))
    # the account name is compared without case
    _assert_throttled(password_step(make_client("192.0.2.98"), "ALICE", PASSWORD))
    # another account is not affected
    assert password_step(make_client("192.0.2.97"), "bob", "whatever it is").status_code == 200


def test_unknown_accounts_are_throttled_alike(db):
    for n in range(3):
        password_step(make_client("198.51.100.%d" % n), "nobody", "wrong password")
    _assert_throttled(password_step(make_client("192.0.2.99"), "nobody", "wrong password"))


def test_per_address_across_accounts(user):
    client = make_client("203.0.113.50")
    for n in range(5):
        assert password_step(client, "user%d" % n, "wrong password").status_code == 200
    _assert_throttled(password_step(client, "alice", PASSWORD))
    # the address comes from X-Real-IP only: X-Forwarded-For changes nothing
    spoofed = make_client("203.0.113.50", HTTP_X_FORWARDED_FOR="192.0.2.1")
    _assert_throttled(password_step(spoofed, "alice", PASSWORD))
    # another address logs in
    assert password_step(make_client("203.0.113.51"), "alice", PASSWORD).status_code == 302


def test_ipv6_addresses_share_a_64(user):
    for n in range(5):
        password_step(make_client("2001:db8:1:2::%x" % (n + 1)), "user%d" % n, "wrong password")
    _assert_throttled(password_step(make_client("2001:db8:1:2:ffff::1"), "alice", PASSWORD))
    assert password_step(make_client("2001:db8:1:3::1"), "alice", PASSWORD).status_code == 302


def test_successful_logins_do_not_count(user):
    for attempt in range(5):
        assert password_step(make_client(), "alice", PASSWORD).status_code == 302


def test_second_factor_failures_count_for_the_account(user):
    client = make_client()
    password_step(client)
    for attempt in range(3):
        assert client.post("/login/verify/", {"code": "000000"}).status_code == 200
    _assert_throttled(client.post("/login/verify/", {"code": fresh_code(user)}))
    _assert_throttled(password_step(make_client("192.0.2.5")))


def test_counters_live_in_the_database_cache(user):
    password_step(make_client(), "alice", "wrong password")
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM crhq_throttle")
        assert cursor.fetchone()[0] >= 2
    assert caches["throttle"].__class__.__name__ == "DatabaseCache"

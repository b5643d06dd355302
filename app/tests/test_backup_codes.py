"""Backup codes: ten, shown once, stored as bcrypt hashes, single use, a new set voids the old one."""

import re

import pytest

from crhq_testing import PASSWORD, log_in, make_client, password_step
from crhq_app.accounts import twofactor
from crhq_app.accounts.models import BackupCode

pytestmark = pytest.mark.django_db


def _codes(html):
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", html)


def test_ten_codes_stored_as_bcrypt_hashes(user):
    codes = twofactor.regenerate_backup_codes(user)
    assert len(codes) == len(set(codes)) == 10
    stored = list(BackupCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10
    assert all(h.startswith("bcrypt_sha256$$2b$04$") for h in stored)
    assert not any(code in h for code in codes for h in stored)


def test_a_code_logs_in_once(user):
    codes = twofactor.regenerate_backup_codes(user)
    client = make_client()
    password_step(client)
    assert client.post("/login/verify/", {"code": codes[3].upper().replace("-", " ")})["Location"] == "/"
    assert client.get("/").status_code == 200
    assert twofactor.backup_codes_left(user) == 9

    again = make_client()
    password_step(again)
    response = again.post("/login/verify/", {"code": codes[3]})
    assert response.status_code == 200 and "That code is not valid." in response.content.decode()
    assert again.get("/").status_code == 302


def test_regenerating_shows_the_codes_once_and_voids_the_old_set(user, client):
    old = twofactor.regenerate_backup_codes(user)
    log_in(client, user)
    page = client.get("/account/2fa/")
    assert "10 unused backup codes left." in page.content.decode()
    assert not _codes(page.content.decode())  # never shown again

    refused = client.post("/account/2fa/backup-codes/", {"password": "wrong password!"})
    assert "The password is wrong." in refused.content.decode()
    assert twofactor.use_backup_code(user, old[0])

    response = client.post("/account/2fa/backup-codes/", {"password": PASSWORD})
    new = _codes(response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert "no-store" in response["Cache-Control"]
    assert not twofactor.use_backup_code(user, old[1])
    assert twofactor.use_backup_code(user, new[0])
    assert BackupCode.objects.filter(user=user).count() == 10


def test_malformed_codes_cost_no_hashing(user, monkeypatch):
    twofactor.regenerate_backup_codes(user)
    monkeypatch.setattr(twofactor, "check_password", lambda *a: pytest.fail("hashed a malformed code"))
    assert not twofactor.use_backup_code(user, "not-a-code!")
    assert not twofactor.use_backup_code(user, "aaaaa-aaaa1")


def test_the_home_page_warns_from_the_count_on_the_user_row(user, django_assert_num_queries):
    """User.backup_codes_left follows every change in the transaction that makes it; the home page reads it
    from the user row the request loads anyway, so the warning costs no query of its own."""
    codes = twofactor.regenerate_backup_codes(user)
    user.refresh_from_db()
    assert user.backup_codes_left == twofactor.backup_codes_left(user) == 10
    for code in codes[:8]:
        assert twofactor.use_backup_code(user, code)
    user.refresh_from_db()
    assert user.backup_codes_left == twofactor.backup_codes_left(user) == 2
    assert not twofactor.use_backup_code(user, codes[0])  # spent: the count stays
    user.refresh_from_db()
    assert user.backup_codes_left == 2

    client = make_client()
    log_in(client, user)
    client.get("/")
    with django_assert_num_queries(0):  # the session and the user come from the cache (test_user_cache)
        page = client.get("/").content.decode()
    assert "You have 2 backup codes left." in page

    twofactor.regenerate_backup_codes(user)
    user.refresh_from_db()
    assert user.backup_codes_left == 10
    assert "backup codes left" not in client.get("/").content.decode()

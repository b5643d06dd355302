"""Passwords: bcrypt with the configured cost, long passwords, validators, one error for all failures."""

import re

import bcrypt
import pytest
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from crhq_testing import PASSWORD, password_step
from crhq_app.accounts.models import User
from crhq_app.accounts.views import LOGIN_ERROR


def test_hash_is_bcrypt_with_the_configured_cost_and_a_fresh_salt(settings):
    first, second = make_password(PASSWORD), make_password(PASSWORD)
    assert first.startswith("bcrypt_sha256$$2b$04$")
    assert first != second  # a salt per hash
    settings.CRHQ_BCRYPT_COST = 5
    assert "$2b$05$" in make_password(PASSWORD)


def test_a_hash_of_another_cost_is_remade_at_login(user, client, settings):
    assert "$2b$04$" in user.password
    settings.CRHQ_BCRYPT_COST = 5
    password_step(client)
    user.refresh_from_db()
    assert "$2b$05$" in user.password


def test_passwords_longer_than_72_bytes_count_in_full():
    long_password = "\u00e9" * 40 + "tail-one"  # 88 bytes of UTF-8
    assert len(long_password.encode()) > 72
    encoded = make_password(long_password)
    assert check_password(long_password, encoded)
    # bcrypt alone would ignore everything after byte 72; the SHA-256 pre-hash does not
    assert not check_password("\u00e9" * 40 + "tail-two", encoded)
    with pytest.raises(ValueError):
        bcrypt.hashpw(long_password.encode(), bcrypt.gensalt(4))  # why the pre-hash is there


def test_minimum_length_is_12():
    with pytest.raises(ValidationError) as error:
        validate_password("xk3-Qm9!zr7")  # 11 characters
    assert any("at least 12" in message for message in error.value.messages)
    validate_password("xk3-Qm9!zr7w")


@pytest.mark.django_db
def test_unknown_user_and_wrong_password_get_the_same_answer(user, client, monkeypatch):
    calls = []
    real_hashpw = bcrypt.hashpw
    monkeypatch.setattr(bcrypt, "hashpw", lambda *a: calls.append(1) or real_hashpw(*a))

    unknown = password_step(client, "mallory", PASSWORD)
    unknown_hashes = len(calls)
    wrong = password_step(client, "alice", "not the password at all")
    wrong_hashes = len(calls) - unknown_hashes

    assert unknown.status_code == wrong.status_code == 200
    assert LOGIN_ERROR in unknown.content.decode() and LOGIN_ERROR in wrong.content.decode()
    strip = [("mallory", ""), ("alice", "")]
    assert _without_tokens(unknown.content.decode(), strip) == _without_tokens(wrong.content.decode(), strip)
    # a dummy bcrypt for the unknown user: both paths do the same expensive work
    assert unknown_hashes == wrong_hashes == 1


def _without_tokens(html, replacements):
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    for old, new in replacements:
        html = html.replace(old, new)
    return html


@pytest.mark.django_db
def test_inactive_user_gets_the_generic_error(make_user, client):
    user = make_user()
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = password_step(client)
    assert response.status_code == 200 and LOGIN_ERROR in response.content.decode()

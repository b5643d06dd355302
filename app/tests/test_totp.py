"""TOTP: enrolment page, encrypted storage, policy, the +-1 step window, replay refusal."""

import re
import time

import pyotp
import pytest
from django.db import connection

from crhq_testing import PASSWORD, fresh_code, log_in, make_client, password_step, totp_secret
from crhq_app import crypto
from crhq_app.accounts import twofactor
from crhq_app.accounts.models import User, totp_context

pytestmark = pytest.mark.django_db


def _secret_from_uri(html):
    uri = re.search(r'<code class="secret">([^<]+)</code>', html).group(1).replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/CRHQ:alice%40crhq.test?")
    return uri, pyotp.parse_uri(uri).secret


def test_first_login_enrols_with_an_inline_svg_qr_code_then_shows_backup_codes(make_user, client):
    user = make_user(totp=False)
    assert password_step(client)["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/")
    html = page.content.decode()
    assert page.status_code == 200
    assert re.search(r"<svg [^>]*viewBox=", html) and "<path d=" in html
    assert "<script" not in html and "style=" not in html and "<style" not in html
    uri, secret = _secret_from_uri(html)
    parsed = pyotp.parse_uri(uri)
    assert (parsed.digits, parsed.interval, parsed.issuer, parsed.digest().name) == (6, 30, "CRHQ", "sha1")

    # nothing is granted yet
    assert client.get("/").status_code == 302
    response = client.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", response.content.decode())
    assert len(codes) == 10
    user.refresh_from_db()
    assert user.totp_enabled and not user.totp_pending
    assert client.get("/").status_code == 200


def test_a_wrong_enrolment_code_does_not_show_the_secret_again(make_user, client):
    make_user(totp=False)
    password_step(client)
    secret = _secret_from_uri(client.get("/login/enrol/").content.decode())[1]
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    html = client.post("/login/enrol/", {"code": wrong}).content.decode()
    assert "That code is not valid." in html
    assert "otpauth://" not in html and "<svg" not in html
    # the same pending secret still confirms
    assert client.post("/login/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 200


def test_secret_is_stored_encrypted_and_bound_to_the_user(make_user):
    alice, bob = make_user("alice"), make_user("bob")
    secret = totp_secret(alice)
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert alice.totp_secret.startswith("crhq.v1.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_user")
        rows = repr(cursor.fetchall())
    assert secret not in rows
    # an envelope copied to another user's row does not decrypt there
    with pytest.raises(crypto.CredentialError):
        crypto.decrypt(alice.totp_secret, totp_context(bob.pk))


def test_login_needs_a_valid_code(user, client):
    assert password_step(client)["Location"] == "/login/verify/"
    response = client.post("/login/verify/", {"code": "12345"})
    assert response.status_code == 200 and client.get("/").status_code == 302
    client.post("/login/verify/", {"code": fresh_code(user)})
    assert client.get("/").status_code == 200


def test_codes_of_the_neighbouring_steps_only(user):
    totp = pyotp.TOTP(totp_secret(user))
    now = time.time()
    step = int(now) // 30
    assert not twofactor.verify_totp(user, totp.generate_otp(step - 2), now=now)
    assert not twofactor.verify_totp(user, totp.generate_otp(step + 2), now=now)
    assert twofactor.verify_totp(user, totp.generate_otp(step - 1), now=now)
    assert twofactor.verify_totp(user, totp.generate_otp(step + 1), now=now)


def test_a_code_whose_step_was_used_is_refused(user):
    totp = pyotp.TOTP(totp_secret(user))
    now = time.time()
    step = int(now) // 30
    code = totp.generate_otp(step)
    assert twofactor.verify_totp(user, code, now=now)
    assert not twofactor.verify_totp(user, code, now=now)          # replay
    assert not twofactor.verify_totp(user, totp.generate_otp(step - 1), now=now)  # an older step
    user.refresh_from_db()
    assert user.totp_last_step == step


def test_replayed_code_is_refused_at_login(user):
    first, second = make_client(), make_client()
    code = fresh_code(user)
    password_step(first)
    first.post("/login/verify/", {"code": code})
    assert first.get("/").status_code == 200
    password_step(second)
    response = second.post("/login/verify/", {"code": code})
    assert response.status_code == 200 and "That code is not valid." in response.content.decode()
    assert second.get("/").status_code == 302


def test_policy_staff_lets_non_staff_in_with_the_password_only(make_user, settings):
    settings.CRHQ_TOTP_REQUIRED = "staff"
    make_user("carol", totp=False)
    staff = make_user("sam", staff=True, totp=False)
    client = make_client()
    assert password_step(client, "carol")["Location"] == "/"
    assert client.get("/").status_code == 200
    client = make_client()
    assert password_step(client, "sam")["Location"] == "/login/enrol/"
    assert staff.totp_required


def test_policy_staff_still_asks_a_user_who_enrolled(make_user, settings):
    settings.CRHQ_TOTP_REQUIRED = "staff"
    make_user("carol", totp=True)
    assert password_step(make_client(), "carol")["Location"] == "/login/verify/"


def test_policy_all_asks_everyone(make_user):
    make_user("carol", totp=False)
    assert password_step(make_client(), "carol")["Location"] == "/login/enrol/"


def test_replacing_the_authenticator_takes_the_password_and_a_code(user, client):
    log_in(client, user)
    old_secret = totp_secret(user)
    html = client.get("/account/2fa/enrol/").content.decode()
    new_secret = _secret_from_uri(html)[1]
    response = client.post("/account/2fa/enrol/", {"code": pyotp.TOTP(new_secret).now(), "password": "wrong password!"})
    assert "The password is wrong." in response.content.decode()
    assert totp_secret(user) == old_secret
    response = client.post("/account/2fa/enrol/", {"code": pyotp.TOTP(new_secret).now(), "password": PASSWORD})
    assert response.status_code == 302
    assert totp_secret(user) == new_secret
    assert User.objects.get(pk=user.pk).totp_pending == ""

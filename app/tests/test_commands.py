"""Management commands: ensure_user (for the Ansible module) and rewrap_secrets (after a key rotation)."""

import io
import json
import os
import stat

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from crhq_testing import PASSWORD, make_client, password_step, totp_secret
from crhq_app.accounts import twofactor
from crhq_app.accounts.models import User
from crhq_app.crypto import envelope, keyring

pytestmark = pytest.mark.django_db


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "password"
    path.write_text(PASSWORD + "\n")
    return path


def ensure(*args):
    out = io.StringIO()
    call_command("ensure_user", *args, stdout=out)
    text = out.getvalue()
    assert text.count("\n") == 1, text  # one JSON line
    return text, json.loads(text)


def test_create_with_totp_and_backup_codes(password_file, tmp_path):
    codes_file = tmp_path / "codes"
    text, result = ensure("--username", "alice", "--password-file", str(password_file), "--staff",
                          "--enrol-totp", "--backup-codes-file", str(codes_file))
    assert result == {"username": "alice", "created": True, "changed": True,
                      "changes": ["created", "totp", "backup_codes"],
                      "staff": True, "totp_enabled": True, "backup_codes_left": 10}
    assert PASSWORD not in text and "otpauth" not in text
    user = User.objects.get(username="alice")
    assert user.is_staff and user.check_password(PASSWORD) and "$2b$04$" in user.password

    assert stat.S_IMODE(os.stat(codes_file).st_mode) == 0o600
    codes = codes_file.read_text().split()
    assert len(codes) == 10 and not any(code in text for code in codes)
    assert twofactor.use_backup_code(user, codes[0])


def test_totp_uri_only_on_request(password_file):
    text, result = ensure("--username", "alice", "--password-file", str(password_file), "--enrol-totp", "--show-totp-uri")
    user = User.objects.get(username="alice")
    assert result["otpauth_uri"] == twofactor.provisioning_uri(user, totp_secret(user))
    # the enrolled secret works at login
    client = make_client()
    assert password_step(client)["Location"] == "/login/verify/"
    client.post("/login/verify/", {"code": pyotp.parse_uri(result["otpauth_uri"]).now()})
    assert client.get("/").status_code == 200


def test_existing_user_is_left_alone_without_force(password_file, tmp_path, make_user):
    user = make_user(password="the original passphrase", totp=False)
    password_file.write_text("a different passphrase\n")
    result = ensure("--username", "alice", "--password-file", str(password_file), "--staff", "--enrol-totp",
                    "--backup-codes-file", str(tmp_path / "codes"))[1]
    assert result == {"username": "alice", "created": False, "changed": False,
                      "staff": False, "totp_enabled": False, "backup_codes_left": 0}
    user.refresh_from_db()
    assert user.check_password("the original passphrase") and not user.is_staff and not user.totp_enabled
    assert not (tmp_path / "codes").exists()


def test_force_updates_and_is_idempotent(password_file, make_user):
    make_user(password="the original passphrase", totp=False)
    first = ensure("--username", "alice", "--password-file", str(password_file), "--staff", "--enrol-totp", "--force")[1]
    assert first["changed"] and first["changes"] == ["password", "staff", "totp"]
    user = User.objects.get(username="alice")
    assert user.check_password(PASSWORD) and user.is_staff and user.totp_enabled
    secret = totp_secret(user)
    second = ensure("--username", "alice", "--password-file", str(password_file), "--staff", "--enrol-totp", "--force")[1]
    assert not second["changed"] and second["changes"] == []
    assert totp_secret(user) == secret


def test_refuses_a_weak_password_and_an_empty_file(password_file):
    password_file.write_text("short\n")
    with pytest.raises(CommandError, match="the password is not accepted: .*at least 12"):
        ensure("--username", "alice", "--password-file", str(password_file))
    password_file.write_text("\n")
    with pytest.raises(CommandError, match="is empty"):
        ensure("--username", "alice", "--password-file", str(password_file))
    assert not User.objects.exists()


def test_dry_run_of_a_new_user_predicts_and_leaves_nothing(password_file, tmp_path):
    codes_file = tmp_path / "codes"
    args = ("--username", "alice", "--password-file", str(password_file), "--staff", "--enrol-totp",
            "--show-totp-uri", "--backup-codes-file", str(codes_file))
    text, result = ensure(*args, "--dry-run")
    assert result == {"username": "alice", "created": True, "changed": True,
                      "changes": ["created", "totp", "backup_codes"],
                      "staff": True, "totp_enabled": True, "backup_codes_left": 10}
    assert "otpauth" not in text and PASSWORD not in text
    assert not User.objects.exists()
    assert not os.path.exists(codes_file) and not os.path.exists(tmp_path / ".codes.tmp")
    # a real run prints the same, plus the URI it was asked for
    real = ensure(*args)[1]
    assert real.pop("otpauth_uri").startswith("otpauth://totp/")
    assert real == result


def test_dry_run_with_force_reports_the_password_and_keeps_the_hash(password_file, make_user):
    user = make_user(password="the original passphrase")
    before = user.password
    result = ensure("--username", "alice", "--password-file", str(password_file), "--enrol-totp",
                    "--force", "--dry-run")[1]
    assert result == {"username": "alice", "created": False, "changed": True, "changes": ["password"],
                      "staff": False, "totp_enabled": True, "backup_codes_left": 0}
    user.refresh_from_db()
    assert user.password == before and user.check_password("the original passphrase")
    # the same password: nothing to do, in a dry run as in a real one
    password_file.write_text("the original passphrase\n")
    result = ensure("--username", "alice", "--password-file", str(password_file), "--force", "--dry-run")[1]
    assert not result["changed"] and result["changes"] == []


def test_rewrap_after_a_key_rotation(make_user, settings):
    user = make_user()
    secret = totp_secret(user)
    old_kid = user.totp_secret.split(".")[2]
    rotated = keyring.rotate_keyring(settings.CRHQ_KEYRING)
    with override_settings(CRHQ_KEYRING=rotated):
        out = io.StringIO()
        call_command("rewrap_secrets", stdout=out)
        result = json.loads(out.getvalue())
        assert (result["changed"], result["checked"], result["rewrapped"]) == (True, 1, 1)
        assert result["key_ids_before"] == {old_kid: 1} and result["key_ids_after"] == {rotated["primary"]: 1}
        user.refresh_from_db()
        assert user.totp_secret.split(".")[2] == rotated["primary"] != old_kid
        assert totp_secret(user) == secret
        out = io.StringIO()
        call_command("rewrap_secrets", stdout=out)
        assert json.loads(out.getvalue())["changed"] is False
    # the old keyring no longer holds the key
    with pytest.raises(envelope.CredentialError, match="is not in the keyring"):
        envelope.decrypt(user.totp_secret, settings.CRHQ_KEYRING, "user:%d/totp_secret" % user.pk)

"""Key rotation through the app (issue 11): every credential, kept version and TOTP secret rewrapped in one
transaction, counted and checked; an interrupted rewrap changes nothing; retiring checks that a key is unused."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from crhq_app import crypto
from crhq_app.crypto import keyring
from crhq_app.vault import rewrap, store
from crhq_app.vault.models import Credential, CredentialVersion, value_context, version_context
from crhq_testing import totp_secret

ANSIBLE = {"actor_type": "ansible", "actor": "ansible"}


def rewrap_command(*args):
    out = io.StringIO()
    call_command("rewrap_secrets", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def filled(make_user):
    user = make_user()
    for number in range(30):
        credential = store.create("c%d" % number, "value-%d-%s" % (number, "x" * 20), "", "test", ANSIBLE)
        if number % 3 == 0:
            store.update(credential, "test", ANSIBLE, value="second-%d-%s" % (number, "y" * 20))
    return user


def all_values(user):
    values = {"totp": totp_secret(user)}
    for credential in Credential.objects.all():
        values[credential.name] = crypto.decrypt(credential.value, value_context(credential.pk))
    for version in CredentialVersion.objects.all():
        values["%s@%d" % (version.credential_id, version.version)] = crypto.decrypt(
            version.value, version_context(version.credential_id, version.version))
    return values


def test_rotation_rewraps_everything_and_loses_nothing(filled, settings):
    before = all_values(filled)
    old = settings.CRHQ_KEYRING["primary"]
    rotated = keyring.rotate_keyring(settings.CRHQ_KEYRING)
    with override_settings(CRHQ_KEYRING=rotated):
        planned = rewrap_command("--dry-run")
        assert planned["rewrapped"] == 1 + 30 + 40 and Credential.objects.first().value.split(".")[2] == old
        result = rewrap_command()
        assert result["checked"] == result["rewrapped"] == 71
        from crhq_app.vault.models import AuditEvent
        assert [e.detail["rewrapped"] for e in AuditEvent.objects.filter(action="keyring.rewrap")] == [71]
        assert result["counts"] == {"totp_secret": 1, "totp_pending": 0, "credential": 30, "credential_version": 40}
        assert result["key_ids_before"] == {old: 71} and result["key_ids_after"] == {rotated["primary"]: 71}
        assert all_values(filled) == before
        assert rewrap_command()["changed"] is False
        unused = rewrap_command("--unused", old)
        assert unused["used"] == {} and unused["key_ids"] == {rotated["primary"]: 71}
        with pytest.raises(CommandError, match="stored values still use %s \\(71\\)" % rotated["primary"]):
            rewrap_command("--unused", rotated["primary"])
        # the old key can go: everything still decrypts with the new key alone
        retired = dict(rotated, keys=[k for k in rotated["keys"] if k["id"] != old])
        with override_settings(CRHQ_KEYRING=retired):
            assert all_values(filled) == before


def test_an_interrupted_rewrap_changes_nothing(filled, settings, monkeypatch):
    stored = list(Credential.objects.order_by("pk").values_list("value", flat=True))
    rotated = keyring.rotate_keyring(settings.CRHQ_KEYRING)
    calls = {"n": 0}
    real = crypto.rewrap

    def fails_midway(value, context):
        calls["n"] += 1
        if calls["n"] == 20:
            raise crypto.CredentialError("the disk went away")
        return real(value, context)

    monkeypatch.setattr(crypto, "rewrap", fails_midway)
    with override_settings(CRHQ_KEYRING=rotated):
        with pytest.raises(CommandError, match="credential .*: the disk went away; nothing was changed"):
            rewrap_command()
    assert list(Credential.objects.order_by("pk").values_list("value", flat=True)) == stored
    assert all_values(filled)  # everything still decrypts with the keyring in use


def test_a_value_that_does_not_decrypt_stops_the_rewrap(filled, settings):
    victim = Credential.objects.first()
    Credential.objects.filter(pk=victim.pk).update(value=crypto.encrypt("moved", value_context(victim.pk + 1000)))
    rotated = keyring.rotate_keyring(settings.CRHQ_KEYRING)
    with override_settings(CRHQ_KEYRING=rotated):
        with pytest.raises(CommandError, match="credential %d: authentication failed" % victim.pk):
            rewrap_command()
    assert rewrap.key_ids() == {settings.CRHQ_KEYRING["primary"]: 71}


def test_verify_after_a_restore_names_the_missing_keyring(filled, settings):
    ok = rewrap_command("--verify")
    assert ok["ok"] and ok["checked"] == 71 and ok["missing_key_ids"] == {}
    used = settings.CRHQ_KEYRING["primary"]
    other = keyring.new_keyring()  # a fresh host's own keyring: not the one the data was encrypted with
    with override_settings(CRHQ_KEYRING=other):
        with pytest.raises(CommandError, match=r"71 stored values cannot be decrypted: they are under key id\(s\) %s, "
                                               r"which this server's keyring does not hold\. Put the keyring exported"
                           % used):
            rewrap_command("--verify")

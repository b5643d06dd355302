# -*- coding: utf-8 -*-
"""The crypto core defects an independent review found (issue 11): each test failed before its fix."""

from __future__ import annotations

import base64
import binascii

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils import envelope
from ansible_collections.crhq.platform.plugins.module_utils.auth import bcrypt_hash, bcrypt_verify, totp_code
from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
    CredentialError, check_backup_codes, check_token, new_backup_codes, new_keyring, new_token,
    validate_keyring)
from ansible_collections.crhq.platform.plugins.plugin_utils.filters import filter_function

RING = new_keyring()


# --- the keyring's version is the integer 1 -------------------------------------------------------------------

@pytest.mark.parametrize("version", [True, 1.0, "1", 2, None])
def test_keyring_version_must_be_the_integer_one(version):
    ring = dict(RING, version=version)
    with pytest.raises(CredentialError, match="unsupported keyring version"):
        validate_keyring(ring)
    # the fast path of the envelope (a parsed keyring given as a mapping) checks it as well
    with pytest.raises(CredentialError, match="unsupported keyring version"):
        envelope.encrypt("v", ring, "c")


# --- keys are canonical base64 without whitespace -------------------------------------------------------------

def test_keyring_keys_must_be_canonical_base64():
    raw = bytes(range(32))
    text = base64.b64encode(raw).decode()  # ...Hh8= : the last data character carries 2 unused bits
    assert text.endswith("8=")
    ring = {"format": "crhq-keyring", "version": 1, "primary": RING["primary"], "keys": []}
    for bad, message in [(text[:-2] + "9=", "not canonical"), (text + "\n", "not valid base64"),
                         (text[:20] + " " + text[20:], "not valid base64"), (text[:-1], "not valid base64")]:
        entry = {"id": "8bb412ab9d243c55", "key": bad}
        with pytest.raises(CredentialError, match=message):
            validate_keyring(dict(ring, primary=entry["id"], keys=[entry]))


# --- full matches: "$" matches before a trailing newline -------------------------------------------------------

def test_a_key_id_with_a_trailing_newline_is_refused():
    sealed = envelope.encrypt("v", RING, "c")
    kid, payload = sealed.split(".")[2:]
    with pytest.raises(CredentialError, match="key id must be 16 lowercase hex digits"):
        envelope.decrypt("crhq.v1.%s\n.%s" % (kid, payload), RING, "c")


def test_an_envelope_with_a_trailing_newline_names_the_problem():
    sealed = envelope.encrypt("value", RING, "c")
    for bad in (sealed + "\n", sealed + " ", sealed + "\r\n"):
        with pytest.raises(CredentialError, match=r"whitespace \(a trailing newline\?\)"):
            envelope.decrypt(bad, RING, "c")
    assert envelope.decrypt(sealed, RING, "c") == "value"


# --- errors that escaped the filters' wrapper -----------------------------------------------------------------

def test_a_lone_surrogate_in_a_context_or_value_is_a_credential_error():
    sealed = envelope.encrypt("value", RING, "c")
    with pytest.raises(CredentialError, match="lone surrogate"):
        envelope.decrypt(sealed, RING, "user:\udcff")
    with pytest.raises(CredentialError, match="lone surrogate"):
        envelope.encrypt("value", RING, "user:\udcff")
    with pytest.raises(CredentialError, match="lone surrogate"):
        envelope.encrypt("se\udcffcret", RING, "c")


@pytest.mark.parametrize("error", [binascii.Error("Incorrect padding"),
                                   UnicodeEncodeError("utf-8", "s\udcffcret", 1, 2, "surrogates not allowed")])
def test_the_filter_wrapper_turns_codec_errors_into_filter_errors_without_the_input(error):
    def broken(*args):
        raise error

    with pytest.raises(AnsibleFilterError) as caught:
        filter_function("some_filter", broken)("s\udcffcret")
    assert str(caught.value).startswith("some_filter: an argument is not")
    assert "cret" not in str(caught.value) and caught.value.__cause__ is None


# --- material is checked by type ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, prefix", [("token", ""), ("api_key", "crhq_ak_"), ("hub_key", "crhq_hk_"),
                                          ("totp", "")])
def test_generated_material_passes_its_check(kind, prefix):
    for nbytes in (16, 20, 32, 64):
        check_token(kind, new_token(kind, prefix=prefix, nbytes=nbytes), prefix)


@pytest.mark.parametrize("kind, value, prefix, message", [
    ("api_key", "crhq_ak_short", "crhq_ak_", "at least 22"),
    ("api_key", "crhq_ak_" + "-" * 43, "crhq_ak_", "base62"),
    ("api_key", "crhq_hk_" + "a" * 43, "crhq_ak_", "prefix 'crhq_ak_'"),
    ("hub_key", "crhq_hk_" + "a" * 42 + "\n", "crhq_hk_", "base62"),
    ("token", "x", "", "at least 22"),
    ("token", "a" * 42 + "=", "", "base64url"),
    ("token", "a+b/" * 11, "", "base64url"),
    ("totp", "AAAA", "", "at least 26"),
    ("totp", "a" * 32, "", "upper-case base32"),
    ("totp", "A" * 32 + "====", "", "upper-case base32"),
])
def test_material_of_the_wrong_alphabet_or_length_is_refused(kind, value, prefix, message):
    with pytest.raises(CredentialError, match=message):
        check_token(kind, value, prefix)


def test_backup_codes_are_checked():
    assert check_backup_codes(new_backup_codes()) == 10
    for bad in (["hello"], ["abcde-fghij", "ABCDE-FGHIJ"], ["abcde-fghi1"], ["", " "]):
        with pytest.raises(CredentialError):
            check_backup_codes(bad)


# --- bcrypt and TOTP --------------------------------------------------------------------------------------------

def test_bcrypt_verify_names_the_72_byte_limit():
    hashed = bcrypt_hash("x" * 72, rounds=4)
    assert bcrypt_verify("x" * 72, hashed)
    with pytest.raises(CredentialError, match="at most 72 bytes of a password; this one has 73"):
        bcrypt_verify("x" * 73, hashed)
    with pytest.raises(CredentialError, match="not a bcrypt hash"):
        bcrypt_verify("x", hashed + "\n")


@pytest.mark.parametrize("secret, bits", [("JBSWY3DPEHPK3PXP", 80), ("A" * 24, 120)])
def test_totp_secrets_under_128_bits_are_refused(secret, bits):
    with pytest.raises(CredentialError, match="at least 128 bits.*this one has %d" % bits):
        totp_code(secret, timestamp=59)
    assert len(totp_code("A" * 26, timestamp=59)) == 6  # 130 bits

# -*- coding: utf-8 -*-
"""The filter plugins: registration, round trips and clean AnsibleFilterError messages."""

from __future__ import annotations

import importlib

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.keyring import new_keyring, rotate_keyring

NAMES = ["encrypt_credential", "decrypt_credential", "rewrap_credential", "api_key_hash",
         "bcrypt_password", "totp_uri", "totp_code"]


def load(name):
    module = importlib.import_module("ansible_collections.crhq.platform.plugins.filter." + name)
    filters = module.FilterModule().filters()
    assert list(filters) == [name]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(module, block).strip()
    return filters[name]


F = {name: load(name) for name in NAMES}
RING = new_keyring()


def test_credential_round_trip_and_rotation():
    env = F["encrypt_credential"]("secret value", RING, context="c")
    assert F["decrypt_credential"](env, RING, context="c") == "secret value"
    new = rotate_keyring(RING)
    moved = F["rewrap_credential"](env, new, context="c")
    assert moved != env and moved.split(".")[2] == new["primary"]
    assert F["decrypt_credential"](moved, new, "c") == "secret value"


@pytest.mark.parametrize("name, args, kwargs, message", [
    ("decrypt_credential", ("crhq.v9.x.y", RING), {"context": "c"}, "decrypt_credential: unsupported envelope version"),
    ("decrypt_credential", ("", RING), {"context": "c"}, "decrypt_credential: the envelope is empty"),
    ("encrypt_credential", ("v", RING), {}, "encrypt_credential: "),
    ("encrypt_credential", ("v", "bad key"), {"context": "c"}, "encrypt_credential: key is not valid base64"),
    ("rewrap_credential", ("crhq.v1.0123456789abcdef.AAAA", RING), {"context": "c"}, "rewrap_credential: truncated"),
    ("bcrypt_password", ("x" * 80,), {}, "bcrypt_password: bcrypt uses at most 72 bytes"),
    ("totp_code", ("!!",), {}, "totp_code: the TOTP secret is not valid base32"),
    ("api_key_hash", ("",), {}, "api_key_hash: an API key must be a non-empty string"),
])
def test_bad_input_is_an_ansible_filter_error_naming_the_problem(name, args, kwargs, message):
    with pytest.raises(AnsibleFilterError) as info:
        F[name](*args, **kwargs)
    assert str(info.value).startswith(message)
    # no chained exception that a -vvv traceback could print with its arguments
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_wrong_key_does_not_leak_anything():
    env = F["encrypt_credential"]("plaintext-marker", RING, context="c")
    other = new_keyring()
    with pytest.raises(AnsibleFilterError) as info:
        F["decrypt_credential"](env, other, context="c")
    text = str(info.value)
    assert "not in the keyring" in text
    for secret in ("plaintext-marker", RING["keys"][0]["key"], other["keys"][0]["key"]):
        assert secret not in text

# -*- coding: utf-8 -*-
"""API key hashes, bcrypt and TOTP against published vectors and reference implementations."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, urlparse

import bcrypt
import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.crhq.platform.plugins.module_utils.auth import (
    api_key_hash, bcrypt_hash, bcrypt_verify, totp_code, totp_uri)
from ansible_collections.crhq.platform.plugins.module_utils.keyring import CredentialError, new_token

# RFC 6238 appendix B: seeds are ASCII, 20/32/64 bytes for SHA1/SHA256/SHA512, 8 digits.
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("when, sha1, sha256, sha512", RFC6238)
def test_rfc6238_vectors(when, sha1, sha256, sha512):
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        secret = base64.b32encode(SEEDS[algorithm]).decode()
        assert totp_code(secret, timestamp=when, digits=8, algorithm=algorithm) == expected


@settings(max_examples=100, deadline=None)
@given(when=st.integers(min_value=0, max_value=2 ** 33))
def test_totp_agrees_with_pyotp(when):
    secret = new_token("totp", nbytes=20)
    assert totp_code(secret, timestamp=when) == pyotp.TOTP(secret).at(when)


def test_totp_uri_is_read_back_by_pyotp():
    secret = new_token("totp", nbytes=20)
    uri = totp_uri(secret, "admin@customer.example", issuer="CRHQ Acme")
    parsed = pyotp.parse_uri(uri)
    assert parsed.secret == secret and parsed.issuer == "CRHQ Acme" and parsed.name == "admin@customer.example"
    query = parse_qs(urlparse(uri).query)
    assert query["algorithm"] == ["SHA1"] and query["digits"] == ["6"] and query["period"] == ["30"]
    assert urlparse(uri).path == "/CRHQ%20Acme:admin@customer.example"


@pytest.mark.parametrize("kwargs, message", [
    ({"secret": "not base32!"}, "not valid base32"),
    ({"secret": "AAAA"}, "at least 128 bits"),
    ({"secret": "JBSWY3DPEHPK3PXP"}, "at least 128 bits"),  # 80 bits: RFC 4226 asks for 128
    ({"secret": ""}, "non-empty base32"),
    ({"digits": 5}, "digits must be 6, 7 or 8"),
    ({"period": 0}, "period must be a positive"),
    ({"algorithm": "MD5"}, "algorithm must be one of"),
])
def test_totp_bad_input(kwargs, message):
    args = {"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}
    args.update(kwargs)
    with pytest.raises(CredentialError, match=re.escape(message)):
        totp_code(**args)


def test_totp_uri_bad_input():
    with pytest.raises(CredentialError, match="issuer"):
        totp_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "a", issuer="a:b")
    with pytest.raises(CredentialError, match="account"):
        totp_uri("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "")


def test_api_key_hash():
    assert api_key_hash("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    with pytest.raises(CredentialError, match="non-empty"):
        api_key_hash("")


def test_bcrypt_hash_verifies_with_the_reference_library():
    hashed = bcrypt_hash("correct horse", rounds=4)
    assert re.match(r"^\$2b\$04\$[./A-Za-z0-9]{53}$", hashed)
    assert bcrypt.checkpw(b"correct horse", hashed.encode())
    assert not bcrypt.checkpw(b"wrong horse", hashed.encode())
    assert bcrypt_verify("correct horse", hashed) and not bcrypt_verify("wrong", hashed)


def test_bcrypt_default_cost_is_12():
    assert bcrypt_hash("pw").startswith("$2b$12$")


def test_bcrypt_published_vector():
    # OpenBSD bcrypt test vector (also in the pyca/bcrypt test suite)
    salt = "$2a$05$CCCCCCCCCCCCCCCCCCCCC."
    assert bcrypt_hash("U*U", salt=salt) == "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"


@pytest.mark.parametrize("kwargs, message", [
    ({"password": ""}, "non-empty"),
    ({"password": "x" * 73}, "at most 72 bytes"),
    ({"password": "pw", "rounds": 3}, "rounds must be an integer from 4 to 31"),
    ({"password": "pw", "salt": "$2b$12$short"}, "a bcrypt salt must look like"),
])
def test_bcrypt_bad_input(kwargs, message):
    with pytest.raises(CredentialError, match=re.escape(message)):
        bcrypt_hash(**kwargs)


def test_bcrypt_verify_bad_hash():
    with pytest.raises(CredentialError, match="not a bcrypt hash"):
        bcrypt_verify("pw", "plain")

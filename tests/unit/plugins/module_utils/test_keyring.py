# -*- coding: utf-8 -*-
"""Keyring validation, key ids and the generated token formats."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
    BACKUP_CODE_ALPHABET, CredentialError, base62, dump_keyring, fingerprint, key_id, keyring_summary,
    new_backup_codes, new_keyring, new_token, parse_keyring, rotate_keyring, validate_keyring)


def test_key_id_is_the_documented_derivation():
    key = bytes(range(32))
    assert key_id(key) == hashlib.sha256(b"crhq key id v1\x00" + key).hexdigest()[:16] == "8bb412ab9d243c55"


def test_fingerprint_of_the_nist_sha256_example():
    # FIPS 180-2 example: SHA-256("abc")
    assert fingerprint("abc") == "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_new_keyring_is_valid_and_round_trips_through_its_file_format():
    ring = new_keyring()
    keys = validate_keyring(ring)
    assert list(keys) == [ring["primary"]]
    assert len(keys[ring["primary"]]) == 32
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", ring["keys"][0]["created"])
    assert parse_keyring(dump_keyring(ring)) == ring


def test_keys_are_distinct():
    assert len({new_keyring()["primary"] for _i in range(100)}) == 100


def test_rotation_appends_a_primary_and_keeps_the_rest():
    ring = new_keyring()
    rotated = rotate_keyring(rotate_keyring(ring))
    assert [k["id"] for k in rotated["keys"]][:1] == [ring["primary"]]
    assert len(rotated["keys"]) == 3 and rotated["primary"] == rotated["keys"][-1]["id"]
    assert ring["keys"] == [rotated["keys"][0]]  # the input is not modified


def test_summary_has_no_key_material():
    ring = rotate_keyring(new_keyring())
    summary = keyring_summary(ring)
    text = json.dumps(summary)
    for entry in ring["keys"]:
        assert entry["key"] not in text
        assert base64.b64decode(entry["key"]).hex() not in text
    assert summary["key_ids"] == [k["id"] for k in ring["keys"]]


def damaged(change):
    ring = new_keyring()
    ring = copy.deepcopy(ring)
    change(ring)
    return ring


@pytest.mark.parametrize("ring, message", [
    (damaged(lambda r: r.update(format="x")), "'format' must be"),
    (damaged(lambda r: r.update(version="1")), "unsupported keyring version '1'"),
    (damaged(lambda r: r.update(keys=[])), "non-empty list"),
    (damaged(lambda r: r.update(primary="0" * 16)), "primary '0000000000000000' is not one of its key ids"),
    (damaged(lambda r: r["keys"][0].update(id="ABC")), "malformed id"),
    (damaged(lambda r: r["keys"][0].update(key=base64.b64encode(b"\x00" * 32).decode())), "does not match its id"),
    (damaged(lambda r: r["keys"][0].update(key="%%%")), "not valid base64"),
    (damaged(lambda r: r["keys"].append(dict(r["keys"][0]))), "lists key"),
    (damaged(lambda r: r["keys"].append("x")), "key #1 must be a mapping"),
    ([], "must be a mapping"),
])
def test_damaged_keyrings_are_named(ring, message):
    with pytest.raises(CredentialError, match=re.escape(message)):
        validate_keyring(ring)


def test_parse_refuses_non_json():
    with pytest.raises(CredentialError, match="not valid JSON"):
        parse_keyring("key=value")


def test_base62_known_values():
    assert base62(b"", 3) == "000"
    assert base62(b"\x3d", 0) == "z"
    assert base62(b"\x3e", 0) == "10"
    assert base62(b"\xff" * 32, 0) == base62(b"\xff" * 32, 43) and len(base62(b"\xff" * 32, 0)) == 43


@pytest.mark.parametrize("kind, prefix, pattern", [
    ("api_key", "crhq_ak_", r"^crhq_ak_[0-9A-Za-z]{43}$"),
    ("hub_key", "crhq_hk_", r"^crhq_hk_[0-9A-Za-z]{43}$"),
    ("token", "", r"^[A-Za-z0-9_-]{43}$"),
    ("totp", None, r"^[A-Z2-7]{32}$"),
])
def test_token_formats(kind, prefix, pattern):
    nbytes = 20 if kind == "totp" else 32
    values = {new_token(kind, prefix=prefix, nbytes=nbytes) for _i in range(200)}
    assert len(values) == 200
    assert all(re.match(pattern, v) for v in values)


def test_tokens_refuse_little_entropy_and_unknown_kinds():
    with pytest.raises(CredentialError, match="at least 16 random bytes"):
        new_token("token", nbytes=8)
    with pytest.raises(CredentialError, match="unknown token kind"):
        new_token("nope")


def test_backup_codes():
    codes = new_backup_codes()
    assert len(codes) == len(set(codes)) == 10
    for code in codes:
        assert re.match(r"^[%s]{5}-[%s]{5}$" % (BACKUP_CODE_ALPHABET, BACKUP_CODE_ALPHABET), code)
    with pytest.raises(CredentialError):
        new_backup_codes(0)


def test_backup_code_characters_are_uniform():
    counts = {c: 0 for c in BACKUP_CODE_ALPHABET}
    for code in new_backup_codes(count=2000):
        for char in code.replace("-", ""):
            counts[char] += 1
    expected = 2000 * 10 / len(BACKUP_CODE_ALPHABET)
    # chi-square with 30 degrees of freedom; 70 is far beyond the 99.99th percentile (about 64)
    chi2 = sum((n - expected) ** 2 / expected for n in counts.values())
    assert chi2 < 70, counts


# RFC 7677 section 3: the SCRAM-SHA-256 exchange for user "user" with password "pencil".
RFC7677 = {
    "client_first_bare": "n=user,r=rOprNGfwEbeRWgbNEkqO",
    "server_first": "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    "client_final_without_proof": "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    "proof": "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    "server_signature": "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
}


def test_scram_verifier_against_the_rfc7677_exchange():
    import hmac
    from ansible_collections.crhq.platform.plugins.module_utils.keyring import scram_sha256_verifier
    verifier = scram_sha256_verifier("pencil", salt=base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ=="))
    match = re.match(r"^SCRAM-SHA-256\$4096:W22ZaJ0SNY7soEsUEjb6gQ==\$([^:]+):(.+)$", verifier)
    assert match, verifier
    stored_key, server_key = (base64.b64decode(part) for part in match.groups())
    auth = ",".join([RFC7677["client_first_bare"], RFC7677["server_first"], RFC7677["client_final_without_proof"]]).encode()
    # the server's signature in the RFC is made with ServerKey
    assert hmac.new(server_key, auth, hashlib.sha256).digest() == base64.b64decode(RFC7677["server_signature"])
    # the client's proof in the RFC verifies against StoredKey, as PostgreSQL checks it
    signature = hmac.new(stored_key, auth, hashlib.sha256).digest()
    client_key = bytes(a ^ b for a, b in zip(base64.b64decode(RFC7677["proof"]), signature))
    assert hashlib.sha256(client_key).digest() == stored_key


def test_scram_verifier_salt_is_random_and_the_verifier_is_recognised_again():
    from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
        scram_sha256_matches, scram_sha256_verifier)
    first, second = scram_sha256_verifier("a-token"), scram_sha256_verifier("a-token")
    # equal passwords never share a salt, and the salt says nothing about the password
    assert first.split("$")[1] != second.split("$")[1]
    assert len(base64.b64decode(first.split("$")[1].split(":")[1])) == 16
    assert scram_sha256_matches(first, "a-token") and scram_sha256_matches(second, "a-token")
    assert not scram_sha256_matches(first, "b-token")
    for damaged in ("", "SCRAM-SHA-256$4096:$x:y", first + "\n", first.replace("4096", "0"), first[:-4], None):
        assert not scram_sha256_matches(damaged, "a-token")
    with pytest.raises(CredentialError, match="non-empty"):
        scram_sha256_verifier("")

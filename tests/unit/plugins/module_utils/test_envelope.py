# -*- coding: utf-8 -*-
"""The AES-256-GCM credential envelope: published vectors, the documented example, tamper and bad input."""

from __future__ import annotations

import base64
import copy
import json
import os
import re

import cryptography_vectors
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.crhq.platform.plugins.module_utils import envelope
from ansible_collections.crhq.platform.plugins.module_utils.envelope import (
    CredentialError, decrypt, encrypt, parse, rewrap, seal, unseal)
from ansible_collections.crhq.platform.plugins.module_utils.keyring import (
    key_id, new_keyring, rotate_keyring)

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "docs", "crypto-format.md")


def load_cavp(name):
    """Vectors with a 96-bit IV and a 128-bit tag, the only profile the envelope uses."""
    text = cryptography_vectors.open_vector_file(os.path.join("ciphers", "AES", "GCM", name), "r").read()
    vectors, section, current = [], {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("[") and "=" in line:
            k, v = line[1:-1].split("=")
            section[k.strip()] = int(v)
        elif line.startswith("Count"):
            current = dict(section)
            vectors.append(current)
        elif line == "FAIL":
            current["FAIL"] = True
        elif "=" in line and current is not None:
            k, v = line.split("=", 1)
            current[k.strip()] = bytes.fromhex(v.strip())
    return [v for v in vectors if v["IVlen"] == 96 and v["Taglen"] == 128 and v["Keylen"] == 256]


def entry(raw):
    return key_id(raw), base64.b64encode(raw).decode()


ENCRYPT_VECTORS = load_cavp("gcmEncryptExtIV256.rsp")
DECRYPT_VECTORS = load_cavp("gcmDecrypt256.rsp")


def test_vector_files_are_not_empty():
    # a parser that found nothing would make the vector tests pass vacuously
    assert len(ENCRYPT_VECTORS) == 375
    assert len(DECRYPT_VECTORS) == 375
    assert sum(1 for v in DECRYPT_VECTORS if v.get("FAIL")) > 50


@pytest.mark.parametrize("vec", ENCRYPT_VECTORS, ids=lambda v: "PT%d-AAD%d-%s" % (v["PTlen"], v["AADlen"], v["Key"][:4].hex()))
def test_nist_cavp_encrypt(vec):
    kid, key_b64 = entry(vec["Key"])
    assert seal(kid, key_b64, vec["IV"], vec["PT"], vec["AAD"]) == vec["CT"] + vec["Tag"]


@pytest.mark.parametrize("vec", DECRYPT_VECTORS, ids=lambda v: "PT%d-AAD%d-%s" % (v["PTlen"], v["AADlen"], v["Key"][:4].hex()))
def test_nist_cavp_decrypt(vec):
    kid, key_b64 = entry(vec["Key"])
    if vec.get("FAIL"):
        with pytest.raises(CredentialError, match="authentication failed"):
            unseal(kid, key_b64, vec["IV"], vec["CT"] + vec["Tag"], vec["AAD"])
    else:
        assert unseal(kid, key_b64, vec["IV"], vec["CT"] + vec["Tag"], vec["AAD"]) == vec["PT"]


def doc_example():
    """The worked example in docs/crypto-format.md, read from the document itself."""
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    fields = dict(re.findall(r"^\| (key|nonce|context|plaintext|envelope) \| `([^`]*)` \|$", text, re.M))
    assert set(fields) == {"key", "nonce", "context", "plaintext", "envelope"}, fields
    return fields


def test_documented_example_matches_an_independent_implementation():
    ex = doc_example()
    raw = base64.b64decode(ex["key"])
    kid = key_id(raw)
    aad = b"crhq.v1." + kid.encode() + b"\x00" + ex["context"].encode()
    nonce = bytes.fromhex(ex["nonce"])
    payload = nonce + AESGCM(raw).encrypt(nonce, ex["plaintext"].encode(), aad)
    independent = "crhq.v1.%s.%s" % (kid, base64.urlsafe_b64encode(payload).decode().rstrip("="))
    assert independent == ex["envelope"]
    assert decrypt(ex["envelope"], ex["key"], ex["context"]) == ex["plaintext"]


def test_documented_example_is_what_encrypt_produces(monkeypatch):
    ex = doc_example()
    monkeypatch.setattr(envelope.os, "urandom", lambda n: bytes.fromhex(ex["nonce"]))
    assert encrypt(ex["plaintext"], ex["key"], ex["context"]) == ex["envelope"]


KEYRING = new_keyring()


@settings(max_examples=300, deadline=None)
@given(value=st.text(max_size=300), context=st.text(min_size=1, max_size=80))
def test_round_trip(value, context):
    sealed = encrypt(value, KEYRING, context)
    assert sealed.startswith("crhq.v1.%s." % KEYRING["primary"])
    assert decrypt(sealed, KEYRING, context) == value


def test_nonce_is_fresh_for_every_value():
    envelopes = {encrypt("same", KEYRING, "ctx") for _i in range(200)}
    nonces = {parse(e)[1] for e in envelopes}
    assert len(envelopes) == len(nonces) == 200


def test_keyring_forms_are_equivalent():
    text = json.dumps(KEYRING)
    raw_key = KEYRING["keys"][0]["key"]
    for form in (KEYRING, text, raw_key):
        assert decrypt(encrypt("v", form, "c"), KEYRING, "c") == "v"


SECRET = "sk-live-0123456789abcdef"


@pytest.fixture(name="sealed")
def fixture_sealed():
    return encrypt(SECRET, KEYRING, "user:42/openai_api_key")


def payload_of(sealed):
    return bytearray(base64.urlsafe_b64decode(sealed.split(".")[3] + "=="))


def with_payload(sealed, raw):
    head = sealed.rsplit(".", 1)[0]
    return head + "." + base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")


@pytest.mark.parametrize("delta", [0x01, 0x80, 0xFF])
def test_every_byte_of_nonce_ciphertext_and_tag_is_authenticated(sealed, delta):
    raw = payload_of(sealed)
    regions = {"nonce": range(0, 12), "ciphertext": range(12, len(raw) - 16), "tag": range(len(raw) - 16, len(raw))}
    assert all(regions.values())
    for name, positions in regions.items():
        for i in positions:
            tampered = bytearray(raw)
            tampered[i] ^= delta
            with pytest.raises(CredentialError, match="authentication failed"):
                decrypt(with_payload(sealed, tampered), KEYRING, "user:42/openai_api_key")


def test_every_character_of_the_text_envelope_is_checked(sealed):
    alphabet = "abcdef0123456789ABCXYZ_-."
    for i, char in enumerate(sealed):
        for repl in alphabet:
            if repl == char:
                continue
            changed = sealed[:i] + repl + sealed[i + 1:]
            with pytest.raises(CredentialError):
                decrypt(changed, KEYRING, "user:42/openai_api_key")


def test_every_change_of_the_key_id_is_rejected(sealed):
    kid = sealed.split(".")[2]
    for i in range(len(kid)):
        for repl in "0123456789abcdef":
            if repl != kid[i]:
                other = kid[:i] + repl + kid[i + 1:]
                with pytest.raises(CredentialError, match="not in the keyring"):
                    decrypt(sealed.replace(kid, other, 1), KEYRING, "user:42/openai_api_key")


def test_every_change_of_the_context_is_rejected(sealed):
    context = "user:42/openai_api_key"
    variants = {context[:i] + chr(ord(c) ^ 1) + context[i + 1:] for i, c in enumerate(context)}
    variants |= {context[:-1], context + " ", context.upper(), "user:43/openai_api_key"}
    for other in variants:
        with pytest.raises(CredentialError, match="authentication failed"):
            decrypt(sealed, KEYRING, other)


def test_a_value_cannot_be_swapped_into_another_field():
    a = encrypt("alice-secret", KEYRING, "user:1/token")
    with pytest.raises(CredentialError, match="wrong context"):
        decrypt(a, KEYRING, "user:2/token")


def test_wrong_key_with_the_same_id_is_rejected(sealed):
    forged = copy.deepcopy(KEYRING)
    forged["keys"][0]["key"] = base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(CredentialError, match="does not match its id"):
        decrypt(sealed, forged, "user:42/openai_api_key")


def test_wrong_keyring_names_the_unknown_key_id(sealed):
    other = new_keyring()
    with pytest.raises(CredentialError, match="key id %s is not in the keyring" % KEYRING["primary"]):
        decrypt(sealed, other, "user:42/openai_api_key")


@pytest.mark.parametrize("bad, message", [
    ("", "empty"),
    (None, "must be text"),
    (b"crhq.v1.x.y", "must be text"),
    ("gAAAAABhZ", "not a crhq credential envelope"),
    ("$ANSIBLE_VAULT;1.1;AES256", "not a crhq credential envelope"),
    ("crhq.v2.0123456789abcdef.AAAA", "unsupported envelope version 'v2'"),
    ("crhq.v1.0123456789abcdef", "expected 4 dot-separated fields, found 3"),
    ("crhq.v1.0123456789abcdef.AAAA.AAAA", "found 5"),
    ("crhq.v1.0123456789ABCDEF.AAAA", "key id must be 16 lowercase hex"),
    ("crhq.v1.0123456789abcdef.not*base64", "unpadded base64url"),
    ("crhq.v1.0123456789abcdef.AAAA====", "unpadded base64url"),
    ("crhq.v1.0123456789abcdef.AAAAA", "unpadded base64url"),
    ("crhq.v1.0123456789abcdef.AAB", "not canonical unpadded base64url"),
    ("crhq.v1.0123456789abcdef.AAAA", "truncated envelope: the payload has 3 bytes, at least 28"),
])
def test_malformed_input_names_the_problem(bad, message):
    with pytest.raises(CredentialError, match=re.escape(message)):
        decrypt(bad, KEYRING, "ctx")


def test_truncated_real_envelope(sealed):
    for cut in range(1, 20):
        with pytest.raises(CredentialError):
            decrypt(sealed[:-cut], KEYRING, "user:42/openai_api_key")


@pytest.mark.parametrize("context", ["", None, 7])
def test_context_is_required(context, sealed):
    with pytest.raises(CredentialError, match="context must be a non-empty string"):
        encrypt("v", KEYRING, context)
    with pytest.raises(CredentialError, match="context must be a non-empty string"):
        decrypt(sealed, KEYRING, context)


@pytest.mark.parametrize("keyring, message", [
    ("not base64!", "key is not valid base64"),
    (base64.b64encode(b"short").decode(), "must decode to 32 bytes, got 5"),
    ("{not json", "keyring is not valid JSON"),
    ({"format": "crhq-keyring", "version": 2, "primary": "x", "keys": []}, "unsupported keyring version 2"),
    ({"format": "other"}, "keyring 'format' must be 'crhq-keyring'"),
    (42, "got int"),
])
def test_bad_keyrings_name_the_problem(keyring, message):
    with pytest.raises(CredentialError, match=re.escape(message)):
        encrypt("v", keyring, "c")


def test_non_text_values_are_refused():
    with pytest.raises(CredentialError, match="only text can be encrypted, got bytes"):
        encrypt(b"raw", KEYRING, "c")


def test_non_utf8_plaintext_is_reported(monkeypatch):
    kid, key_b64 = KEYRING["primary"], KEYRING["keys"][0]["key"]
    nonce = os.urandom(12)
    aad = b"crhq.v1." + kid.encode() + b"\x00ctx"
    payload = nonce + seal(kid, key_b64, nonce, b"\xff\xfe", aad)
    sealed = "crhq.v1.%s.%s" % (kid, base64.urlsafe_b64encode(payload).decode().rstrip("="))
    with pytest.raises(CredentialError, match="not UTF-8"):
        decrypt(sealed, KEYRING, "ctx")


def test_rotation_keeps_every_value_and_rewrap_moves_to_the_new_key():
    old = new_keyring()
    values = {"ctx-%d" % i: "value-%d" % i for i in range(50)}
    stored = {c: encrypt(v, old, c) for c, v in values.items()}
    new = rotate_keyring(old)
    assert new["primary"] != old["primary"] and len(new["keys"]) == 2
    for c, env in stored.items():
        assert decrypt(env, new, c) == values[c]
        moved = rewrap(env, new, c)
        assert parse(moved)[0] == new["primary"]
        assert decrypt(moved, new, c) == values[c]
        assert rewrap(moved, new, c) == moved  # already under the primary: unchanged


def test_rewrap_refuses_what_does_not_authenticate(sealed):
    new = rotate_keyring(KEYRING)
    with pytest.raises(CredentialError, match="authentication failed"):
        rewrap(sealed, new, "another-context")


def test_errors_never_carry_key_material_or_plaintext(sealed):
    raw_key = KEYRING["keys"][0]["key"]
    secrets = [raw_key, base64.b64decode(raw_key).hex(), SECRET]
    failures = [
        lambda: decrypt(sealed, KEYRING, "wrong"),
        lambda: decrypt(sealed[:-3], KEYRING, "user:42/openai_api_key"),
        lambda: decrypt(sealed, raw_key[:-2] + "==", "x"),
        lambda: decrypt(sealed, new_keyring(), "user:42/openai_api_key"),
        lambda: encrypt(SECRET, {"format": "crhq-keyring", "version": 1, "primary": "nope",
                                 "keys": [{"id": "0" * 16, "key": raw_key}]}, "c"),
    ]
    for failure in failures:
        with pytest.raises(CredentialError) as info:
            failure()
        text = str(info.value) + repr(info.value)
        assert not any(s in text for s in secrets), text


# --- the fast parse on the read path agrees with the full parse -------------------------------------------------

FAST_SAMPLES = [encrypt(value, KEYRING, "c") for value in ("", "s", "sk", "sk-example")]  # every payload length mod 4
EDIT_CHARACTERS = "+/=-_ .\n\tAaFf09gG\u00e9\udcff"


def _full_parse_or_none(candidate):
    try:
        return envelope._parse_full(candidate)
    except CredentialError:
        return None


def test_the_fast_parse_agrees_with_the_full_parse_on_every_one_character_edit():
    for sample in FAST_SAMPLES:
        assert envelope._parse_full(sample) is not None
        assert envelope._parse_fast(sample) == envelope._parse_full(sample)
        for position in range(len(sample) + 1):
            for char in EDIT_CHARACTERS:
                for candidate in (sample[:position] + char + sample[position:],       # inserted
                                  sample[:position] + char + sample[position + 1:],   # replaced
                                  sample[:position] + sample[position + 1:]):         # removed
                    assert envelope._parse_fast(candidate) == _full_parse_or_none(candidate), repr(candidate)


@settings(max_examples=500, deadline=None)
@given(sample=st.sampled_from(FAST_SAMPLES), position=st.integers(min_value=0, max_value=80),
       text=st.text(alphabet=EDIT_CHARACTERS, min_size=2, max_size=4), cut=st.booleans())
def test_the_fast_parse_agrees_with_the_full_parse_on_longer_edits(sample, position, text, cut):
    candidate = sample[:position] + text + sample[position + (len(text) if cut else 0):]
    assert envelope._parse_fast(candidate) == _full_parse_or_none(candidate), repr(candidate)


# --- decrypt's fast path (parse cache, verified keys) decides exactly as the checked path ------------------------

def _outcome(func, *args):
    try:
        return "value", func(*args)
    except CredentialError as exc:
        return "error", str(exc)


def _keyring_variants():
    """Keyrings that differ from KEYRING in one member, each a case the fast path must not wave through."""
    other = new_keyring()
    good = copy.deepcopy(KEYRING)
    variants = [good, json.dumps(KEYRING), KEYRING["keys"][0]["key"], other, rotate_keyring(KEYRING)]
    for member, value in (("version", True), ("version", 1.0), ("version", "1"), ("version", 2), ("format", "x"),
                          ("keys", []), ("keys", None), ("keys", [None]), ("keys", [{"id": KEYRING["primary"]}]),
                          ("primary", None)):
        variant = copy.deepcopy(KEYRING)
        variant[member] = value
        variants.append(variant)
    swapped = copy.deepcopy(KEYRING)  # the id of this keyring's key with another key's material
    swapped["keys"][0]["key"] = other["keys"][0]["key"]
    variants.append(swapped)
    missing = copy.deepcopy(KEYRING)
    del missing["version"]
    variants.append(missing)
    return variants


@pytest.mark.parametrize("warm", [False, True], ids=["first read", "repeated read"])
def test_decrypt_agrees_with_the_checked_path_on_every_keyring_variant_and_context(warm):
    sealed = encrypt("value", KEYRING, "c")
    for keyring in _keyring_variants():
        for context in ("c", "d", "", None, b"c", "c\udcff", 7):
            for candidate in (sealed, sealed[:-1], sealed + "A", sealed.replace("crhq.v1", "crhq.v2")):
                envelope._parsed.clear()
                if warm:  # the parse is cached and the key verified before the call under test
                    decrypt(sealed, KEYRING, "c")
                    _outcome(decrypt, candidate, keyring, context)
                assert _outcome(decrypt, candidate, keyring, context) == \
                    _outcome(envelope._decrypt_checked, candidate, keyring, context), (keyring, context, candidate)


def test_the_parse_cache_holds_ciphertext_only_and_stays_bounded(monkeypatch):
    monkeypatch.setattr(envelope, "_PARSED_LIMIT", 8)
    envelope._parsed.clear()
    values = ["secret-value-%d" % number for number in range(20)]
    for value in values:
        assert decrypt(encrypt(value, KEYRING, "c"), KEYRING, "c") == value
        assert len(envelope._parsed) <= 8
    for parsed in envelope._parsed.values():
        assert not any(value.encode() in part for part in parsed[1:] for value in values)
        assert isinstance(parsed[0], str) and len(parsed[1]) == envelope.NONCE_BYTES


def test_a_cached_envelope_still_fails_under_a_keyring_mutated_in_place():
    keyring = copy.deepcopy(KEYRING)
    sealed = encrypt("value", keyring, "c")
    assert decrypt(sealed, keyring, "c") == "value"
    keyring["keys"][0]["key"] = new_keyring()["keys"][0]["key"]
    with pytest.raises(CredentialError, match="does not match its id"):
        decrypt(sealed, keyring, "c")
    keyring["keys"] = []
    with pytest.raises(CredentialError):
        decrypt(sealed, keyring, "c")

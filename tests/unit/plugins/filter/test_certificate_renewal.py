# -*- coding: utf-8 -*-
"""certificate_renewal: the certbot role's self-signed certificate is made again exactly when it no longer fits (it
decided this with a module call of its own on every run before; #12, the whole site's re-run)."""

from __future__ import annotations

import datetime
import re

import pytest
from ansible.errors import AnsibleFilterError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from ansible_collections.crhq.platform.plugins.filter.certificate_renewal import FilterModule

certificate_renewal = FilterModule().filters()["certificate_renewal"]

NOW = datetime.datetime.now(datetime.timezone.utc)
NAMES = ("crhq.example.com",)
KEYS = {}


def key(kind):
    if kind not in KEYS:
        KEYS[kind] = {"p384": lambda: ec.generate_private_key(ec.SECP384R1()),
                      "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
                      "rsa2048": lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)}[kind]()
    return KEYS[kind]


def pem(names=NAMES, days=90, kind="p384", issuer="crhq.example.com", san=True):
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0] if names else "none")])
    builder = (x509.CertificateBuilder().subject_name(subject)
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key(kind).public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW - datetime.timedelta(days=1)).not_valid_after(NOW + datetime.timedelta(days=days)))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(key(kind), hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def test_a_certificate_that_fits_is_kept():
    assert certificate_renewal(pem(), NAMES) == ""
    assert certificate_renewal(pem(kind="rsa2048"), NAMES, key_type="rsa", rsa_key_size=2048) == ""
    assert certificate_renewal(pem(kind="p256"), NAMES, elliptic_curve="secp256r1") == ""
    several = ["crhq.example.com", "www.crhq.example.com"]
    assert certificate_renewal(pem(names=several), list(reversed(several))) == ""


@pytest.mark.parametrize("text, kwargs, reason", [
    (None, {}, "there is no certificate"),
    ("", {}, "there is no certificate"),
    ("not a certificate", {}, "the file holds no certificate in PEM form"),
    ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", {}, "the file holds no certificate in PEM form"),
    (pem(days=10), {}, "it expires within 30 days"),
    (pem(days=10), {"renew_before_days": 5}, ""),
    (pem(days=40), {"renew_before_days": 60}, "it expires within 60 days"),
    (pem(issuer="Pebble Intermediate CA"), {}, "it is not self-signed"),
    (pem(names=["other.example.com"], issuer="other.example.com"), {}, "it names other.example.com, not crhq.example.com"),
    (pem(san=False), {}, "it names no DNS name, not crhq.example.com"),
    (pem(names=list(NAMES) + ["www.crhq.example.com"]), {}, "it names crhq.example.com, www.crhq.example.com, not crhq.example.com"),
    (pem(kind="p256"), {}, "its key is on the curve secp256r1, not secp384r1"),
    (pem(kind="rsa2048"), {}, "its key is not an ECDSA key"),
    (pem(), {"key_type": "rsa"}, "its key is not an RSA key"),
    (pem(kind="rsa2048"), {"key_type": "rsa", "rsa_key_size": 3072}, "its RSA key has 2048 bits, not 3072"),
])
def test_each_reason_for_a_new_certificate(text, kwargs, reason):
    assert certificate_renewal(text, NAMES, **kwargs) == reason


@pytest.mark.parametrize("kwargs, message", [
    ({"names": []}, "names must be a non-empty list"),
    ({"names": "crhq.example.com"}, "names must be a non-empty list"),
    ({"names": NAMES, "key_type": "dsa"}, "key_type must be one of ecdsa, rsa, not 'dsa'"),
    ({"names": NAMES, "renew_before_days": "soon"}, "invalid literal for int()"),
])
def test_bad_arguments_name_the_problem(kwargs, message):
    with pytest.raises(AnsibleFilterError, match="^certificate_renewal: " + re.escape(message)):
        certificate_renewal(pem(), **kwargs)

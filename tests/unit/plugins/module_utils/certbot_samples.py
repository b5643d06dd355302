# -*- coding: utf-8 -*-
"""Real certbot files and certificates made with the cryptography library, for the certbot_lineage and certbot_facts
tests. The renewal configurations were written by certbot 2.1's own storage.write_renewal_config (Debian 12), the
last one as certbot 0.31 wrote them (no key_type: an RSA lineage); regr.json as certbot 2.1 and 1.x write it."""

from __future__ import annotations

import datetime
import functools
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID

PEBBLE = "https://crhq-site-helper:14000/dir"
LE = "https://acme-v02.api.letsencrypt.org/directory"
LE_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
ACCOUNT = "4e2f2c5d1a8b9e0f7c6d5b4a39281706"

# the paths certbot writes at the top of every renewal file of the lineage crhq12.test
_LINEAGE_PATHS = """\
# renew_before_expiry = 30 days
version = {version}
archive_dir = /etc/letsencrypt/archive/crhq12.test
cert = /etc/letsencrypt/live/crhq12.test/cert.pem
privkey = /etc/letsencrypt/live/crhq12.test/privkey.pem
chain = /etc/letsencrypt/live/crhq12.test/chain.pem
fullchain = /etc/letsencrypt/live/crhq12.test/fullchain.pem

# Options used in the renewal process
[renewalparams]
"""

RENEWAL_ECDSA = _LINEAGE_PATHS.format(version="2.1.0") + """\
account = 4e2f2c5d1a8b9e0f7c6d5b4a39281706
server = https://crhq-site-helper:14000/dir
authenticator = webroot
webroot_path = /var/www/acme,
key_type = ecdsa
elliptic_curve = secp256r1
[[webroot_map]]
crhq12.test = /var/www/acme
www.crhq12.test = /var/www/acme
"""

RENEWAL_RSA_REUSE = _LINEAGE_PATHS.format(version="2.1.0") + """\
account = 0123456789abcdef0123456789abcdef
server = https://acme-v02.api.letsencrypt.org/directory
authenticator = webroot
webroot_path = /var/www/acme,
key_type = rsa
rsa_key_size = 3072
reuse_key = True
[[webroot_map]]
crhq12.test = /var/www/acme
"""

RENEWAL_CERTBOT_0_31 = _LINEAGE_PATHS.format(version="0.31.0") + """\
authenticator = webroot
account = 4e2f2c5d1a8b9e0f7c6d5b4a39281706
server = https://acme-v02.api.letsencrypt.org/directory
webroot_path = /var/www/acme,
[[webroot_map]]
crhq12.test = /var/www/acme
"""

REGR_CURRENT = '{"body": {}, "uri": "https://crhq-site-helper:14000/my-account/1"}'
REGR_WITH_CONTACT = ('{"body": {"contact": ["mailto:tls-admin@crhq.test"], "status": "valid"}, '
                     '"uri": "https://acme-v01.api.letsencrypt.org/acme/reg/123"}')
META = '{"creation_dt": "2026-01-02T03:04:05Z", "creation_host": "crhq12"}'


@functools.lru_cache(maxsize=None)
def private_key(kind="ecdsa", size_or_curve="secp256r1"):
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(size_or_curve))
    return ec.generate_private_key({"secp256r1": ec.SECP256R1(), "secp384r1": ec.SECP384R1()}[size_or_curve])


@functools.lru_cache(maxsize=None)
def certificate(names=("crhq12.test",), kind="ecdsa", size_or_curve="secp256r1", ocsp_url="", san=True, serial=4242):
    """PEM bytes of a leaf certificate for `names` signed by a throwaway issuer, then the issuer (a full chain)."""
    issuer_key = private_key("ecdsa", "secp384r1")
    issuer_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "crhq test issuer")])
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
               .issuer_name(issuer_name)
               .public_key(private_key(kind, size_or_curve).public_key())
               .serial_number(serial)
               .not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=90)))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(name) for name in names]),
                                        critical=False)
    if ocsp_url:
        builder = builder.add_extension(x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://issuer.example.net/ca.der")),
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(ocsp_url)),
        ]), critical=False)
    leaf = builder.sign(issuer_key, hashes.SHA256())
    issuer = (x509.CertificateBuilder().subject_name(issuer_name).issuer_name(issuer_name)
              .public_key(issuer_key.public_key()).serial_number(1).not_valid_before(now)
              .not_valid_after(now + datetime.timedelta(days=3650))
              .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
              .sign(issuer_key, hashes.SHA256()))
    return leaf.public_bytes(serialization.Encoding.PEM) + issuer.public_bytes(serialization.Encoding.PEM)


def lineage_tree(root, renewal=RENEWAL_ECDSA, cert=None, regr=REGR_CURRENT, record=None, name="crhq12.test"):
    """A certbot configuration directory under `root` (a pathlib path) with one lineage: its renewal file (paths
    moved under `root`), its live certificate (`cert` PEM bytes; none when None) and its account."""
    text = renewal.replace("/etc/letsencrypt", str(root))
    (root / "renewal").mkdir(parents=True, exist_ok=True)
    (root / "renewal" / (name + ".conf")).write_text(text)
    live = root / "live" / name
    live.mkdir(parents=True, exist_ok=True)
    if cert is not None:
        (live / "cert.pem").write_bytes(cert.split(b"-----END CERTIFICATE-----")[0] + b"-----END CERTIFICATE-----\n")
        (live / "fullchain.pem").write_bytes(cert)
    params = {}
    for line in text.splitlines():
        key, _sep, value = line.partition(" = ")
        params.setdefault(key.strip(), value.strip())
    if params.get("account") and regr is not None:
        server = params["server"].split("://", 1)[1]
        account = root / "accounts" / server.replace("/", os.sep) / params["account"]
        account.mkdir(parents=True, exist_ok=True)
        (account / "regr.json").write_text(regr)
        (account / "meta.json").write_text(META)
        if record is not None:
            (account / "crhq-email").write_text(record)
    return root

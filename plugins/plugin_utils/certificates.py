# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a self-signed certificate still fits what a role asks for, decided on the controller.

The role reads the certificate's PEM text with the other files it manages (one module call); this decides on the
controller, with the cryptography library ansible-core itself depends on, what a module call of its own decided.
"""

from __future__ import annotations

import datetime

KEY_TYPES = ("ecdsa", "rsa")


class CertificateError(Exception):
    """An argument the decision cannot use; the message names it."""


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None)
    if value is None:  # cryptography < 42: a naive datetime in UTC
        value = cert.not_valid_after.replace(tzinfo=datetime.timezone.utc)
    return value


def _cryptography():
    """cryptography's x509 and key modules, imported on the first decision rather than with this file.

    To find one filter of a collection, ansible-core loads the collection's filter files in name order, in the worker
    process of each task that uses it: an import of x509 at the top (about 20 ms) would slow down every task that
    uses any crhq.platform filter named after certificate_renewal, whether or not it decides about a certificate.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    return x509, ec, rsa


def _dns_names(x509, cert):
    try:
        extension = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return extension.value.get_values_for_type(x509.DNSName)


def _key_reason(ec, rsa, key, key_type, elliptic_curve, rsa_key_size):
    if key_type == "ecdsa":
        if not isinstance(key, ec.EllipticCurvePublicKey):
            return "its key is not an ECDSA key"
        if key.curve.name != elliptic_curve:
            return "its key is on the curve %s, not %s" % (key.curve.name, elliptic_curve)
    elif not isinstance(key, rsa.RSAPublicKey):
        return "its key is not an RSA key"
    elif key.key_size != int(rsa_key_size):
        return "its RSA key has %d bits, not %d" % (key.key_size, int(rsa_key_size))
    return ""


def renewal_reason(pem, names, key_type="ecdsa", elliptic_curve="secp384r1", rsa_key_size=3072, renew_before_days=30,
                   now=None):
    """Why a new self-signed certificate is needed, in a few words; "" when the one in `pem` still fits.

    It is needed when there is none (`pem` empty or None), when `pem` is not a certificate, when it expires within
    `renew_before_days`, when it is not self-signed, when its DNS names are not exactly `names`, or when its key is
    not of `key_type` (ECDSA on `elliptic_curve`, or RSA of `rsa_key_size` bits).
    """
    try:
        x509, ec, rsa = _cryptography()
    except ImportError:  # pragma: no cover - ansible-core itself depends on cryptography
        raise CertificateError("the Python library cryptography is not installed on the controller") from None
    if key_type not in KEY_TYPES:
        raise CertificateError("key_type must be one of %s, not %r" % (", ".join(KEY_TYPES), key_type))
    if isinstance(names, (str, bytes)) or not names:
        raise CertificateError("names must be a non-empty list of DNS names")
    if not pem:
        return "there is no certificate"
    if isinstance(pem, str):
        pem = pem.encode("utf-8", "replace")
    try:
        cert = x509.load_pem_x509_certificate(pem)
    except ValueError:
        return "the file holds no certificate in PEM form"
    now = now or datetime.datetime.now(datetime.timezone.utc)
    if _not_after(cert) <= now + datetime.timedelta(days=int(renew_before_days)):
        return "it expires within %d days" % int(renew_before_days)
    if cert.issuer != cert.subject:
        return "it is not self-signed"
    if sorted(_dns_names(x509, cert)) != sorted(str(name) for name in names):
        return "it names %s, not %s" % (", ".join(sorted(_dns_names(x509, cert))) or "no DNS name",
                                        ", ".join(sorted(str(name) for name in names)))
    return _key_reason(ec, rsa, cert.public_key(), key_type, elliptic_curve, rsa_key_size)

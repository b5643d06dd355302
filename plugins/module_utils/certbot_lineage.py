# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a certbot lineage holds (its renewal configuration, its live certificate, its ACME account) and how it
differs from the wanted directory, names, key and e-mail address. Used by crhq.platform.certbot_facts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import re

from urllib.parse import urlparse

try:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - the hosts have python3-cryptography (certbot needs it)
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = exc

# the role's own file among certbot's files of an account: the address the role last gave the account
EMAIL_RECORD = "crhq-email"
PEM_CERTIFICATE = re.compile(br"-----BEGIN CERTIFICATE-----\s.*?-----END CERTIFICATE-----", re.S)


class LineageError(Exception):
    """A file of the lineage exists but cannot be read as certbot writes it."""


# ---------------------------------------------------------------------------------------------------------------
# The renewal configuration (/etc/letsencrypt/renewal/<name>.conf, configobj syntax)
# ---------------------------------------------------------------------------------------------------------------

def _value(raw):
    """A configobj value: quoted, a comma-separated list (a trailing comma makes a one-item list), or plain."""
    raw = raw.strip()
    if raw[:1] in ("'", '"'):
        end = raw.find(raw[0], 1)
        if end < 0:
            raise LineageError("unterminated quote in %r" % raw[:80])
        return raw[1:end]
    if " #" in raw or "\t#" in raw:
        raw = re.split(r"\s#", raw, maxsplit=1)[0].rstrip()
    if "," in raw:
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


def parse_renewal_config(text):
    """The renewal configuration as nested dicts: top-level keys, then one dict per [section] and [[subsection]]."""
    root = {}
    stack = [root]
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        header = re.match(r"^(\[+)\s*([^\]]+?)\s*(\]+)$", stripped)
        if header:
            depth = len(header.group(1))
            if depth != len(header.group(3)) or depth > len(stack):
                raise LineageError("line %d: a section header certbot would not write: %r" % (number, stripped[:80]))
            del stack[depth:]
            section = stack[-1].setdefault(header.group(2), {})
            stack.append(section)
            continue
        key, separator, raw = stripped.partition("=")
        if not separator or not key.strip():
            raise LineageError("line %d: neither a section nor key = value: %r" % (number, stripped[:80]))
        stack[-1][key.strip()] = _value(raw)
    return root


def lineage_settings(parsed):
    """The settings of a parsed renewal configuration that decide a re-issue, with certbot's own defaults
    (lineages from before certbot 1.25 have no key_type: they are RSA)."""
    params = parsed.get("renewalparams", {})
    if not isinstance(params, dict):
        raise LineageError("renewalparams is not a section")
    size = params.get("rsa_key_size", "")
    return {
        "server": params.get("server", ""),
        "account": params.get("account", ""),
        "authenticator": params.get("authenticator", ""),
        "key_type": params.get("key_type", "rsa").lower(),
        "elliptic_curve": params.get("elliptic_curve", ""),
        "rsa_key_size": int(size) if str(size).isdigit() else None,
        "cert": parsed.get("cert", ""),
        "fullchain": parsed.get("fullchain", ""),
    }


# ---------------------------------------------------------------------------------------------------------------
# The ACME account and its e-mail address
# ---------------------------------------------------------------------------------------------------------------

def server_path(server):
    """certbot's directory for the accounts of an ACME server: host (and port) followed by the URL's path."""
    parsed = urlparse(server)
    return (parsed.netloc + parsed.path).replace("/", os.sep)


def account_dir(config_dir, server, account_id):
    return os.path.join(config_dir, "accounts", server_path(server), account_id)


def regr_email(text):
    """The first mailto: contact of an account's regr.json, or None. certbot wrote the contacts there until 1.x;
    current versions write an empty body, so the address is then only known from the role's own record."""
    try:
        regr = json.loads(text)
    except ValueError:
        raise LineageError("regr.json is not JSON") from None
    body = regr.get("body") if isinstance(regr, dict) else None
    contacts = body.get("contact") if isinstance(body, dict) else None
    for contact in contacts or []:
        if isinstance(contact, str) and contact.lower().startswith("mailto:"):
            return contact[len("mailto:"):]
    return None


def account_email(directory):
    """(address, source) of an account: the role's record, else regr.json's contact, else (None, "")."""
    try:
        with open(os.path.join(directory, EMAIL_RECORD), encoding="utf-8") as handle:
            recorded = handle.read().strip()
        if recorded:
            return recorded, EMAIL_RECORD
    except (IOError, OSError):
        pass
    try:
        with open(os.path.join(directory, "regr.json"), encoding="utf-8") as handle:
            found = regr_email(handle.read())
    except (IOError, OSError, LineageError):
        found = None
    return (found, "regr.json") if found else (None, "")


# ---------------------------------------------------------------------------------------------------------------
# The live certificate
# ---------------------------------------------------------------------------------------------------------------

def first_certificate(pem):
    """The first PEM certificate of a file's bytes (a full chain starts with the leaf)."""
    match = PEM_CERTIFICATE.search(pem)
    if not match:
        raise LineageError("no PEM certificate in the file")
    return match.group(0)


def _not_after(cert):
    value = getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def certificate_facts(pem):
    """Names, key, OCSP responder, serial and expiry of the first certificate in PEM bytes."""
    if not HAS_CRYPTOGRAPHY:
        raise LineageError("the Python cryptography library is not installed: %s" % CRYPTOGRAPHY_IMPORT_ERROR)
    try:
        cert = x509.load_pem_x509_certificate(first_certificate(pem))
    except ValueError as exc:
        raise LineageError("not a certificate: %s" % exc) from None
    try:
        san = cert.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = [attribute.value for attribute in cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)]
    ocsp_url = ""
    try:
        access = cert.extensions.get_extension_for_oid(ExtensionOID.AUTHORITY_INFORMATION_ACCESS).value
        for description in access:
            if description.access_method == AuthorityInformationAccessOID.OCSP:
                ocsp_url = description.access_location.value
                break
    except x509.ExtensionNotFound:
        pass
    key = cert.public_key()
    facts = {"names": [name.lower() for name in names], "key_type": type(key).__name__, "elliptic_curve": "",
             "rsa_key_size": None, "ocsp_url": ocsp_url, "serial": "%X" % cert.serial_number,
             "not_after": _not_after(cert)}
    if isinstance(key, ec.EllipticCurvePublicKey):
        facts.update(key_type="ecdsa", elliptic_curve=key.curve.name)
    elif isinstance(key, rsa.RSAPublicKey):
        facts.update(key_type="rsa", rsa_key_size=key.key_size)
    return facts


# ---------------------------------------------------------------------------------------------------------------
# What differs
# ---------------------------------------------------------------------------------------------------------------

def describe_key(key_type, elliptic_curve="", rsa_key_size=None):
    if key_type == "ecdsa":
        return "ECDSA %s" % (elliptic_curve or "(curve unknown)")
    if key_type == "rsa":
        return "RSA %s" % (rsa_key_size or "(size unknown)")
    return key_type


def key_differs(wanted, certificate):
    """Whether the certificate's key is not of the wanted type, curve or size."""
    if certificate["key_type"] != wanted["key_type"]:
        return True
    if wanted["key_type"] == "ecdsa":
        return certificate["elliptic_curve"] != wanted["elliptic_curve"]
    return certificate["rsa_key_size"] != int(wanted["rsa_key_size"])


def reissue_plan(wanted, settings, certificate, certificate_error=""):
    """Why an existing lineage must be issued again, as sentences, and how: {reasons, new_key, new_server}.

    `wanted` has server, names, key_type, elliptic_curve and rsa_key_size; `settings` is lineage_settings();
    `certificate` is certificate_facts() of the live certificate, or None when it could not be read."""
    reasons = []
    new_server = settings["server"] != wanted["server"]
    if new_server:
        reasons.append("ACME directory %s -> %s" % (settings["server"] or "(none recorded)", wanted["server"]))
    new_key = False
    if certificate is None:
        reasons.append("the live certificate cannot be read (%s)" % (certificate_error or "missing"))
        new_key = True
    else:
        if key_differs(wanted, certificate):
            new_key = True
            reasons.append("key %s -> %s" % (
                describe_key(certificate["key_type"], certificate["elliptic_curve"], certificate["rsa_key_size"]),
                describe_key(wanted["key_type"], wanted["elliptic_curve"], wanted["rsa_key_size"])))
        have, want = set(certificate["names"]), set(name.lower() for name in wanted["names"])
        if have != want:
            added, removed = sorted(want - have), sorted(have - want)
            reasons.append("names %s" % ", ".join(["+" + name for name in added] + ["-" + name for name in removed]))
    if not new_key and settings["key_type"] != wanted["key_type"]:
        # the certificate is right but certbot would renew it with another key type
        new_key = True
        reasons.append("renewal key type %s -> %s" % (settings["key_type"], wanted["key_type"]))
    return {"reasons": reasons, "new_key": new_key, "new_server": new_server}


def read_lineage(config_dir, cert_name, wanted, email=None):
    """Everything crhq.platform.certbot_facts returns, read from certbot's configuration directory."""
    renewal = os.path.join(config_dir, "renewal", cert_name + ".conf")
    result = {"exists": False, "renewal_config": renewal, "lineage": {}, "certificate": {}, "certificate_error": "",
              "ocsp_url": "", "reissue": {"reasons": [], "new_key": False, "new_server": False},
              "account": {"id": "", "dir": "", "email": "", "email_source": "", "email_record": "",
                          "update_email": False}}
    try:
        with open(renewal, encoding="utf-8") as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        if os.path.exists(renewal):
            raise LineageError("%s cannot be read: %s" % (renewal, exc)) from None
        return result
    try:
        settings = lineage_settings(parse_renewal_config(text))
    except LineageError as exc:
        raise LineageError("%s: %s" % (renewal, exc)) from None
    result["exists"] = True
    result["lineage"] = settings
    cert_path = settings["cert"] or os.path.join(config_dir, "live", cert_name, "cert.pem")
    certificate = None
    try:
        with open(cert_path, "rb") as handle:
            certificate = certificate_facts(handle.read())
    except (IOError, OSError) as exc:
        result["certificate_error"] = "%s: %s" % (cert_path, exc.strerror or exc)
    except LineageError as exc:
        result["certificate_error"] = "%s: %s" % (cert_path, exc)
    if certificate is not None:
        result["certificate"] = certificate
        result["ocsp_url"] = certificate["ocsp_url"]
    result["reissue"] = reissue_plan(wanted, settings, certificate, result["certificate_error"])
    if settings["account"] and settings["server"]:
        directory = account_dir(config_dir, settings["server"], settings["account"])
        found, source = account_email(directory)
        account = result["account"]
        account.update(id=settings["account"], dir=directory, email=found or "", email_source=source,
                       email_record=os.path.join(directory, EMAIL_RECORD))
        # a new directory means a new account, which the re-issue registers with the wanted address
        account["update_email"] = bool(email) and not result["reissue"]["new_server"] and found != email
    return result

# -*- coding: utf-8 -*-
"""Reading a certbot lineage and deciding a re-issue: real renewal files, real certificates."""

from __future__ import annotations

import os

import pytest

from ansible_collections.crhq.platform.plugins.module_utils import certbot_lineage as cl

from .certbot_samples import (ACCOUNT, LE, LE_STAGING, PEBBLE, REGR_CURRENT, REGR_WITH_CONTACT, RENEWAL_CERTBOT_0_31,
                              RENEWAL_ECDSA, RENEWAL_RSA_REUSE, certificate, lineage_tree)

NAMES = ["crhq12.test", "www.crhq12.test"]
WANTED = {"server": PEBBLE, "names": NAMES, "key_type": "ecdsa", "elliptic_curve": "secp256r1", "rsa_key_size": 3072}


def wanted(**changes):
    return dict(WANTED, **changes)


# --- the renewal configuration ---------------------------------------------------------------------------------

def test_certbot_2_renewal_file():
    parsed = cl.parse_renewal_config(RENEWAL_ECDSA)
    assert parsed["version"] == "2.1.0"
    assert parsed["renewalparams"]["webroot_path"] == ["/var/www/acme"]  # configobj's one-item list
    assert parsed["renewalparams"]["webroot_map"] == {"crhq12.test": "/var/www/acme",
                                                      "www.crhq12.test": "/var/www/acme"}
    assert cl.lineage_settings(parsed) == {
        "server": PEBBLE, "account": ACCOUNT, "authenticator": "webroot", "key_type": "ecdsa",
        "elliptic_curve": "secp256r1", "rsa_key_size": None, "cert": "/etc/letsencrypt/live/crhq12.test/cert.pem",
        "fullchain": "/etc/letsencrypt/live/crhq12.test/fullchain.pem"}


def test_rsa_renewal_file_with_key_reuse():
    settings = cl.lineage_settings(cl.parse_renewal_config(RENEWAL_RSA_REUSE))
    assert (settings["server"], settings["key_type"], settings["rsa_key_size"], settings["elliptic_curve"]) == (
        LE, "rsa", 3072, "")


def test_a_lineage_from_before_certbot_1_25_is_rsa():
    settings = cl.lineage_settings(cl.parse_renewal_config(RENEWAL_CERTBOT_0_31))
    assert settings["key_type"] == "rsa" and settings["rsa_key_size"] is None


def test_quotes_and_inline_comments():
    parsed = cl.parse_renewal_config('[renewalparams]\nserver = "https://acme.example.net/dir#x" \n'
                                     "key_type = ecdsa # chosen by the role\n")
    assert parsed["renewalparams"] == {"server": "https://acme.example.net/dir#x", "key_type": "ecdsa"}


@pytest.mark.parametrize("text", ["[renewalparams\nserver = x\n", "[[webroot_map]]\n", "just a line\n", "= value\n",
                                  "server = 'unterminated\n"])
def test_what_certbot_never_writes_is_refused(text):
    with pytest.raises(cl.LineageError):
        cl.parse_renewal_config(text)


# --- accounts -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("server, path", [
    (PEBBLE, os.path.join("crhq-site-helper:14000", "dir")),
    (LE, os.path.join("acme-v02.api.letsencrypt.org", "directory")),
])
def test_account_directory_is_certbots(server, path):
    expected = os.path.join("/etc/letsencrypt/accounts", path, ACCOUNT)
    assert cl.account_dir("/etc/letsencrypt", server, ACCOUNT) == expected


def test_regr_json_contact_of_certbot_1_and_none_of_certbot_2():
    assert cl.regr_email(REGR_WITH_CONTACT) == "tls-admin@crhq.test"
    assert cl.regr_email(REGR_CURRENT) is None
    assert cl.regr_email('{"body": {"contact": ["tel:+15555550100"]}}') is None
    with pytest.raises(cl.LineageError):
        cl.regr_email("{not json")


def test_the_roles_record_comes_before_regr_json(tmp_path):
    (tmp_path / "regr.json").write_text(REGR_WITH_CONTACT)
    assert cl.account_email(str(tmp_path)) == ("tls-admin@crhq.test", "regr.json")
    (tmp_path / "crhq-email").write_text("pki@crhq.test\n")
    assert cl.account_email(str(tmp_path)) == ("pki@crhq.test", "crhq-email")
    assert cl.account_email(str(tmp_path / "missing")) == (None, "")


# --- certificates -------------------------------------------------------------------------------------------------

def test_ecdsa_certificate_with_names_and_no_ocsp():
    facts = cl.certificate_facts(certificate(tuple(NAMES)))
    assert facts["names"] == NAMES
    assert (facts["key_type"], facts["elliptic_curve"], facts["rsa_key_size"]) == ("ecdsa", "secp256r1", None)
    assert facts["ocsp_url"] == ""
    assert facts["serial"] == "1092" and facts["not_after"] == "2026-04-01T00:00:00Z"


def test_rsa_certificate_with_an_ocsp_responder():
    facts = cl.certificate_facts(certificate(("crhq12.test",), "rsa", 2048, ocsp_url="http://r3.o.lencr.org"))
    assert (facts["key_type"], facts["rsa_key_size"], facts["elliptic_curve"]) == ("rsa", 2048, "")
    assert facts["ocsp_url"] == "http://r3.o.lencr.org"


def test_without_subject_alternative_names_the_common_name_counts():
    facts = cl.certificate_facts(certificate(("Crhq12.test",), san=False))
    assert facts["names"] == ["crhq12.test"]


def test_the_first_certificate_of_a_chain_is_read():
    chain = certificate(("crhq12.test",), "ecdsa", "secp384r1")
    assert cl.certificate_facts(b"junk before\n" + chain)["elliptic_curve"] == "secp384r1"


@pytest.mark.parametrize("pem", [b"", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"])
def test_not_a_certificate(pem):
    with pytest.raises(cl.LineageError):
        cl.certificate_facts(pem)


# --- the decision -------------------------------------------------------------------------------------------------

def settings(text=RENEWAL_ECDSA):
    return cl.lineage_settings(cl.parse_renewal_config(text))


def test_nothing_differs():
    facts = cl.certificate_facts(certificate(tuple(reversed(NAMES))))  # order does not matter
    assert cl.reissue_plan(WANTED, settings(), facts) == {"reasons": [], "new_key": False, "new_server": False}


def test_staging_to_production():
    plan = cl.reissue_plan(wanted(server=LE), settings(RENEWAL_ECDSA.replace(PEBBLE, LE_STAGING)),
                           cl.certificate_facts(certificate(tuple(NAMES))))
    assert plan == {"reasons": ["ACME directory %s -> %s" % (LE_STAGING, LE)], "new_key": False, "new_server": True}


@pytest.mark.parametrize("change, reason", [
    ({"key_type": "rsa"}, "key ECDSA secp256r1 -> RSA 3072"),
    ({"elliptic_curve": "secp384r1"}, "key ECDSA secp256r1 -> ECDSA secp384r1"),
])
def test_another_key_needs_a_new_key(change, reason):
    plan = cl.reissue_plan(wanted(**change), settings(), cl.certificate_facts(certificate(tuple(NAMES))))
    assert plan == {"reasons": [reason], "new_key": True, "new_server": False}


def test_another_rsa_size():
    facts = cl.certificate_facts(certificate(tuple(NAMES), "rsa", 2048))
    plan = cl.reissue_plan(wanted(key_type="rsa"), settings(RENEWAL_RSA_REUSE.replace(LE, PEBBLE)), facts)
    assert plan["reasons"] == ["key RSA 2048 -> RSA 3072"] and plan["new_key"]
    assert cl.reissue_plan(wanted(key_type="rsa", rsa_key_size=2048), settings(RENEWAL_RSA_REUSE.replace(LE, PEBBLE)),
                           facts)["reasons"] == []


def test_names_added_and_removed():
    facts = cl.certificate_facts(certificate(("crhq12.test", "old.crhq12.test")))
    plan = cl.reissue_plan(WANTED, settings(), facts)
    assert plan == {"reasons": ["names +www.crhq12.test, -old.crhq12.test"], "new_key": False, "new_server": False}


def test_every_reason_at_once():
    facts = cl.certificate_facts(certificate(("crhq12.test",), "rsa", 2048))
    plan = cl.reissue_plan(wanted(server=LE), settings(RENEWAL_RSA_REUSE.replace(LE, LE_STAGING)), facts)
    assert plan["reasons"] == ["ACME directory %s -> %s" % (LE_STAGING, LE), "key RSA 2048 -> ECDSA secp256r1",
                               "names +www.crhq12.test"]
    assert plan["new_key"] and plan["new_server"]


def test_a_certificate_that_cannot_be_read_is_issued_again():
    plan = cl.reissue_plan(WANTED, settings(), None, "cert.pem: No such file or directory")
    assert plan == {"reasons": ["the live certificate cannot be read (cert.pem: No such file or directory)"],
                    "new_key": True, "new_server": False}


def test_a_right_certificate_that_certbot_would_renew_with_another_key_type():
    facts = cl.certificate_facts(certificate(tuple(NAMES)))
    plan = cl.reissue_plan(WANTED, settings(RENEWAL_ECDSA.replace("key_type = ecdsa", "key_type = rsa")), facts)
    assert plan == {"reasons": ["renewal key type rsa -> ecdsa"], "new_key": True, "new_server": False}


# --- the whole read -----------------------------------------------------------------------------------------------

def test_no_lineage(tmp_path):
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED, "tls-admin@crhq.test")
    assert not result["exists"] and result["reissue"]["reasons"] == [] and not result["account"]["update_email"]
    assert result["renewal_config"] == str(tmp_path / "renewal" / "crhq12.test.conf")


def test_lineage_as_wanted_with_the_recorded_address(tmp_path):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)), record="tls-admin@crhq.test\n")
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED, "tls-admin@crhq.test")
    assert result["exists"] and result["reissue"]["reasons"] == [] and result["ocsp_url"] == ""
    account = result["account"]
    assert account["id"] == ACCOUNT and account["email"] == "tls-admin@crhq.test"
    assert account["email_source"] == "crhq-email" and not account["update_email"]
    assert account["email_record"] == os.path.join(account["dir"], "crhq-email")
    assert account["dir"] == str(tmp_path / "accounts" / "crhq-site-helper:14000" / "dir" / ACCOUNT)


def test_an_unknown_address_is_set_once(tmp_path):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)))
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED, "tls-admin@crhq.test")
    assert result["account"]["email"] == "" and result["account"]["update_email"]


def test_another_address_changes_the_account_not_the_certificate(tmp_path):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)), record="old@crhq.test\n")
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED, "tls-admin@crhq.test")
    assert result["reissue"]["reasons"] == [] and result["account"]["update_email"]


def test_a_new_directory_registers_a_new_account_instead(tmp_path):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)), record="old@crhq.test\n")
    result = cl.read_lineage(str(tmp_path), "crhq12.test", wanted(server=LE), "tls-admin@crhq.test")
    assert result["reissue"]["new_server"] and not result["account"]["update_email"]


def test_the_ocsp_responder_of_the_live_certificate(tmp_path):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES), ocsp_url="http://ocsp.example.net"))
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED)
    assert result["ocsp_url"] == "http://ocsp.example.net" == result["certificate"]["ocsp_url"]
    assert not result["account"]["update_email"]  # no address asked for


def test_a_missing_live_certificate_is_a_reason(tmp_path):
    lineage_tree(tmp_path, cert=None)
    result = cl.read_lineage(str(tmp_path), "crhq12.test", WANTED)
    assert result["certificate"] == {} and "No such file or directory" in result["certificate_error"]
    assert result["reissue"]["reasons"][0].startswith("the live certificate cannot be read (")


def test_a_broken_renewal_file_fails(tmp_path):
    lineage_tree(tmp_path, renewal="[renewalparams\n", regr=None)
    with pytest.raises(cl.LineageError, match="crhq12.test.conf"):
        cl.read_lineage(str(tmp_path), "crhq12.test", WANTED)

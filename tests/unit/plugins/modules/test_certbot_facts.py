# -*- coding: utf-8 -*-
"""crhq.platform.certbot_facts against certbot configuration directories as certbot 2.1 writes them."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.modules import certbot_facts

from ..module_utils.certbot_samples import ACCOUNT, LE, PEBBLE, RENEWAL_ECDSA, certificate, lineage_tree
from .module_runner import run_module

NAMES = ["crhq12.test", "www.crhq12.test"]


def run(capsys, root, **args):
    args.setdefault("cert_name", "crhq12.test")
    args.setdefault("names", NAMES)
    args.setdefault("server", PEBBLE)
    args.setdefault("email", "tls-admin@crhq.test")
    return run_module(certbot_facts.main, capsys, config_dir=str(root), **args)


def test_fresh_host(tmp_path, capsys):
    result = run(capsys, tmp_path)
    assert not result["changed"] and not result["exists"]
    assert result["reissue"] == {"reasons": [], "new_key": False, "new_server": False}
    assert result["lineage"] == {} and result["certificate"] == {} and result["ocsp_url"] == ""
    assert result["account"]["id"] == "" and not result["account"]["update_email"]


def test_lineage_as_wanted(tmp_path, capsys):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)), record="tls-admin@crhq.test\n")
    result = run(capsys, tmp_path)
    assert not result["changed"] and result["exists"]
    assert result["reissue"]["reasons"] == [] and not result["account"]["update_email"]
    assert result["lineage"]["account"] == ACCOUNT and result["lineage"]["cert"] == str(
        tmp_path / "live" / "crhq12.test" / "cert.pem")
    assert result["certificate"]["names"] == NAMES and result["certificate"]["key_type"] == "ecdsa"


def test_key_names_and_directory_changed(tmp_path, capsys):
    lineage_tree(tmp_path, cert=certificate(("crhq12.test",)), record="tls-admin@crhq.test\n")
    result = run(capsys, tmp_path, server=LE, key_type="rsa", rsa_key_size=2048)
    assert not result["changed"]
    reasons = ["ACME directory %s -> %s" % (PEBBLE, LE), "key ECDSA secp256r1 -> RSA 2048", "names +www.crhq12.test"]
    assert result["reissue"] == {"reasons": reasons, "new_key": True, "new_server": True}


def test_only_the_address_changed(tmp_path, capsys):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES)), record="tls-admin@crhq.test\n")
    result = run(capsys, tmp_path, email="pki@crhq.test")
    assert result["reissue"]["reasons"] == [] and result["account"]["update_email"]
    assert result["account"]["email"] == "tls-admin@crhq.test"


def test_check_mode_reads_the_same(tmp_path, capsys):
    lineage_tree(tmp_path, cert=certificate(tuple(NAMES), ocsp_url="http://ocsp.example.net"))
    result = run(capsys, tmp_path, _ansible_check_mode=True)
    assert not result["changed"] and result["ocsp_url"] == "http://ocsp.example.net"


@pytest.mark.parametrize("args, message", [({"names": []}, "at least"), ({"cert_name": "../x"}, "not a lineage name")])
def test_bad_arguments(tmp_path, capsys, args, message):
    result = run(capsys, tmp_path, **args)
    assert result["failed"] and message in result["msg"]


def test_a_renewal_file_certbot_never_wrote_fails_naming_it(tmp_path, capsys):
    lineage_tree(tmp_path, renewal=RENEWAL_ECDSA + "garbage line\n", cert=certificate(tuple(NAMES)))
    result = run(capsys, tmp_path)
    assert result["failed"] and "crhq12.test.conf" in result["msg"] and "garbage line" in result["msg"]

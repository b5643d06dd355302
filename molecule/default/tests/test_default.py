# -*- coding: utf-8 -*-
"""The default scenario, for local work: site.yml with a self-signed certificate (the demo's configuration).

CI runs the site scenario, which verifies every layer with an ACME certificate; this one covers what only
the self-signed mode does, and the whole-run checks (check mode, no secret at -vvv)."""

from __future__ import annotations

from crhq_testbed import assert_check_mode_clean, assert_no_secret, secret_values

testinfra_hosts = ["ansible://crhq"]

SECRET_FILES = ["/etc/crhq/keys/master.keyring", "/etc/crhq/keys/session.secret", "/etc/crhq/keys/hub.key",
                "/etc/crhq/keys/db.password", "/etc/crhq/backup/restic.password"]


def served_name(host):
    return host.ansible.get_variables().get("instance_hostname", host.backend.get_hostname())


def test_check_mode_on_converged_host_changes_nothing(host, converged_check_run):
    assert_check_mode_clean(converged_check_run, [host.backend.get_hostname()])


def test_no_secret_in_verbose_output(host, converged_check_run):
    assert_no_secret(converged_check_run.output, secret_values(host, SECRET_FILES), "the --check --diff -vvv run")


def test_nginx_serves_a_self_signed_certificate_valid_beyond_the_renewal_window(host):
    name = served_name(host)
    assert host.service("nginx").is_running and host.service("nginx").is_enabled
    cert = "/etc/nginx/tls/%s/fullchain.pem" % name
    assert host.run("openssl x509 -checkend %s -noout -in %s", str(30 * 86400), cert).rc == 0
    subject, issuer = host.check_output("openssl x509 -noout -subject -issuer -in %s", cert).splitlines()
    assert subject.split("=", 1)[1] == issuer.split("=", 1)[1]
    assert host.file("/etc/nginx/tls/%s/privkey.pem" % name).mode == 0o600
    assert not host.package("certbot").is_installed


def test_nginx_answers_with_headers_even_without_the_app(host):
    name = served_name(host)
    out = host.check_output("curl -sk -o /dev/null -D - --resolve %s:443:127.0.0.1 https://%s/", name, name)
    assert out.startswith("HTTP/2 502")
    for header in ("strict-transport-security", "x-frame-options: deny", "x-content-type-options: nosniff",
                   "content-security-policy", "referrer-policy", "permissions-policy"):
        assert header in out.lower()

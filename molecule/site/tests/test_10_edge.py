# -*- coding: utf-8 -*-
"""The TLS edge of a CRHQ host, judged from outside by a real ACME server and real TLS graders (the helper)."""

from __future__ import annotations

import json
import re
import time

import pytest
from crhq_testbed import addresses, converge, get_host, group_hosts, https, nmap, probe_listener

testinfra_hosts = ["ansible://crhq"]

HEADERS = {
    "strict-transport-security": r"^max-age=(\d+); includeSubDomains$",
    "x-frame-options": r"^DENY$",
    "x-content-type-options": r"^nosniff$",
    "referrer-policy": r"^strict-origin-when-cross-origin$",
    "permissions-policy": r"camera=\(\)",
    "content-security-policy": r"frame-ancestors 'none'",
}
# findings that come from Pebble's own certificates (5-year validity, no OCSP/CRL), not from nginx
PEBBLE_FINDINGS = {"cert_validityPeriod", "cert_expirationStatus", "cert_revocation", "cert_crlDistributionPoints",
                   "cert_ocspURL", "OCSP_stapling", "cert_chain_of_trust"}
APP_PORT = 8000  # a port an app could listen on; the real app has no TCP listener at all


def served_serial(helper, site):
    return helper.check_output(
        "echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem 2>/dev/null"
        " | openssl x509 -noout -serial", site, site)


def served_certificate(helper, site, name=None):
    """(serial, sorted DNS names, public key algorithm) of the certificate nginx serves for `name` (the site's own
    name by default)."""
    text = helper.check_output(
        "echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem 2>/dev/null"
        " | openssl x509 -noout -serial -text", site, name or site)
    return (re.search(r"^serial=(\w+)", text, re.M).group(1), sorted(re.findall(r"DNS:([^,\s]+)", text)),
            re.search(r"Public Key Algorithm: (\S+)", text).group(1))


@pytest.fixture(name="extra_names")
def fixture_extra_names(host):
    """The certificate's other names (certbot_extra_names of the inventory; Docker network aliases of the host)."""
    names = host.ansible.get_variables().get("certbot_extra_names", [])
    assert names, "molecule.yml gives %s no certbot_extra_names" % host.backend.get_hostname()
    return names


def test_certificate_comes_from_the_acme_server(host, helper, site):
    issuer = host.check_output("openssl x509 -noout -issuer -in /etc/letsencrypt/live/%s/cert.pem", site)
    assert "Pebble" in issuer
    for name in ("fullchain.pem", "privkey.pem"):
        path = "/etc/nginx/tls/%s/%s" % (site, name)
        assert host.file(path).is_symlink
        assert host.check_output("readlink %s", path) == "/etc/letsencrypt/live/%s/%s" % (site, name)
        assert re.match(r"^/etc/letsencrypt/archive/%s/%s\d+\.pem$" % (re.escape(site), name[:-4]), host.file(path).linked_to)
    verify = helper.run("echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem "
                        "-verify_return_error 2>&1", site, site)
    assert verify.rc == 0 and "Verify return code: 0 (ok)" in verify.stdout


def test_renewal_is_the_timer_only_and_runs_as_root(host):
    assert host.service("certbot.timer").is_enabled
    assert host.service("certbot.timer").is_running
    assert not host.file("/etc/cron.d/certbot").exists
    assert host.check_output("systemctl show -p User --value certbot.service") in ("", "root")


def test_renew_dry_run(host, acme_directory):
    result = host.run("certbot renew --dry-run --no-random-sleep-on-renew --server %s", acme_directory)
    assert result.rc == 0, result.stderr
    assert "simulated renewals succeeded" in result.stdout + result.stderr


@pytest.mark.parametrize("path, status", [("/healthz", 200), ("/", 302), ("/login/", 200), ("/static/none.css", 404)])
def test_security_headers_on_app_responses(helper, site, path, status):
    got, headers = https(helper, site, path)
    assert got == status
    for name, pattern in HEADERS.items():
        assert re.search(pattern, headers.get(name, "")), (name, headers)
    assert int(re.match(HEADERS["strict-transport-security"], headers["strict-transport-security"]).group(1)) >= 31536000
    assert "x-xss-protection" not in headers
    assert headers["server"] == "nginx"  # no version


def test_security_headers_on_502_when_the_app_is_down(host, helper, site):
    host.check_output("systemctl stop crhq-app.socket crhq-app.service")  # the socket alone would start it again
    try:
        got, headers = https(helper, site, "/")
    finally:
        host.check_output("systemctl start crhq-app.socket crhq-app.service")
    assert got == 502
    for name, pattern in HEADERS.items():
        assert re.search(pattern, headers.get(name, "")), (name, headers)


def test_port_80_redirects_and_serves_only_challenges(host, helper, site):
    out = helper.check_output("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' http://%s/some/page?x=1", site)
    assert out == "301 https://%s/some/page?x=1" % site
    host.check_output("echo token-content > /var/www/acme/.well-known/acme-challenge/crhq-test-token")
    try:
        body = helper.check_output("curl -s http://%s/.well-known/acme-challenge/crhq-test-token", site)
    finally:
        host.check_output("rm -f /var/www/acme/.well-known/acme-challenge/crhq-test-token")
    assert body == "token-content"


@pytest.mark.parametrize("family", [4, 6])
def test_unknown_host_names_are_refused(host, helper, site, family):
    address = addresses(host.backend.get_hostname())[0 if family == 4 else 1]
    target = address if family == 4 else "[%s]" % address
    # the same address answers the instance's own name: the refusals below are nginx's, not the network's
    known = helper.run("curl -g -s -o /dev/null -w '%%{http_code}' -H 'Host: %s' http://%s/", site, target)
    assert known.stdout == "301", known.stdout
    handshake = helper.run("echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem "
                           "-verify_return_error 2>&1", target, site)
    assert handshake.rc == 0, handshake.stdout
    plain = helper.run("curl -g -s -o /dev/null -w '%%{http_code}' -H 'Host: evil.test' http://%s/", target)
    assert plain.stdout in ("000", "")  # 444: connection closed without a response
    tls = helper.run("echo | openssl s_client -connect %s:443 -servername evil.test 2>&1", target)
    assert tls.rc != 0 and "unrecognized name" in tls.stdout, tls.stdout


@pytest.mark.parametrize("family", [4, 6])
def test_only_the_edge_is_reachable(host, helper, family):
    """A port an app might use, with a listener on every address of the host (0.0.0.0 and ::), is closed from outside;
    nginx's 80 and 443 are open, over IPv4 and IPv6."""
    address = addresses(host.backend.get_hostname())[0 if family == 4 else 1]
    assert address, "no IPv%d address on the test network" % family
    with probe_listener(host, APP_PORT):
        ports = nmap(helper, address, [80, 443, APP_PORT, 5432], syn=False)
    assert ports["80"] == "open" and ports["443"] == "open", ports
    assert ports[str(APP_PORT)] != "open" and ports["5432"] != "open", ports


@pytest.fixture(scope="module", name="testssl_reports")
def fixture_testssl_reports(helper):
    """testssl.sh's findings for every host's site, the scans run side by side (each waits on the network more than
    it computes). Everything but the client simulations, which only say which old clients could connect: protocols,
    cipher categories, forward secrecy, server preferences, the certificate, HTTP headers and every vulnerability."""
    sites = [get_host(name).ansible.get_variables()["instance_hostname"] for name in group_hosts("crhq")]
    out = {site: "/tmp/testssl-%s.json" % site for site in sites}
    helper.run("rm -f %s", " ".join(out.values()))
    helper.run(" ".join("testssl --quiet --color 0 --warnings off --add-ca /tmp/pebble-root.pem -p -s -f -P -S -h -U "
                        "-oj %s https://%s/ >/dev/null 2>&1 &" % (out[site], site) for site in sites) + " wait")
    return {site: json.loads(helper.check_output("cat %s", path)) for site, path in out.items()}


def test_testssl_grade(site, testssl_reports):
    findings = testssl_reports[site]
    by_id = {f["id"]: f for f in findings}
    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert by_id[proto]["finding"].startswith("not offered"), by_id[proto]
    assert by_id["TLS1_2"]["finding"].startswith("offered") and by_id["TLS1_3"]["finding"].startswith("offered")
    bad = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in PEBBLE_FINDINGS]
    assert not bad, bad
    assert by_id["HSTS_time"]["severity"] == "OK" and by_id["HSTS_subdomains"]["severity"] == "OK"
    print("testssl on %s: %d findings, none HIGH or CRITICAL besides Pebble's certificate" % (site, len(findings)))


def test_forced_renewal_runs_the_deploy_hook_and_nginx_serves_the_new_certificate(host, helper, site, acme_directory):
    before = served_serial(helper, site)
    result = host.run("certbot renew --force-renewal --no-random-sleep-on-renew --server %s", acme_directory)
    assert result.rc == 0, result.stderr
    assert "Hook 'deploy-hook' ran with error output" not in result.stderr
    # a reload is a signal: nginx's workers pick the new certificate up a moment later
    for _attempt in range(20):
        if served_serial(helper, site) != before:
            break
        time.sleep(0.5)
    assert served_serial(helper, site) != before
    assert "reloaded nginx for renewed certificate(s): %s" % site in host.check_output("journalctl -t crhq-certbot --no-pager")


def test_extra_names_share_the_certificate_and_lead_to_the_site(host, helper, site, extra_names):
    """certbot_extra_names are on the certificate Pebble issued (HTTP-01 reached this host for each); nginx serves them
    over TLS with the security headers and sends them to the site, the only name the app answers to."""
    _serial, names, _algorithm = served_certificate(helper, site)
    assert names == sorted([site] + extra_names)
    assert host.check_output("ls /etc/letsencrypt/renewal") == "%s.conf" % site  # one lineage, not one per name
    host.check_output("echo token-content > /var/www/acme/.well-known/acme-challenge/crhq-test-token")
    try:
        for name in extra_names:
            assert served_certificate(helper, site, name)[1] == names
            verify = helper.run("echo | openssl s_client -connect %s:443 -servername %s -verify_hostname %s "
                                "-CAfile /tmp/pebble-root.pem -verify_return_error 2>&1", name, name, name)
            assert verify.rc == 0 and "Verify return code: 0 (ok)" in verify.stdout, verify.stdout
            status, headers = https(helper, name, "/some/page?x=1")
            assert status == 301 and headers["location"] == "https://%s/some/page?x=1" % site, headers
            assert re.search(HEADERS["strict-transport-security"], headers.get("strict-transport-security", ""))
            out = helper.check_output("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' http://%s/x?y=1", name)
            assert out == "301 https://%s/x?y=1" % site
            body = helper.check_output("curl -s http://%s/.well-known/acme-challenge/crhq-test-token", name)
            assert body == "token-content"
    finally:
        host.check_output("rm -f /var/www/acme/.well-known/acme-challenge/crhq-test-token")


def test_no_ocsp_stapling_for_a_certificate_without_a_responder(host, site):
    """Pebble's certificates name no OCSP responder (ocspResponderURL ""), like Let's Encrypt's since 2025: nginx
    must not staple, so that it never warns "ssl_stapling ignored, no OCSP responder URL in the certificate"."""
    assert host.check_output("openssl x509 -noout -ocsp_uri -in /etc/letsencrypt/live/%s/cert.pem", site) == ""
    settings = host.file("/etc/nginx/tls/%s/ocsp-stapling.conf" % site)
    assert settings.exists and not re.search(r"^\s*ssl_stapling\b", settings.content_string, re.M)
    dump = host.check_output("nginx -T 2>/dev/null")
    assert "# configuration file /etc/nginx/tls/%s/ocsp-stapling.conf:" % site in dump  # nginx reads the file
    assert not re.search(r"^\s*ssl_stapling\s+on", dump, re.M)
    test = host.run("nginx -t")
    assert test.rc == 0 and "stapling" not in test.stderr.lower(), test.stderr


def converge_certbot(*extra):
    """The converge playbook's certbot role alone, on every CRHQ host at once; the PlaybookRun."""
    args = ["--tags", "certbot"]
    for value in extra:
        args += ["-e", value]
    return converge(*args)


def wait_for_new_certificate(helper, site, serial):
    """What nginx serves once its workers have picked up a certificate other than `serial`."""
    for _attempt in range(20):
        served = served_certificate(helper, site)
        if served[0] != serial:
            return served
        time.sleep(0.5)
    return served_certificate(helper, site)


# a changed re-issue task: its item is the reason
REISSUED = re.compile(r"^changed: .*\(item=(ACME directory|key|names|renewal key type|the live certificate)", re.M)


def account_email(host):
    """The address the certbot role recorded for the lineage's ACME account."""
    return host.check_output("cat /etc/letsencrypt/accounts/*/*/*/crhq-email")


def test_another_email_updates_the_account_and_another_key_type_reissues_once(crhq_names, helper):
    """certbot_email belongs to the ACME account: changing it updates the account and keeps the certificate.
    certbot_key_type=rsa issues the certificate again at once, in the same lineage with the same names; the run after
    that changes nothing; going back issues an ECDSA certificate again, and the run after that changes nothing."""
    hosts = {name: get_host(name) for name in crhq_names}
    sites = {name: h.ansible.get_variables()["instance_hostname"] for name, h in hosts.items()}
    email = hosts[crhq_names[0]].ansible.get_variables()["certbot_email"]
    first = {name: served_certificate(helper, site) for name, site in sites.items()}
    assert all(served[2] == "id-ecPublicKey" for served in first.values()), first
    assert all(account_email(h) == email for h in hosts.values())
    try:
        changed_email = converge_certbot("certbot_email=pki@crhq.test")
        assert "(item=%s -> pki@crhq.test)" % email in changed_email.stdout
        assert not REISSUED.search(changed_email.stdout), changed_email.stdout[-3000:]
        for name, h in hosts.items():
            assert account_email(h) == "pki@crhq.test"
            assert served_certificate(helper, sites[name])[0] == first[name][0]  # the same certificate

        rsa = converge_certbot("certbot_email=pki@crhq.test", "certbot_key_type=rsa")
        assert "(item=key ECDSA secp256r1 -> RSA 3072)" in rsa.stdout
        assert not re.search(r"^changed: .*-> pki@crhq\.test\)$", rsa.stdout, re.M)  # the account is as it was
        for name, h in hosts.items():
            served = wait_for_new_certificate(helper, sites[name], first[name][0])
            assert served[0] != first[name][0] and served[2] == "rsaEncryption" and served[1] == first[name][1], served
            assert h.check_output("ls /etc/letsencrypt/renewal") == "%s.conf" % sites[name]
            assert "key_type = rsa" in h.check_output("cat /etc/letsencrypt/renewal/%s.conf", sites[name])
        rsa_serials = {name: served_certificate(helper, site)[0] for name, site in sites.items()}

        again = converge_certbot("certbot_email=pki@crhq.test", "certbot_key_type=rsa")
        assert all(again.recap[name]["changed"] == 0 for name in crhq_names), again.recap
        assert {name: served_certificate(helper, site)[0] for name, site in sites.items()} == rsa_serials
    finally:
        back = converge_certbot()
    assert "(item=key RSA 3072 -> ECDSA secp256r1)" in back.stdout
    assert "(item=pki@crhq.test -> %s)" % email in back.stdout
    for name, h in hosts.items():
        served = wait_for_new_certificate(helper, sites[name], rsa_serials[name])
        assert served[2] == "id-ecPublicKey" and served[1] == first[name][1], served
        assert account_email(h) == email
    settled = converge_certbot()
    assert all(settled.recap[name]["changed"] == 0 for name in crhq_names), settled.recap


def served_issuer_and_subject(helper, site):
    text = helper.check_output(
        "echo | openssl s_client -connect %s:443 -servername %s 2>/dev/null | openssl x509 -noout -issuer -subject",
        site, site)
    return re.search(r"^issuer=(.*)$", text, re.M).group(1).strip(), re.search(r"^subject=(.*)$", text, re.M).group(1).strip()


def test_self_signed_mode_replaces_the_acme_certificate_and_back(crhq_names, helper):
    """certbot_mode=self_signed (the demo's mode) makes its certificate with the nginx role's one self-signed task file
    and reloads nginx through the nginx role's checked handler: nginx serves it at once, with every name, and the run
    after changes nothing. Back in ACME mode, the ACME server's certificate is served again."""
    hosts = {name: get_host(name) for name in crhq_names}
    sites = {name: h.ansible.get_variables()["instance_hostname"] for name, h in hosts.items()}
    first = {name: served_certificate(helper, site) for name, site in sites.items()}
    assert all(len(set(served_issuer_and_subject(helper, site))) == 2 for site in sites.values())  # not self-signed
    own = {}
    try:
        run = converge_certbot("certbot_mode=self_signed")
        assert "RUNNING HANDLER [crhq.platform.nginx : Reload nginx]" in run.stdout, run.stdout[-3000:]
        for name, site in sites.items():
            served = wait_for_new_certificate(helper, site, first[name][0])
            assert served[1] == first[name][1] and served[2] == "id-ecPublicKey", served
            issuer, subject = served_issuer_and_subject(helper, site)
            assert issuer == subject and site in subject, (issuer, subject)
            own[name] = served[0]
        again = converge_certbot("certbot_mode=self_signed")
        assert all(again.recap[name]["changed"] == 0 for name in crhq_names), again.recap
    finally:
        converge_certbot()
    for name, site in sites.items():
        served = wait_for_new_certificate(helper, site, own.get(name))
        issuer, subject = served_issuer_and_subject(helper, site)
        assert issuer != subject and served[1] == first[name][1], (issuer, subject)
    settled = converge_certbot()
    assert all(settled.recap[name]["changed"] == 0 for name in crhq_names), settled.recap

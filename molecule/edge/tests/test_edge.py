# -*- coding: utf-8 -*-
"""The TLS edge of a CRHQ host, judged from outside by a real ACME server and real TLS graders."""

from __future__ import annotations

import json
import re
import time

import pytest
from conftest import DIRECTORY

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


def curl(grader, site, path, extra=""):
    out = grader.check_output(
        "curl -s -o /dev/null -D - --max-time 10 --cacert /tmp/pebble-root.pem %s https://%s%s", extra, site, path)
    status = int(out.splitlines()[0].split()[1])
    headers = {}
    for line in out.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return status, headers


def served_serial(grader, site):
    return grader.check_output(
        "echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem 2>/dev/null"
        " | openssl x509 -noout -serial", site, site)


def test_certificate_comes_from_the_acme_server(host, grader, site):
    issuer = host.check_output("openssl x509 -noout -issuer -in /etc/letsencrypt/live/%s/cert.pem", site)
    assert "Pebble" in issuer
    for name in ("fullchain.pem", "privkey.pem"):
        path = "/etc/nginx/tls/%s/%s" % (site, name)
        assert host.file(path).is_symlink
        assert host.check_output("readlink %s", path) == "/etc/letsencrypt/live/%s/%s" % (site, name)
        assert re.match(r"^/etc/letsencrypt/archive/%s/%s\d+\.pem$" % (re.escape(site), name[:-4]), host.file(path).linked_to)
    verify = grader.run("echo | openssl s_client -connect %s:443 -servername %s -CAfile /tmp/pebble-root.pem "
                        "-verify_return_error 2>&1", site, site)
    assert verify.rc == 0 and "Verify return code: 0 (ok)" in verify.stdout


def test_renewal_is_the_timer_only_and_runs_as_root(host):
    assert host.service("certbot.timer").is_enabled
    assert host.service("certbot.timer").is_running
    assert not host.file("/etc/cron.d/certbot").exists
    assert host.check_output("systemctl show -p User --value certbot.service") in ("", "root")


def test_renew_dry_run(host):
    result = host.run("certbot renew --dry-run --no-random-sleep-on-renew --server %s", DIRECTORY)
    assert result.rc == 0, result.stderr
    assert "simulated renewals succeeded" in result.stdout + result.stderr


@pytest.mark.parametrize("path, status", [("/", 200), ("/no-such-page", 404), ("/login", 404)])
def test_security_headers_on_app_responses(grader, site, path, status):
    got, headers = curl(grader, site, path)
    assert got == status
    for name, pattern in HEADERS.items():
        assert re.search(pattern, headers.get(name, "")), (name, headers)
    assert int(re.match(HEADERS["strict-transport-security"], headers["strict-transport-security"]).group(1)) >= 31536000
    assert "x-xss-protection" not in headers
    assert headers["server"] == "nginx"  # no version


def test_security_headers_on_502_when_the_app_is_down(host, grader, site):
    host.check_output("systemctl stop crhq-test-app")
    try:
        got, headers = curl(grader, site, "/")
    finally:
        host.check_output("systemctl start crhq-test-app")
    assert got == 502
    for name, pattern in HEADERS.items():
        assert re.search(pattern, headers.get(name, "")), (name, headers)


def test_port_80_redirects_and_serves_only_challenges(host, grader, site):
    out = grader.check_output("curl -s -o /dev/null -w '%%{http_code} %%{redirect_url}' http://%s/some/page?x=1", site)
    assert out == "301 https://%s/some/page?x=1" % site
    host.check_output("echo token-content > /var/www/acme/.well-known/acme-challenge/crhq-test-token")
    try:
        body = grader.check_output("curl -s http://%s/.well-known/acme-challenge/crhq-test-token", site)
    finally:
        host.check_output("rm -f /var/www/acme/.well-known/acme-challenge/crhq-test-token")
    assert body == "token-content"


def test_unknown_host_names_are_refused(grader, site):
    address = grader.check_output("getent hosts %s | cut -d' ' -f1", site)
    plain = grader.run("curl -s -o /dev/null -w '%%{http_code}' -H 'Host: evil.test' http://%s/", address)
    assert plain.stdout in ("000", "")  # 444: connection closed without a response
    tls = grader.run("echo | openssl s_client -connect %s:443 -servername evil.test 2>&1", address)
    assert tls.rc != 0 and "unrecognized name" in tls.stdout


def test_only_the_edge_is_reachable(host, grader, site):
    assert host.socket("tcp://127.0.0.1:8000").is_listening
    scan = grader.check_output("nmap -Pn -sT -p 22,80,443,5432,8000 --max-retries 1 -oG - %s", site)
    ports = dict(re.findall(r"(\d+)/(\w+)/tcp", scan))
    assert ports["80"] == "open" and ports["443"] == "open"
    assert ports["8000"] != "open" and ports["5432"] != "open"


def test_testssl_grade(grader, site):
    out = "/tmp/testssl-%s.json" % site
    grader.run("rm -f %s", out)
    grader.run("testssl --quiet --color 0 --warnings off --add-ca /tmp/pebble-root.pem -oj %s https://%s/", out, site)
    findings = json.loads(grader.check_output("cat %s", out))
    by_id = {f["id"]: f for f in findings}
    for proto in ("SSLv2", "SSLv3", "TLS1", "TLS1_1"):
        assert by_id[proto]["finding"].startswith("not offered"), by_id[proto]
    assert by_id["TLS1_2"]["finding"].startswith("offered") and by_id["TLS1_3"]["finding"].startswith("offered")
    bad = [f for f in findings if f["severity"] in ("HIGH", "CRITICAL") and f["id"] not in PEBBLE_FINDINGS]
    assert not bad, bad
    assert by_id["HSTS_time"]["severity"] == "OK" and by_id["HSTS_subdomains"]["severity"] == "OK"


def test_check_mode_on_converged_host_changes_nothing(host, converged_check_run):
    recap = converged_check_run[0]
    name = host.backend.get_hostname()
    assert recap[name]["changed"] == 0 and recap[name]["failed"] == 0, recap


def test_forced_renewal_runs_the_deploy_hook_and_nginx_serves_the_new_certificate(host, grader, site):
    before = served_serial(grader, site)
    result = host.run("certbot renew --force-renewal --no-random-sleep-on-renew --server %s", DIRECTORY)
    assert result.rc == 0, result.stderr
    assert "Hook 'deploy-hook' ran with error output" not in result.stderr
    # a reload is a signal: nginx's workers pick the new certificate up a moment later
    for _attempt in range(20):
        if served_serial(grader, site) != before:
            break
        time.sleep(0.5)
    assert served_serial(grader, site) != before
    assert "reloaded nginx for renewed certificate(s): %s" % site in host.check_output("journalctl -t crhq-certbot --no-pager")

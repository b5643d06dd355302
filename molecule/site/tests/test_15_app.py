# -*- coding: utf-8 -*-
"""The app (crhq.platform.app), judged from outside through nginx TLS by a real HTTP client in the helper, and
from inside for what only the host can show (its sandbox, its socket, its database rows)."""

from __future__ import annotations

import json
import os
import re
import shlex

import pytest
from crhq_testbed import ARTIFACTS, app_user, browser_login, web

testinfra_hosts = ["ansible://crhq"]

SESSION = "__Host-crhq_session"
LOGIN_ERROR = "The user name or the password is wrong."


@pytest.fixture(scope="module", name="users")
def fixture_users():
    return {}


def user(host, users, name, *options):
    key = (host.backend.get_hostname(), name)
    if key not in users:
        users[key] = app_user(host, name, *options)
    return users[key]


def jar(host, name):
    return "%s-%s" % (host.backend.get_hostname(), name)


def cookie(response, name):
    return next((c for c in response["set_cookie"] if c.startswith(name + "=")), None)


def test_service_runs_sandboxed_as_the_app_user(host):
    service = host.service("crhq-app.service")
    assert service.is_running and service.is_enabled and host.service("crhq-app.socket").is_enabled
    show = host.check_output("systemctl show crhq-app.service -p User -p PrivateNetwork -p ProtectSystem")
    assert "User=crhq" in show and "PrivateNetwork=yes" in show and "ProtectSystem=strict" in show
    exposure = host.check_output("systemd-analyze security --no-pager crhq-app.service | tail -n 1")
    score = float(re.search(r"exposure level.*?:\s*([\d.]+)", exposure).group(1))
    print("systemd-analyze security crhq-app.service on %s: %.1f" % (host.backend.get_hostname(), score))
    assert score <= 2.0, exposure
    # no control socket (gunicornc): no interface that changes the workers at run time, and no error at each start,
    # which gunicorn 27 logged when the sandbox's read-only home refused its default socket directory
    assert "--no-control-socket" in host.check_output("systemctl show -p ExecStart --value crhq-app.service")
    assert "Control server" not in host.check_output("journalctl -u crhq-app.service -u 'crhq-app-candidate@*' --no-pager -o cat")
    workers = host.check_output("ps -o user= -C gunicorn | sort | uniq -c")
    assert workers and all(line.split()[1] == "crhq" for line in workers.splitlines()), workers


def test_no_tcp_listener_and_the_socket_is_for_nginx_only(host):
    pids = host.check_output("systemctl show -p MainPID --value crhq-app.service")
    assert pids != "0"
    tcp = host.check_output("ss -Htlnp")
    assert "gunicorn" not in tcp and "python" not in tcp, tcp
    sock = host.file("/run/crhq-app/app.sock")
    assert sock.is_socket and sock.user == "root" and sock.group == "www-data" and sock.mode == 0o660
    probe = ("python3 -c \"import socket; s = socket.socket(socket.AF_UNIX); s.connect('/run/crhq-app/app.sock'); "
             "s.sendall(b'GET /healthz HTTP/1.0\\r\\nHost: %s\\r\\nX-Forwarded-Proto: https\\r\\n\\r\\n'); "
             "print(s.recv(64).decode().splitlines()[0])\"" % host.check_output("grep ^CRHQ_HOSTNAME= /etc/crhq/app.env")[14:])
    # the precondition: root and nginx's user reach the app on that socket
    assert host.check_output(probe).split()[1] == "200"
    assert host.check_output("setpriv --reuid=www-data --regid=www-data --init-groups " + probe).split()[1] == "200"
    for account in ("agent", "crhq"):
        refused = host.run("setpriv --reuid=%s --regid=%s --init-groups %s" % (account, account, probe))
        assert refused.rc != 0 and "PermissionError" in refused.stderr, (account, refused.stderr)


def test_settings_file_names_secrets_and_holds_none(host):
    env = host.file("/etc/crhq/app.env")
    assert env.user == "root" and env.group == "crhq" and env.mode == 0o640
    text = env.content_string
    for path in ("/etc/crhq/keys/db-app.password", "/etc/crhq/keys/master.keyring", "/etc/crhq/keys/session.secret"):
        assert path in text
        assert host.check_output("cat %s", path).strip()[:20] not in text
    unit = host.check_output("systemctl cat crhq-app.service crhq-app.socket")
    assert "PASSWORD=" not in unit and "SECRET=" not in unit
    cmdline = host.check_output("cat /proc/$(systemctl show -p MainPID --value crhq-app.service)/cmdline | tr '\\0' ' '")
    assert "crhq_app.wsgi:application" in cmdline and "password" not in cmdline.lower()


def test_release_is_root_owned_and_read_only_to_the_service(host):
    current = host.file("/opt/crhq/app/current")
    assert current.is_symlink and current.linked_to.startswith("/opt/crhq/app/releases/")
    release = current.linked_to
    assert host.check_output("find %s ! -user root | head -n 5", release) == ""
    assert host.run("setpriv --reuid=crhq --regid=crhq --init-groups touch %s/venv/crhq-test", release).rc != 0
    marker = json.loads(host.file(release + "/.crhq-release.json").content_string)
    assert marker["name"] == "crhq-app" and release.endswith(marker["release"])


def test_full_login_with_password_and_totp(host, helper, site, users):
    alice = user(host, users, "alice")
    steps = web(helper, site, jar(host, "alice"), "login", "alice", alice["password"], "--totp", alice["secret"])
    assert [s["status"] for s in steps] == [302, 302], steps
    assert steps[0]["location"].startswith("/login/verify")
    home = web(helper, site, jar(host, "alice"), "get", "/")
    assert home["status"] == 200 and "alice" in home["body"]
    me = web(helper, site, jar(host, "alice"), "get", "/api/me")
    assert me["status"] == 200 and json.loads(me["body"])["username"] == "alice"


def test_session_cookie_attributes_and_rotation(host, helper, site, users):
    bob = user(host, users, "bob")
    first = web(helper, site, jar(host, "bob"), "get", "/login/")
    steps = web(helper, site, jar(host, "bob"), "login", "bob", bob["password"], "--totp", bob["secret"])
    after_password, after_code = cookie(steps[0], SESSION), cookie(steps[1], SESSION)
    assert after_password and after_code, steps
    attributes = [a.strip().lower() for a in after_code.split(";")[1:]]
    assert {"secure", "httponly", "samesite=lax", "path=/"} <= set(attributes), after_code
    assert not any(a.startswith("domain") or a.startswith("max-age") or a.startswith("expires") for a in attributes)
    # a new session id at the password and again at the second factor
    ids = [c.split(";")[0] for c in (cookie(first, SESSION) or "x=0;", after_password, after_code)]
    assert len(set(ids)) == 3, ids


def test_half_finished_login_grants_nothing(host, helper, site, users):
    carol = user(host, users, "carol")
    steps = web(helper, site, jar(host, "carol"), "login", "carol", carol["password"], "--code", "000000")
    assert steps[0]["status"] == 302 and steps[1]["status"] == 200  # wrong code: the form again
    assert web(helper, site, jar(host, "carol"), "get", "/")["status"] == 302
    assert web(helper, site, jar(host, "carol"), "get", "/api/me")["status"] == 401


def test_wrong_password_and_unknown_user_look_the_same(host, helper, site, users):
    alice = user(host, users, "alice")
    wrong = web(helper, site, jar(host, "x1"), "post", "/login/", "username=alice", "password=wrong-password-123")
    unknown = web(helper, site, jar(host, "x2"), "post", "/login/", "username=nobody-here", "password=wrong-password-123")
    assert wrong["status"] == unknown["status"] == 200
    assert LOGIN_ERROR in wrong["body"] and LOGIN_ERROR in unknown["body"]
    assert same_page(wrong["body"]) == same_page(unknown["body"])
    assert alice["created"] is not None


def same_page(body):
    """A login page without its tokens and the user name typed."""
    return re.sub(r'value="[^"]*"', "", body).replace("nobody-here", "alice")


def test_replayed_totp_code_is_refused(host, helper, site, users):
    dave = user(host, users, "dave")
    first = web(helper, site, jar(host, "dave1"), "login", "dave", dave["password"], "--totp", dave["secret"])
    assert first[-1]["status"] == 302
    replay = web(helper, site, jar(host, "dave2"), "login", "dave", dave["password"], "--code", first[-1]["code_used"])
    assert replay[-1]["status"] == 200 and replay[-1]["location"] is None, replay[-1]
    assert web(helper, site, jar(host, "dave2"), "get", "/")["status"] == 302


def test_backup_code_works_once(host, helper, site, users):
    erin = user(host, users, "erin", "--backup-codes-file", "/root/erin.codes")
    code = host.check_output("head -n 1 /root/erin.codes")
    ok = web(helper, site, jar(host, "erin1"), "login", "erin", erin["password"], "--code", code)
    assert ok[-1]["status"] == 302 and web(helper, site, jar(host, "erin1"), "get", "/")["status"] == 200
    again = web(helper, site, jar(host, "erin2"), "login", "erin", erin["password"], "--code", code)
    assert again[-1]["status"] == 200 and web(helper, site, jar(host, "erin2"), "get", "/")["status"] == 302


def test_logout_ends_the_session_on_the_server(host, helper, site, users):
    frank = user(host, users, "frank")
    name = jar(host, "frank")
    web(helper, site, name, "login", "frank", frank["password"], "--totp", frank["secret"])
    # every gunicorn worker reads sessions from the cache they share (app_session_cache_enabled): a few
    # requests, so that each worker has served this one; a per-worker cache would keep it after the logout
    for request in range(4):
        assert web(helper, site, name, "get", "/")["status"] == 200, request
    cache = host.file("/run/crhq-app-sessions")
    assert cache.is_directory and cache.user == "crhq" and cache.mode == 0o700
    assert host.run("findmnt -n -o FSTYPE -T /run/crhq-app-sessions").stdout.strip() == "tmpfs"  # RAM only
    assert host.check_output("find /run/crhq-app-sessions -type f | wc -l") != "0"
    helper.check_output("cp /tmp/crhq-web-%s.jar /tmp/crhq-web-%s-copy.jar", name, name)
    out = web(helper, site, name, "post", "/logout/", "--form-page", "/")
    assert out["status"] == 302
    for attempt in range(6):  # the old cookie, replayed: refused by whichever worker answers
        stale = web(helper, site, name + "-copy", "get", "/")
        assert stale["status"] == 302 and stale["location"].startswith("/login/"), attempt


def test_log_out_everywhere_ends_a_session_whose_user_every_worker_has_cached(host, helper, site, users):
    """The workers read the logged-in user through their shared cache too (crhq_app.accounts.backends). A phone's
    session is served a few times, so that its user is cached; "log out everywhere" on a laptop then ends it at its
    next request, whichever worker answers."""
    ivan = user(host, users, "ivan", "--backup-codes-file", "/root/ivan.codes")
    laptop, phone = jar(host, "ivan-laptop"), jar(host, "ivan-phone")
    assert web(helper, site, laptop, "login", "ivan", ivan["password"], "--totp", ivan["secret"])[-1]["status"] == 302
    code = host.check_output("head -n 1 /root/ivan.codes")  # the TOTP code of this step is spent
    assert web(helper, site, phone, "login", "ivan", ivan["password"], "--code", code)[-1]["status"] == 302
    for request in range(4):
        assert web(helper, site, phone, "get", "/")["status"] == 200, request
    assert web(helper, site, laptop, "post", "/logout/everywhere/", "--form-page", "/")["status"] == 302
    for attempt in range(6):
        stale = web(helper, site, phone, "get", "/")
        assert stale["status"] == 302 and stale["location"].startswith("/login/"), attempt


def test_missing_csrf_token_is_refused(host, helper, site, users):
    alice = user(host, users, "alice")
    out = web(helper, site, jar(host, "csrf"), "post", "/login/", "username=alice", "password=" + alice["password"],
              "--no-csrf")
    assert out["status"] == 403 and cookie(out, SESSION) is None


def test_logins_are_throttled_per_account(host, helper, site, users):
    grace = user(host, users, "grace")
    for attempt in range(10):
        out = web(helper, site, jar(host, "grace"), "post", "/login/", "username=grace", "password=wrong-password-123")
        assert out["status"] == 200, attempt
    right = web(helper, site, jar(host, "grace"), "post", "/login/", "username=grace", "password=" + grace["password"])
    assert right["status"] == 429 and int(right["headers"]["retry-after"]) > 0


def test_database_holds_bcrypt_hashes_and_no_totp_secret(host, users):
    alice = user(host, users, "alice")
    dump = host.check_output("runuser -u postgres -- pg_dump --data-only crhq")
    assert alice["secret"] not in dump and alice["password"] not in dump
    hashes = host.check_output("runuser -u postgres -- psql -d crhq -qAt -c "
                               + shlex.quote("select password from accounts_user where username = 'alice'"))
    assert re.match(r"^bcrypt_sha256\$\$2b\$12\$", hashes), hashes[:20]


def test_pages_carry_a_strict_csp_and_static_files_are_cached_for_good(host, helper, site):
    page = web(helper, site, jar(host, "static"), "get", "/login/")
    assert page["status"] == 200 and page["csp"], page["headers"]
    assert any("default-src 'none'" in policy for policy in page["csp"]), page["csp"]  # the app's own
    assert not any("unsafe-inline" in policy or "unsafe-eval" in policy for policy in page["csp"]), page["csp"]
    assert "<script" not in page["body"] and " style=" not in page["body"]
    href = re.search(r'href="(/static/[^"]+\.css)"', page["body"]).group(1)
    assert re.search(r"\.[0-9a-f]{12}\.css$", href), href  # content-hashed by collectstatic's manifest
    css = web(helper, site, jar(host, "static"), "get", href)
    assert css["status"] == 200 and css["headers"]["content-type"].startswith("text/css")
    assert css["headers"]["cache-control"] == "max-age=315360000", css["headers"]
    assert css["headers"]["x-content-type-options"] == "nosniff"
    release = host.file("/opt/crhq/app/current").linked_to
    assert host.file(release + "/static" + href[len("/static"):]).exists  # served from the serving release


def test_a_real_browser_logs_in_with_totp(host, helper, site, users):
    """Headless Chromium (Debian's, driven by Selenium and chromedriver) logs in with a password and TOTP."""
    henry = user(host, users, "henry")
    shot = "app-logged-in-%s.png" % host.backend.get_hostname()
    seen = browser_login(helper, site, "henry", henry["password"], henry["secret"], shot)
    assert seen["url"] == "https://%s/" % site, seen["steps"]
    assert "henry" in seen["text"] and "Log out" in seen["text"], seen["text"]
    session = [c for c in seen["cookies"] if c["name"] == SESSION]
    assert session and session[0]["httpOnly"] and session[0]["secure"], seen["cookies"]
    assert SESSION not in seen["document_cookie"] and "csrf" not in seen["document_cookie"], seen["document_cookie"]
    errors = [entry for entry in seen["console"] if entry.get("level") == "SEVERE"]
    assert not errors, errors  # CSP violations, failed loads and script errors all land here
    assert os.path.getsize(os.path.join(ARTIFACTS, shot)) > 5000

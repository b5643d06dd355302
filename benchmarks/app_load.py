# -*- coding: utf-8 -*-
"""HTTP client, timers and report of `scripts/bench app` (Python standard library only).

What is measured, each against a reference measured in the same run:

- login: the password step of a new client (TCP + TLS connect, GET /login/, POST /login/ -> 302 to
  /login/verify/) N times for one user, p50/p99; reference: bcrypt.checkpw alone at the app's cost, in
  the app's venv in the container (subcommand `bcrypt`), over the same N. The TOTP step (GET + POST
  /login/verify/ -> 302 to /) is timed once per bench user (each user's first code, so never a replay).
- load: requests/s of C keep-alive HTTPS connections (one thread and one http.client connection each)
  for T seconds: the logged-in home page GET / through nginx to the app, against nginx serving the
  app's static stylesheet (the hashed name the login page links to) on the same host. Target: app/static
  >= 0.20. Both run from this one Python process: on a small machine the client shares the CPUs and
  holds the static figure down, so the ratio is if anything too kind to the app.
- memory (in the container): RSS of the gunicorn master and workers of crhq-app.service, against the RSS
  of a bare interpreter of the same venv, sleeping.

Subcommands print one JSON object; `report` reads them and prints the table. `bcrypt` and `memory` run
inside the container with the app's venv python, this file fed on stdin:

    docker exec -i crhq-demo /opt/crhq/app/current/venv/bin/python - memory < benchmarks/app_load.py

Connections go to --address (127.0.0.1) and --port, with --site as TLS server name and Host header and
the demo's self-signed certificate (--cafile) as the only trust anchor. Exit status 1 when something did
not work (a login step, a non-200 answer), never because of a figure.
"""

import argparse
import hashlib
import html.parser
import http.client
import json
import math
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SESSION = "__Host-crhq_session"


class Failure(Exception):
    """Something did not work: reported on stderr, exit status 1."""


# ---------------------------------------------------------------------------------------------------------------
# figures
# ---------------------------------------------------------------------------------------------------------------

def percentile(values, q):
    """Nearest-rank percentile: below 100 samples p99 is the maximum."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q / 100.0 * len(ordered))) - 1]


def summary(values):
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(percentile(values, 50), 6), "p99": round(percentile(values, 99), 6),
            "mean": round(sum(values) / len(values), 6), "min": round(min(values), 6), "max": round(max(values), 6)}


# ---------------------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------------------

class Connection(http.client.HTTPSConnection):
    """HTTPS to `address`:`port` with `site` as the server name (SNI, certificate check) and in the Host header."""

    def __init__(self, site, port, address, context, timeout=30):
        super().__init__(site, port, timeout=timeout, context=context)
        self.address = address
        self.tls = context

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def tls_context(cafile):
    """Verifying context whose only trust anchor is the demo's self-signed certificate."""
    return ssl.create_default_context(cafile=cafile)  # chain and host name checked, as a browser does


class Page(html.parser.HTMLParser):
    """The CSRF tokens and the stylesheets of an HTML page."""

    def __init__(self, text):
        super().__init__()
        self.tokens, self.stylesheets = [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.tokens.append(attrs.get("value") or "")
        elif tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.stylesheets.append(attrs["href"])


class Client:
    """One browser-like client: one keep-alive connection and its own cookies."""

    def __init__(self, args, context):
        self.conn = Connection(args.site, args.port, args.address, context)
        self.origin = "https://%s%s" % (args.site, "" if args.port == 443 else ":%d" % args.port)
        self.cookies = {}

    def close(self):
        self.conn.close()

    def request(self, method, path, form=None, referer=None):
        headers = {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if referer:
            headers["Referer"] = self.origin + referer
            headers["Origin"] = self.origin
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % item for item in self.cookies.items())
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            update_cookies(self.cookies, header)
        return response.status, response.getheader("Location") or "", text

    def form(self, path):
        """GET a form page; its CSRF token."""
        status, _location, text = self.request("GET", path)
        tokens = Page(text).tokens
        if status != 200 or not tokens:
            raise Failure("GET %s answered %s%s" % (path, status, "" if tokens else " without a CSRF token"))
        return tokens[0]

    def submit(self, path, fields, expect_location):
        """POST a form (token from its GET) and expect 302 to exactly `expect_location`."""
        form = dict(fields, csrfmiddlewaretoken=self.form(path))
        status, location, _text = self.request("POST", path, form, referer=path)
        if status != 302 or location != expect_location:
            raise Failure("POST %s answered %s %s, expected 302 to %s%s"
                          % (path, status, location, expect_location, refusal(status)))


def refusal(status):
    """What a refused form POST most likely means."""
    return {200: " (the form was refused: wrong password, or a code already used?)", 403: " (CSRF refused)",
            429: " (nginx rate limit: nginx_login_rate too low?)"}.get(status, "")


def update_cookies(cookies, header):
    name, dummy, rest = header.partition("=")
    value = rest.split(";", 1)[0].strip()
    if value in ("", '""') or "max-age=0" in header.lower().replace(" ", ""):
        cookies.pop(name.strip(), None)
    else:
        cookies[name.strip()] = value


# ---------------------------------------------------------------------------------------------------------------
# login
# ---------------------------------------------------------------------------------------------------------------

def read_users(path):
    """The JSON lines of `crhq-app ensure_user ... --show-totp-uri`: [(username, TOTP secret)]."""
    users = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.startswith("{"):
                continue
            result = json.loads(line)
            query = urllib.parse.parse_qs(urllib.parse.urlparse(result.get("otpauth_uri", "")).query)
            if not query.get("secret"):
                raise Failure("ensure_user enrolled no new TOTP secret for %s" % result.get("username"))
            users.append((result["username"], query["secret"][0]))
    if not users:
        raise Failure("no user in %s" % path)
    return users


def totp_function():
    """The test client's RFC 6238 code function (molecule/resources/pytest/crhq_webclient.py)."""
    sys.path.insert(0, os.path.join(ROOT, "molecule", "resources", "pytest"))
    from crhq_webclient import totp
    return totp


def password_step(client, username, password):
    """A new client: connect, GET /login/, POST /login/ -> 302 /login/verify/. Seconds of each part."""
    start = time.perf_counter()
    client.conn.connect()
    connected = time.perf_counter()
    token = client.form("/login/")
    got = time.perf_counter()
    status, location, _text = client.request(
        "POST", "/login/", {"username": username, "password": password, "csrfmiddlewaretoken": token}, referer="/login/")
    done = time.perf_counter()
    if status != 302 or not location.startswith("/login/verify"):
        raise Failure("password step of %s: POST /login/ answered %s %s%s" % (username, status, location, refusal(status)))
    return {"connect": connected - start, "get": got - connected, "post": done - got, "total": done - start}


def cmd_login(args):
    users = read_users(args.users)
    with open(args.password_file, encoding="utf-8") as handle:
        password = handle.read().rstrip("\r\n")
    totp = totp_function()
    context = tls_context(args.cafile)
    parts = {"connect": [], "get": [], "post": [], "total": []}
    for _login in range(args.count):
        client = Client(args, context)
        try:
            for name, seconds in password_step(client, users[0][0], password).items():
                parts[name].append(seconds)
        finally:
            client.close()

    totp_steps, full, sessions = [], [], []
    for username, secret in users:
        client = Client(args, context)
        try:
            first = password_step(client, username, password)
            start = time.perf_counter()
            client.submit("/login/verify/", {"code": totp(secret)}, "/")
            totp_steps.append(time.perf_counter() - start)
            full.append(first["total"] + totp_steps[-1])
            status, _location, text = client.request("GET", "/")
            if status != 200 or username not in text:
                raise Failure("GET / after the login of %s answered %s" % (username, status))
            if SESSION not in client.cookies:
                raise Failure("no %s cookie after the login of %s" % (SESSION, username))
            sessions.append("%s=%s" % (SESSION, client.cookies[SESSION]))
        finally:
            client.close()
    if args.sessions_out:
        fd = os.open(args.sessions_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in sessions))
    return {"user": users[0][0], "password_step": summary(parts["total"]),
            "parts": {name: summary(values) for name, values in parts.items() if name != "total"},
            "totp_step": summary(totp_steps), "full_login": summary(full), "totp_users": len(users)}


# ---------------------------------------------------------------------------------------------------------------
# load
# ---------------------------------------------------------------------------------------------------------------

def stylesheet(args, context):
    """The path of the stylesheet the login page links to (collectstatic's hashed name)."""
    client = Client(args, context)
    try:
        status, _location, text = client.request("GET", "/login/")
    finally:
        client.close()
    sheets = [href for href in Page(text).stylesheets if href.startswith("/static/")]
    if status != 200 or not sheets:
        raise Failure("GET /login/ answered %s with no /static/ stylesheet" % status)
    return sheets[0]


class Loader(threading.Thread):
    """One keep-alive connection sending GET `path` until the deadline."""

    def __init__(self, args, context, path, cookie, barrier):
        super().__init__(daemon=True)
        self.args, self.context, self.path, self.barrier = args, context, path, barrier
        self.cookies = dict([cookie.split("=", 1)]) if cookie else {}
        self.statuses, self.latencies, self.errors, self.connects = {}, [], [], 0
        self.conn = None

    def get(self):
        if self.conn is None or self.conn.sock is None:
            self.conn = Connection(self.args.site, self.args.port, self.args.address, self.context)
            self.conn.connect()
            self.connects += 1
        headers = {"Cookie": "; ".join("%s=%s" % item for item in self.cookies.items())} if self.cookies else {}
        headers.update(self.args.extra_headers)
        self.conn.request("GET", self.path, headers=headers)
        response = self.conn.getresponse()
        response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            update_cookies(self.cookies, header)
        if response.will_close:
            self.conn.close()
        return response.status

    def attempt(self):
        try:
            return self.get()
        except (OSError, http.client.HTTPException) as exc:
            if len(self.errors) < 5:
                self.errors.append("%s: %s" % (type(exc).__name__, exc))
            else:
                self.errors.append(None)
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            return None

    def run(self):
        warm = self.attempt()  # TLS handshake and first answer before the clock starts
        self.barrier.wait()
        if warm != 200:
            if warm is not None:
                self.statuses[warm] = self.statuses.get(warm, 0) + 1
            return
        deadline = time.perf_counter() + self.args.seconds
        while True:
            start = time.perf_counter()
            if start >= deadline:
                break
            status = self.attempt()
            if status is not None:
                self.latencies.append(time.perf_counter() - start)
                self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.conn is not None:
            self.conn.close()


def cmd_load(args):
    context = tls_context(args.cafile)
    args.extra_headers = {}
    if args.bearer_file:
        with open(args.bearer_file, encoding="ascii") as handle:
            args.extra_headers["Authorization"] = "Bearer " + handle.read().strip()
    path = stylesheet(args, context) if args.static else args.path
    cookies = []
    if args.cookie_file:
        with open(args.cookie_file, encoding="utf-8") as handle:
            cookies = [line.strip() for line in handle if line.strip()]
    barrier = threading.Barrier(args.connections + 1)
    loaders = [Loader(args, context, path, cookies[i % len(cookies)] if cookies else None, barrier)
               for i in range(args.connections)]
    for loader in loaders:
        loader.start()
    barrier.wait()
    start = time.perf_counter()
    for loader in loaders:
        loader.join()
    elapsed = time.perf_counter() - start
    statuses, latencies, errors = {}, [], []
    for loader in loaders:
        for status, count in loader.statuses.items():
            statuses[str(status)] = statuses.get(str(status), 0) + count
        latencies.extend(loader.latencies)
        errors.extend(loader.errors)
    ok = statuses.get("200", 0)
    result = {"path": path, "connections": args.connections, "seconds": round(elapsed, 3), "ok": ok,
              "statuses": statuses, "errors": len(errors), "error_samples": [e for e in errors if e],
              "connects": sum(loader.connects for loader in loaders), "rps": round(ok / elapsed, 1),
              "latency": summary(latencies)}
    if ok == 0 or errors or set(statuses) != {"200"}:
        print(json.dumps(result))
        raise Failure("GET %s: %d answers of 200, others %s, %d errors %s" % (
            path, ok, {k: v for k, v in statuses.items() if k != "200"}, len(errors), result["error_samples"]))
    return result


# ---------------------------------------------------------------------------------------------------------------
# in the container: bcrypt reference, memory
# ---------------------------------------------------------------------------------------------------------------

def cmd_bcrypt(args):
    import bcrypt  # the app's venv has it; this file's other subcommands need the standard library only
    cost = args.cost or int(os.environ.get("CRHQ_BCRYPT_COST", "12"))
    # the app's hasher checks bcrypt on the 64 hex characters of the password's SHA-256
    password = hashlib.sha256(os.urandom(32)).hexdigest().encode()
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(cost))
    times = []
    for _check in range(args.count):
        start = time.perf_counter()
        ok = bcrypt.checkpw(password, hashed)
        times.append(time.perf_counter() - start)
        if not ok:
            raise Failure("bcrypt.checkpw refused its own hash")
    return {"cost": cost, "checkpw": summary(times), "python": sys.version.split()[0],
            "bcrypt": getattr(bcrypt, "__version__", "?")}


def rss_kib(pid):
    out = subprocess.check_output(["ps", "-o", "rss=", "-p", str(pid)], text=True).strip()
    if not out:
        raise Failure("no process %s" % pid)
    return int(out)


def cmd_memory(args):
    master = int(subprocess.check_output(["systemctl", "show", "-p", "MainPID", "--value", args.service], text=True))
    procs = {}
    # ps exits 1 when no process matches: reported below
    out = subprocess.run(["ps", "-o", "pid=,ppid=,rss=", "-C", "gunicorn"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        pid, ppid, rss = (int(field) for field in line.split())
        procs[pid] = (ppid, rss)
    if master not in procs:
        raise Failure("%s has no gunicorn main process (MainPID %s; gunicorn processes %s)" % (args.service, master, sorted(procs)))
    workers = [rss for ppid, rss in procs.values() if ppid == master]
    if not workers:
        raise Failure("the gunicorn master %s has no worker" % master)
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"], stdin=subprocess.DEVNULL) as bare:
        time.sleep(1)  # started and settled: what an idle interpreter of this venv holds
        bare_rss = rss_kib(bare.pid)
    return {"master_kib": procs[master][1], "workers_kib": workers, "total_kib": procs[master][1] + sum(workers),
            "bare_python_kib": bare_rss, "python": sys.executable}


# ---------------------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------------------

def cmd_report(args):
    def load(path):
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)

    login, ref, app, static, memory = (load(p) for p in (args.login, args.bcrypt, args.app, args.static, args.memory))
    read, meta = (load(p) if p else None for p in (args.credential_read, args.credential_meta))
    mib = 1024.0
    step, check = login["password_step"], ref["checkpw"]
    workers = memory["workers_kib"]
    per_worker = sum(workers) / len(workers) / mib
    bare = memory["bare_python_kib"] / mib
    rows = [
        ("password step p50 (connect+GET+POST, n=%d)" % step["n"], "%.3f s" % step["p50"],
         "bcrypt.checkpw p50 %.3f s (cost %d)" % (check["p50"], ref["cost"]), "%.2fx" % (step["p50"] / check["p50"]), ""),
        ("password step p99", "%.3f s" % step["p99"], "bcrypt.checkpw p99 %.3f s" % check["p99"],
         "%.2fx" % (step["p99"] / check["p99"]), ""),
        ("  of which POST /login/ p50", "%.3f s" % login["parts"]["post"]["p50"], "bcrypt.checkpw p50",
         "%.2fx" % (login["parts"]["post"]["p50"] / check["p50"]), ""),
        ("TOTP step p50 (GET+POST, n=%d)" % login["totp_step"]["n"], "%.3f s" % login["totp_step"]["p50"],
         "max %.3f s" % login["totp_step"]["max"], "", ""),
        ("full login p50 (n=%d)" % login["full_login"]["n"], "%.3f s" % login["full_login"]["p50"], "", "", ""),
        ("GET / logged in, %d conns" % app["connections"], "%.0f req/s" % app["rps"],
         "static %s %.0f req/s" % (os.path.basename(static["path"]), static["rps"]),
         "%.3f" % (app["rps"] / static["rps"]), ">= 0.20"),
        ("  latency p50 / p99", "%.1f / %.1f ms" % (app["latency"]["p50"] * 1000, app["latency"]["p99"] * 1000),
         "static %.1f / %.1f ms" % (static["latency"]["p50"] * 1000, static["latency"]["p99"] * 1000), "", ""),
        ("gunicorn RSS (master + %d workers)" % len(workers), "%.1f MiB" % (memory["total_kib"] / mib),
         "master %.1f MiB" % (memory["master_kib"] / mib), "", ""),
        ("RSS per worker (mean)", "%.1f MiB" % per_worker, "bare venv python %.1f MiB" % bare,
         "%.2fx" % (per_worker / bare), ""),
    ]
    if read and meta:
        rows += [
            ("credential read, API key (decrypt+audit)", "%.0f req/s" % read["rps"],
             "same key, metadata GET %.0f req/s" % meta["rps"], "%.3f" % (read["rps"] / meta["rps"]), ""),
            ("  latency p50 / p99", "%.1f / %.1f ms" % (read["latency"]["p50"] * 1000, read["latency"]["p99"] * 1000),
             "metadata %.1f / %.1f ms" % (meta["latency"]["p50"] * 1000, meta["latency"]["p99"] * 1000),
             "%.2fx" % (read["latency"]["p99"] / meta["latency"]["p99"]), ""),
        ]
    print("%-44s %14s  %-38s %7s  %s" % ("figure", "value", "reference (same run)", "ratio", "target"))
    for row in rows:
        print(("%-44s %14s  %-38s %7s  %s" % row).rstrip())
    return None


# ---------------------------------------------------------------------------------------------------------------

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def http_options(p):
        p.add_argument("--site", required=True, help="TLS server name and Host (crhq-demo.localhost)")
        p.add_argument("--port", type=int, default=8443)
        p.add_argument("--address", default="127.0.0.1", help="where to connect")
        p.add_argument("--cafile", required=True, help="the site's self-signed certificate")

    login = sub.add_parser("login", help="time the password step N times and the TOTP step once per user")
    http_options(login)
    login.add_argument("--users", required=True, help="ensure_user JSON lines with otpauth_uri; the first is timed N times")
    login.add_argument("--password-file", required=True, help="the bench users' password")
    login.add_argument("--count", type=int, default=40)
    login.add_argument("--sessions-out", help="write the logged-in session cookies here (0600), one a line")

    load = sub.add_parser("load", help="requests/s of C keep-alive connections for T seconds")
    http_options(load)
    target = load.add_mutually_exclusive_group(required=True)
    target.add_argument("--path")
    target.add_argument("--static", action="store_true", help="the stylesheet the login page links to")
    load.add_argument("--cookie-file", help="session cookies, one a line, shared round-robin by the connections")
    load.add_argument("--bearer-file", help="an API key, sent as Authorization: Bearer on every request")
    load.add_argument("--connections", type=int, default=8)
    load.add_argument("--seconds", type=float, default=15.0)

    ref = sub.add_parser("bcrypt", help="(in the app's venv) bcrypt.checkpw timings at the app's cost")
    ref.add_argument("--count", type=int, default=40)
    ref.add_argument("--cost", type=int, help="default: CRHQ_BCRYPT_COST, else 12")

    memory = sub.add_parser("memory", help="(in the container) gunicorn RSS and a bare interpreter's RSS")
    memory.add_argument("--service", default="crhq-app.service")

    report = sub.add_parser("report", help="the table, from the JSON of the other subcommands")
    for name in ("login", "bcrypt", "app", "static", "memory"):
        report.add_argument("--" + name, required=True)
    report.add_argument("--credential-read")
    report.add_argument("--credential-meta")

    args = parser.parse_args(argv)
    commands = {"login": cmd_login, "load": cmd_load, "bcrypt": cmd_bcrypt, "memory": cmd_memory,
                "report": cmd_report}
    try:
        result = commands[args.command](args)
    except (Failure, OSError, http.client.HTTPException) as exc:  # OSError: ssl and socket errors too
        kind = "" if isinstance(exc, Failure) else type(exc).__name__ + ": "
        sys.stderr.write("app_load %s: %s%s\n" % (args.command, kind, exc))
        return 1
    if result is not None:
        print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

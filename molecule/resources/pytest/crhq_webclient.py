# -*- coding: utf-8 -*-
"""A real HTTP client for the app's tests, run inside the helper container (Python standard library only).

Each call is one step of a browser-like session kept in a cookie jar file, and prints one JSON object:

    python3 crhq_webclient.py --site crhq12.test --jar /tmp/alice.jar get /
    python3 crhq_webclient.py --site crhq12.test --jar /tmp/alice.jar post /logout/ --form-page /
    python3 crhq_webclient.py --site crhq12.test --jar /tmp/alice.jar login alice PASSWORD --totp BASE32SECRET
    python3 crhq_webclient.py --site crhq12.test --jar /tmp/alice.jar login alice PASSWORD --code 1234-5678

Requests go to https://<site> with the Pebble root as the only trusted CA; redirects are not followed (each
response is reported). A form POST takes the CSRF token from the form page (the CSRF cookie is HttpOnly)
and sends the Referer a browser would send; --no-csrf leaves the token out.
"""

import argparse
import base64
import hashlib
import hmac
import html.parser
import http.cookiejar
import json
import ssl
import struct
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Forms(html.parser.HTMLParser):
    """The hidden CSRF inputs of a page."""

    def __init__(self):
        super().__init__()
        self.tokens = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.tokens.append(attrs.get("value", ""))


def totp(secret, at=None, step=30, digits=6):
    """RFC 6238 with SHA-1 (what authenticator apps compute), for the test client only."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10 ** digits).zfill(digits)


class Client:
    def __init__(self, site, jar_path, cafile, address=None):
        self.base = "https://%s" % site
        self.jar = http.cookiejar.MozillaCookieJar(jar_path)
        try:
            self.jar.load(ignore_discard=True, ignore_expires=True)
        except FileNotFoundError:
            pass
        context = ssl.create_default_context(cafile=cafile)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPSHandler(context=context), urllib.request.HTTPCookieProcessor(self.jar), NoRedirect())

    def save(self):
        self.jar.save(ignore_discard=True, ignore_expires=True)

    def request(self, method, path, form=None, headers=None):
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers or {})
        started = time.monotonic()
        try:
            response = self.opener.open(req, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        body = response.read().decode("utf-8", "replace")
        elapsed = time.monotonic() - started
        self.save()
        return {
            "method": method, "path": path, "status": response.status, "seconds": round(elapsed, 4),
            "location": response.headers.get("Location"),
            "headers": {k.lower(): v for k, v in response.headers.items() if k.lower() != "set-cookie"},
            "set_cookie": response.headers.get_all("Set-Cookie") or [],
            "csp": response.headers.get_all("Content-Security-Policy") or [],
            "body": body[:20000],
        }

    def csrf_token(self, page):
        response = self.request("GET", page)
        parser = Forms()
        parser.feed(response["body"])
        if not parser.tokens:
            raise SystemExit("no CSRF token on %s (status %s)" % (page, response["status"]))
        return parser.tokens[0]

    def post(self, path, fields, form_page=None, csrf=True):
        form = dict(fields)
        if csrf:
            form["csrfmiddlewaretoken"] = self.csrf_token(form_page or path)
        return self.request("POST", path, form, {"Referer": self.base + (form_page or path),
                                                 "Origin": self.base})

    def login(self, username, password, totp_secret=None, code=None):
        steps = [self.post("/login/", {"username": username, "password": password})]
        if steps[-1]["status"] != 302 or not (steps[-1]["location"] or "").startswith("/login/verify"):
            return steps
        if totp_secret:
            code = totp(totp_secret)
        steps.append(self.post("/login/verify/", {"code": code}))
        steps[-1]["code_used"] = code
        return steps


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", required=True)
    parser.add_argument("--jar", required=True)
    parser.add_argument("--cafile", default="/tmp/pebble-root.pem")
    sub = parser.add_subparsers(dest="action", required=True)
    get = sub.add_parser("get")
    get.add_argument("path")
    post = sub.add_parser("post")
    post.add_argument("path")
    post.add_argument("fields", nargs="*", help="name=value")
    post.add_argument("--form-page")
    post.add_argument("--no-csrf", action="store_true")
    login = sub.add_parser("login")
    login.add_argument("username")
    login.add_argument("password")
    login.add_argument("--totp")
    login.add_argument("--code")
    code = sub.add_parser("totp")
    code.add_argument("secret")
    args = parser.parse_args(argv)

    if args.action == "totp":
        print(json.dumps({"code": totp(args.secret)}))
        return 0
    client = Client(args.site, args.jar, args.cafile)
    if args.action == "get":
        result = client.request("GET", args.path)
    elif args.action == "post":
        fields = dict(field.split("=", 1) for field in args.fields)
        result = client.post(args.path, fields, args.form_page, csrf=not args.no_csrf)
    else:
        result = client.login(args.username, args.password, args.totp, args.code)
    json.dump(result, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())

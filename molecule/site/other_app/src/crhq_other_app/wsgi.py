"""WSGI callable: GET /healthz answers "ok"; every other path names the app and the host name it was given."""

import os

HOSTNAME = os.environ["CRHQ_HOSTNAME"]  # settings from the environment: no host name, no start


def application(environ, start_response):
    if environ.get("PATH_INFO") == "/healthz":
        body = b"ok\n"
    else:
        body = ("crhq-other-app 1.0.0 serving %s\n" % HOSTNAME).encode("utf-8")
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
    return [body]

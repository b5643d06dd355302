# -*- coding: utf-8 -*-
"""Session expiry, through nginx TLS from the helper: the scenario sets app_session_idle_seconds 60 and
app_session_absolute_seconds 75 (the shortest the role accepts is 60 idle). One timeline serves both hosts (about
90 s in all). On each host:

  an idle session I: logged in, one request, then nothing; 64 s after that request it is refused, before its
  absolute lifetime would end it;
  an active session A, logged in at L: requests at L+30 and L+58 work; at L+80 it is refused, although its
  last request was only 22 s before (under the idle limit): only the absolute lifetime ends it.
"""

from __future__ import annotations

import re
import time

from crhq_testbed import app_user, get_host, web

testinfra_hosts = []  # one timeline for both hosts: no per-host parametrisation


def status(helper, site, session):
    return web(helper, site, session, "get", "/")["status"]


def test_idle_and_absolute_session_lifetimes(helper, crhq_names):
    events = []  # (when, site, session, expected status, why, latest): a check after `latest` would prove nothing
    for name in crhq_names:
        host = get_host(name)
        env = host.check_output("cat /etc/crhq/app.env")
        assert "CRHQ_SESSION_IDLE_SECONDS=60" in env and "CRHQ_SESSION_ABSOLUTE_SECONDS=75" in env, env
        site = re.search(r"^CRHQ_HOSTNAME=(\S+)$", env, re.M).group(1)
        for user, kind in (("ivy-idle", "idle"), ("abe-active", "active")):
            made = app_user(host, user)
            password, secret = made["password"], made["secret"]
            session = "%s-%s" % (name, kind)
            login_at = time.monotonic()
            steps = web(helper, site, session, "login", user, password, "--totp", secret)
            assert steps[-1]["status"] == 302 and steps[-1]["location"] == "/", steps[-1]
            assert status(helper, site, session) == 200
            if kind == "idle":
                events.append((time.monotonic() + 64, site, session, 302, "an idle session outlived 60 s",
                               login_at + 74))  # after that, its absolute lifetime would end it too
            else:
                events += [(login_at + 30, site, session, 200, "an active session ended early", login_at + 74),
                           (login_at + 58, site, session, 200, "an active session ended early", login_at + 74),
                           (login_at + 80, site, session, 302, "a session outlived its absolute lifetime", None)]
    for when, site, session, expected, why, latest in sorted(events, key=lambda event: event[0]):
        time.sleep(max(0.0, when - time.monotonic()))
        asked = time.monotonic()
        assert status(helper, site, session) == expected, "%s: %s" % (session, why)
        assert latest is None or asked < latest, "%s: asked %.0f s late, too late to prove it" % (session, asked - when)

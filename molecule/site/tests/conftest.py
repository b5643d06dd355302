# -*- coding: utf-8 -*-
"""Fixtures of the site scenario; the shared machinery is the crhq_testbed plugin (molecule/resources/pytest)."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
from crhq_testbed import app_user, get_host, group_hosts, web


@pytest.fixture(scope="session", name="crhq_names")
def fixture_crhq_names():
    """Inventory names of the CRHQ hosts: Debian 12 first, then Debian 13."""
    return group_hosts("crhq")


@pytest.fixture(scope="session", name="first")
def fixture_first(crhq_names):
    """The Debian 12 host: the one whose backups are restored, on itself and on the next release."""
    return get_host(crhq_names[0])


@pytest.fixture(scope="session", name="second")
def fixture_second(crhq_names):
    """The Debian 13 host: the fresh host a Debian 12 backup is restored onto."""
    return get_host(crhq_names[1])


@pytest.fixture(name="site")
def fixture_site(host):
    """The host name the CRHQ host under test serves (a Docker network alias the helper resolves)."""
    return host.ansible.get_variables()["instance_hostname"]


@pytest.fixture(scope="session", name="acme_directory")
def fixture_acme_directory(crhq_names):
    return get_host(crhq_names[0]).ansible.get_variables()["certbot_acme_directory"]


class SessionTimeline:
    """The session-expiry timeline (the scenario sets app_session_idle_seconds 60, app_session_absolute_seconds 75):
    on each CRHQ host an idle session I and an active session A log in through nginx TLS from the helper; then a
    thread asks, at set times, for the home page with each session's cookies, while the tests after it run.

      I: 64 s after its one request it must be refused (302 to the login page), and asked before 74 s after its
         login, while its absolute lifetime alone would not yet end it;
      A: at L+30 and L+58 it must work (200), asked before L+74; at L+80 it must be refused, though its last
         request was only 22 s before (under the idle limit): only the absolute lifetime ends it.

    An answer that is neither (a 502 while a test restarts the app, a connection refused) proves nothing either way,
    and did not reach the app: the check is asked again a second later, within its window. A check that no answer
    proved within its window fails."""

    RETRY_UNTIL = 20  # seconds after `when`, for a check with no later limit

    def __init__(self, helper_name, crhq_names):
        self.helper = get_host(helper_name)  # its own testinfra host: the thread never shares the tests' objects
        self.events, self.logins, self.results, self.error = [], {}, [], None
        for name in crhq_names:
            host = get_host(name)
            env = host.check_output("cat /etc/crhq/app.env")
            assert "CRHQ_SESSION_IDLE_SECONDS=60" in env and "CRHQ_SESSION_ABSOLUTE_SECONDS=75" in env, env
            site = re.search(r"^CRHQ_HOSTNAME=(\S+)$", env, re.M).group(1)
            for user, kind in (("ivy-idle", "idle"), ("abe-active", "active")):
                # a user of this run's own (TOTP is enrolled, and its secret shown, only for a new one)
                made = app_user(host, "%s-%d" % (user, os.getpid()))
                session = "%s-%s" % (name, kind)
                login_at = time.monotonic()
                steps = web(self.helper, site, session, "login", made["username"], made["password"], "--totp", made["secret"])
                first = web(self.helper, site, session, "get", "/")["status"]
                self.logins[session] = (steps[-1]["status"], steps[-1]["location"], first)
                if kind == "idle":
                    self.events.append((time.monotonic() + 64, site, session, 302, "an idle session outlived 60 s",
                                        login_at + 74))  # after that, its absolute lifetime would end it too
                else:
                    self.events += [(login_at + 30, site, session, 200, "an active session ended early", login_at + 74),
                                    (login_at + 58, site, session, 200, "an active session ended early", login_at + 74),
                                    (login_at + 80, site, session, 302, "a session outlived its absolute lifetime", None)]
        self.events.sort(key=lambda event: event[0])
        self.thread = threading.Thread(target=self._run, name="session-expiry-timeline", daemon=True)
        self.thread.start()

    def _ask(self, site, session):
        try:
            return web(self.helper, site, session, "get", "/")["status"]
        except Exception as error:  # noqa: BLE001  (no answer: the webclient could not connect)
            return "no answer (%s)" % str(error).strip().splitlines()[-1][:200]

    def _run(self):
        try:
            for when, site, session, expected, why, latest in self.events:
                time.sleep(max(0.0, when - time.monotonic()))
                limit = latest if latest is not None else when + self.RETRY_UNTIL
                answers = []
                while True:
                    asked = time.monotonic()
                    answers.append(self._ask(site, session))
                    if answers[-1] in (200, 302) or asked + 1 >= limit:
                        break
                    time.sleep(1)
                self.results.append({"session": session, "expected": expected, "why": why, "answers": answers,
                                     "late": round(asked - when, 1), "in_time": asked < limit})
        except Exception as error:  # noqa: BLE001  (reported by the test that waits for the thread)
            self.error = error

    def finish(self):
        """Waits for the last check; returns the results."""
        self.thread.join(timeout=self.events[-1][0] - time.monotonic() + 120 if self.events else 0)
        assert not self.thread.is_alive(), "the session-expiry timeline did not finish"
        assert self.error is None, "the session-expiry timeline stopped: %r" % self.error
        return self.results


@pytest.fixture(scope="session", name="session_timeline")
def fixture_session_timeline(helper, crhq_names):
    """The session-expiry timeline (SessionTimeline), started on first use: test_16 starts it, and
    test_19_session_expiry_held.py, after the credential, rotation and content tests it ran beside, checks it.
    Either file run alone works (the second then waits the whole timeline)."""
    return SessionTimeline(helper.backend.get_hostname(), crhq_names)

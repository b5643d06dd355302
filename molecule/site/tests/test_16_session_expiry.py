# -*- coding: utf-8 -*-
"""Session expiry, through nginx TLS from the helper (SessionTimeline in conftest.py): the scenario sets
app_session_idle_seconds 60 and app_session_absolute_seconds 75 (the shortest the role accepts is 60 idle). On each
host an idle and an active session log in here; the timeline of checks (about 80 s) then runs in a thread beside the
credential, rotation and content tests, and test_19_session_expiry_held.py checks what it saw."""

from __future__ import annotations

testinfra_hosts = []  # one timeline for both hosts: no per-host parametrisation


def test_the_sessions_of_the_expiry_timeline_log_in(session_timeline, crhq_names):
    assert sorted(session_timeline.logins) == sorted("%s-%s" % (n, k) for n in crhq_names for k in ("idle", "active"))
    for session, (status, location, home) in session_timeline.logins.items():
        assert (status, location, home) == (302, "/", 200), session
    assert session_timeline.thread.is_alive()

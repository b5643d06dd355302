# -*- coding: utf-8 -*-
"""What the session-expiry timeline started in test_16 saw (SessionTimeline in conftest.py), after the tests it ran
beside: an idle session refused 64 s after its last request, before its absolute lifetime could end it; an active
session working at 30 and 58 s and refused at 80 s, 22 s after its last request, by its absolute lifetime alone."""

from __future__ import annotations

testinfra_hosts = []  # one timeline for both hosts: no per-host parametrisation


def test_idle_and_absolute_session_lifetimes(session_timeline, crhq_names):
    results = session_timeline.finish()
    assert len(results) == 4 * len(crhq_names), results
    for result in results:
        print("[session timeline] %(session)s: expected %(expected)s, answers %(answers)s, %(late)s s after its time"
              % result)
    for result in results:
        assert result["answers"][-1] == result["expected"], "%(session)s: %(why)s (answers %(answers)s)" % result
        assert result["in_time"], "%(session)s: asked %(late)s s late, too late to prove it" % result

# -*- coding: utf-8 -*-
"""#12, nothing half-applied: a converge that fails in the middle (here at the database, with the app and the roles
after it not yet run) leaves a host that the next converge finishes, and the one after that changes nothing."""

from __future__ import annotations

from crhq_testbed import run_playbook


def test_a_converge_failed_mid_run_recovers_on_the_next_run(first):
    name = first.backend.get_hostname()
    first.check_output("systemctl stop postgresql && systemctl mask postgresql")
    try:
        failed = run_playbook("converge.yml", limit=name)
    finally:
        first.check_output("systemctl unmask postgresql && systemctl start postgresql")
    assert failed.returncode != 0 and failed.recap[name]["failed"] == 1, failed.output[-3000:]
    assert "crhq.platform.postgresql" in failed.output  # it failed in the middle, at the database role
    recovered = run_playbook("converge.yml", limit=name).assert_ok()
    again = run_playbook("converge.yml", limit=name).assert_ok()
    assert again.recap[name]["changed"] == 0 and again.recap[name]["failed"] == 0, again.output[-3000:]
    assert recovered.recap[name]["failed"] == 0
    assert first.service("crhq-app").is_running

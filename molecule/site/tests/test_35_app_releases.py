# -*- coding: utf-8 -*-
"""Releases of the app: a second release deploys, a release that fails its health check never serves, a rollback
serves the previous release again, and the collection's own release comes back idempotently.

Runs the converge playbook (tags `app`) four times on both hosts at once, with copies of the reference app as
the source: a version 0.1.1, and one whose WSGI module raises at import."""

from __future__ import annotations

import os
import re
import shutil

import pytest
from crhq_testbed import PROJECT, get_host, group_hosts, https, run_playbook

testinfra_hosts = ["ansible://crhq"]


def app_copy(base, name, version=None, broken=False):
    target = os.path.join(base, name)
    shutil.copytree(os.path.join(PROJECT, "app"), target, symlinks=False,
                    ignore=shutil.ignore_patterns("build", "dist", "*.egg-info", "__pycache__", ".*"))
    if version:
        path = os.path.join(target, "pyproject.toml")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(re.sub(r'(?m)^version = ".*"$', 'version = "%s"' % version, text, count=1))
    if broken:
        with open(os.path.join(target, "src", "crhq_app", "wsgi.py"), "a", encoding="utf-8") as handle:
            handle.write('\nraise RuntimeError("crhq test: this release cannot start")\n')
    return target


def links(host):
    return {name: os.path.basename(host.file("/opt/crhq/app/%s" % name).linked_to or "")
            for name in ("current", "previous")}


@pytest.fixture(scope="module", name="releases")
def fixture_releases(tmp_path_factory):
    """Runs the four deployments once for both hosts and records what each left behind."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    base = str(tmp_path_factory.mktemp("app-sources"))
    v2, broken = app_copy(base, "v2", version="0.1.1"), app_copy(base, "broken", version="0.1.2", broken=True)
    seen = {"before": {n: links(h) for n, h in hosts.items()}}
    seen["v2_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_source_dir=" + v2).assert_ok()
    seen["v2"] = {n: links(h) for n, h in hosts.items()}
    seen["broken_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_source_dir=" + broken)
    seen["broken"] = {n: links(h) for n, h in hosts.items()}
    seen["broken_health"] = {n: h.check_output("systemctl is-active crhq-app.service") for n, h in hosts.items()}
    seen["rollback_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_rollback=true").assert_ok()
    seen["rollback"] = {n: links(h) for n, h in hosts.items()}
    seen["back_run"] = run_playbook("converge.yml", "--tags", "app").assert_ok()
    seen["back"] = {n: links(h) for n, h in hosts.items()}
    return seen


def test_second_release_serves_and_the_first_is_kept(host, releases):
    name = host.backend.get_hostname()
    before, after = releases["before"][name], releases["v2"][name]
    assert after["current"].startswith("0.1.1-") and after["previous"] == before["current"], (before, after)
    assert host.file("/opt/crhq/app/releases/%s/venv/bin/gunicorn" % before["current"]).exists


def test_failing_release_never_serves(host, helper, site, releases):
    name = host.backend.get_hostname()
    run = releases["broken_run"]
    assert run.returncode != 0 and run.recap[name]["failed"] == 1, run.output[-3000:]
    assert "failed its health check" in run.output and "keeps serving" in run.output
    assert "crhq test: this release cannot start" in run.output  # the tail of the release's own log
    assert releases["broken"][name] == releases["v2"][name]
    assert releases["broken_health"][name] == "active"
    assert host.check_output("systemctl list-units --no-legend --state=active 'crhq-app-candidate@*'") == ""


def test_rollback_serves_the_previous_release(host, helper, site, releases):
    name = host.backend.get_hostname()
    assert releases["rollback"][name]["current"] == releases["before"][name]["current"]
    assert releases["rollback_run"].recap[name]["failed"] == 0


def test_the_collection_release_is_back_and_the_run_changes_nothing(host, helper, site, releases):
    name = host.backend.get_hostname()
    assert releases["back"][name]["current"] == releases["before"][name]["current"]
    assert releases["back_run"].recap[name]["changed"] == 0, releases["back_run"].output[-3000:]
    assert https(helper, site, "/healthz")[0] == 200
    kept = host.check_output("ls /opt/crhq/app/releases").split()
    assert len(kept) <= 3 and releases["back"][name]["current"] in kept

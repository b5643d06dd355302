# -*- coding: utf-8 -*-
"""Releases of the app: a second release deploys, a release that fails its health check never serves, a rollback
serves the previous release again, another app deploys from a prebuilt wheel with its own contract, and the
collection's own release comes back idempotently.

Runs the converge playbook (tags `app`) seven times on both hosts at once: with copies of the reference app as
the source (a version 0.1.1, served as ASGI through uvicorn's worker, and one whose WSGI module raises at import), a
rollback, then twice with the wheel of molecule/site/other_app (app_wheel; the second run must change nothing) and
a rollback to the collection's release. Then a run that only changes what the serving release runs with (an
app_wsgi that names no callable) must be tried, fail and leave the serving release as it was."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys

import pytest
from crhq_testbed import PROJECT, app_user, get_host, group_hosts, https, run_playbook, web

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


OTHER_APP = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "other_app")


def other_app_wheel(base):
    """The stand-in app's wheel, built here as its authors would, outside the collection."""
    out, src = os.path.join(base, "other-wheel"), os.path.join(base, "other-src")
    shutil.copytree(OTHER_APP, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))  # builds write there
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                    "--wheel-dir", out, src], check=True, capture_output=True, text=True,
                   cwd=base, env=dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1"))
    wheels = [name for name in os.listdir(out) if name.endswith(".whl")]
    assert len(wheels) == 1, wheels
    return os.path.join(out, wheels[0])


def other_app_vars(wheel):
    """The other app's contract: its wheel, lock file, WSGI callable and command; no static files, no housekeeping,
    and no first admin (app_user is the reference app's)."""
    return json.dumps({
        "app_wheel": wheel, "app_requirements_file": os.path.join(OTHER_APP, "requirements.lock"),
        "app_wsgi": "crhq_other_app.wsgi:application", "app_command": "other-app",
        "app_migrate_args": ["migrate"], "app_migrate_check_args": ["migrate", "--check"],
        "app_static_args": [], "app_housekeeping_args": [], "app_admin_enabled": False,
    })


def asgi_state(host, helper):
    """What the release served as ASGI shows: its command line, and a full login through nginx TLS."""
    site = host.ansible.get_variables()["instance_hostname"]
    person = app_user(host, "asgi-user")
    jar = "%s-asgi" % host.backend.get_hostname()
    login = web(helper, site, jar, "login", "asgi-user", person["password"], "--totp", person["secret"])
    return {"exec": host.check_output("systemctl show --property ExecStart --value crhq-app.service"),
            "workers": host.check_output("ps -o args= -C gunicorn | sort -u"),
            "login": login[-1]["status"], "home": web(helper, site, jar, "get", "/")}


def links(host):
    return {name: os.path.basename(host.file("/opt/crhq/app/%s" % name).linked_to or "")
            for name in ("current", "previous")}


@pytest.fixture(scope="module", name="releases")
def fixture_releases(tmp_path_factory, helper):
    """Runs the seven deployments once for both hosts and records what each left behind."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    base = str(tmp_path_factory.mktemp("app-sources"))
    v2, broken = app_copy(base, "v2", version="0.1.1"), app_copy(base, "broken", version="0.1.2", broken=True)
    seen = {"before": {n: links(h) for n, h in hosts.items()}}
    seen["v2_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_source_dir=" + v2,
                                  "-e", "app_asgi=crhq_app.asgi:application").assert_ok()
    seen["v2"] = {n: links(h) for n, h in hosts.items()}
    seen["asgi"] = {n: asgi_state(h, helper) for n, h in hosts.items()}
    seen["broken_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_source_dir=" + broken)
    seen["broken"] = {n: links(h) for n, h in hosts.items()}
    seen["broken_health"] = {n: h.check_output("systemctl is-active crhq-app.service") for n, h in hosts.items()}
    seen["rollback_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_rollback=true").assert_ok()
    seen["rollback"] = {n: links(h) for n, h in hosts.items()}
    other = other_app_vars(other_app_wheel(base))
    seen["other_run"] = run_playbook("converge.yml", "--tags", "app", "-e", other).assert_ok()
    seen["other"] = {n: links(h) for n, h in hosts.items()}
    seen["other_page"] = {n: helper.check_output("curl -sf --max-time 10 --cacert /tmp/pebble-root.pem https://%s/",
                                                 h.ansible.get_variables()["instance_hostname"])
                          for n, h in hosts.items()}
    seen["other_units"] = {n: {"exec": h.check_output("systemctl show --property ExecStart --value crhq-app.service"),
                               "timer": h.run("systemctl is-enabled crhq-app-clearsessions.timer").stdout.strip(),
                               "schema": h.file("/var/lib/crhq-other-app/schema").content_string.strip()}
                           for n, h in hosts.items()}
    seen["other_again"] = run_playbook("converge.yml", "--tags", "app", "-e", other).assert_ok()
    seen["other_rollback_run"] = run_playbook("converge.yml", "--tags", "app", "-e", "app_rollback=true").assert_ok()
    seen["other_rollback"] = {n: links(h) for n, h in hosts.items()}
    seen["back_run"] = run_playbook("converge.yml", "--tags", "app").assert_ok()
    seen["back"] = {n: links(h) for n, h in hosts.items()}
    return seen


def test_second_release_serves_and_the_first_is_kept(host, releases):
    name = host.backend.get_hostname()
    before, after = releases["before"][name], releases["v2"][name]
    assert after["current"].startswith("0.1.1-") and after["previous"] == before["current"], (before, after)
    assert host.file("/opt/crhq/app/releases/%s/venv/bin/gunicorn" % before["current"]).exists


def test_the_release_serves_as_asgi_through_uvicorns_worker(host, releases):
    name = host.backend.get_hostname()
    state = releases["asgi"][name]
    assert "--worker-class uvicorn_worker.UvicornWorker crhq_app.asgi:application" in state["exec"], state["exec"]
    assert "crhq_app.wsgi" not in state["workers"], state["workers"]
    # the trial before it served ran the same way
    assert releases["v2"][name]["current"].startswith("0.1.1-")
    assert state["login"] == 302 and state["home"]["status"] == 200, state
    assert "Welcome, asgi-user" in state["home"]["body"], state["home"]


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


def test_another_app_deploys_from_a_prebuilt_wheel_with_its_own_contract(host, releases):
    name = host.backend.get_hostname()
    current, site = releases["other"][name]["current"], host.ansible.get_variables()["instance_hostname"]
    assert current.startswith("1.0.0-"), releases["other"][name]  # the wheel's version names the release
    assert releases["other"][name]["previous"] == releases["rollback"][name]["current"]
    # served through nginx TLS, with the host name from the environment file
    assert releases["other_page"][name] == "crhq-other-app 1.0.0 serving %s" % site
    units = releases["other_units"][name]
    assert "crhq_other_app.wsgi:application" in units["exec"], units
    assert units["schema"] == "1"  # its migrate command ran (as root, before the health check)
    assert units["timer"] == "disabled"  # no housekeeping wanted
    run = releases["other_run"]
    assert "Apply the migrations" in run.output
    assert host.file("/opt/crhq/app/releases/%s/wheels/requirements.lock" % current).exists
    assert not host.file("/opt/crhq/app/releases/%s/static" % current).exists
    assert releases["other_again"].recap[name]["changed"] == 0, releases["other_again"].output[-3000:]


def test_a_rollback_leaves_the_other_app_for_the_collection_release(host, releases):
    name = host.backend.get_hostname()
    assert releases["other_rollback"][name]["current"] == releases["rollback"][name]["current"]
    assert releases["other_rollback_run"].recap[name]["failed"] == 0


def test_the_collection_release_is_back_and_the_run_changes_nothing(host, helper, site, releases):
    name = host.backend.get_hostname()
    assert releases["back"][name]["current"] == releases["before"][name]["current"]
    assert releases["back_run"].recap[name]["changed"] == 0, releases["back_run"].output[-3000:]
    assert https(helper, site, "/healthz")[0] == 200
    assert host.check_output("systemctl is-enabled crhq-app-clearsessions.timer") == "enabled"
    kept = host.check_output("ls /opt/crhq/app/releases").split()
    assert len(kept) <= 3 and releases["back"][name]["current"] in kept


SERVICE_UNIT = "/etc/systemd/system/crhq-app.service"


def serving_state(host):
    """The serving release, its unit file and settings file as they are on disk, systemd's view of the unit, and the
    process that serves."""
    return {"links": links(host), "unit": host.file(SERVICE_UNIT).sha256sum, "env": host.file("/etc/crhq/app.env").sha256sum,
            # the command line only: systemd's ExecStart also shows the last start's time, pid and status
            "exec": re.search(r"argv\[\]=([^;]*)", host.check_output("systemctl show --property ExecStart --value crhq-app.service")).group(1).strip(),
            "pid": host.check_output("systemctl show --property MainPID --value crhq-app.service"),
            "copies": host.check_output("find /etc/systemd/system /etc/crhq -maxdepth 1 -name '*~'")}


@pytest.fixture(scope="module", name="settings_trial")
def fixture_settings_trial():
    """Last in this file, after the deployments, with the collection's release serving: one run on both hosts that
    changes only what the serving release runs with and works (two workers), then one limited to the tag app_config
    that also names no callable in app_wsgi (the trial's timeout shortened; it is in no file), then one that changes
    the workers again and whose migration fails, then one limited to the tag app_admin."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    seen = {"before": {n: serving_state(h) for n, h in hosts.items()}}
    seen["changed_run"] = run_playbook("converge.yml", "--tags", "app", "-e", json.dumps({"app_workers": 2})).assert_ok()
    seen["changed"] = {n: serving_state(h) for n, h in hosts.items()}
    seen["run"] = run_playbook("converge.yml", "--tags", "app_config", "-e", json.dumps(
        {"app_workers": 2, "app_wsgi": "crhq_app.wsgi:no_such_callable", "app_health_timeout": 10}))
    seen["after"] = {n: serving_state(h) for n, h in hosts.items()}
    # a settings change (three workers) in a run whose migration fails: the app's check is given an option it does not
    # know, so it says there is something to migrate, and the migration names an app that does not exist
    seen["migration_run"] = run_playbook("converge.yml", "--tags", "app", "-e", json.dumps(
        {"app_workers": 3, "app_migrate_check_args": ["migrate", "--check", "--no-such-option"],
         "app_migrate_args": ["migrate", "no_such_app"]}))
    seen["after_migration"] = {n: serving_state(h) for n, h in hosts.items()}
    seen["admin_run"] = run_playbook("converge.yml", "--tags", "app_admin")
    return seen


def test_a_settings_change_the_serving_release_fails_with_is_tried_first_and_put_back(host, helper, site, settings_trial):
    """#12 (stop 26 left it): a run that changes only the serving release's settings (app_wsgi, app_asgi, the
    settings file) used to write the unit and restart the app with no trial. Now the release is tried with them on
    its candidate unit first. A change that works is tried, then served after a restart, and the current and
    previous releases stay as they were. One that fails its trial: the unit file is put back as it was (no copy
    left beside it), systemd runs it, the process that served was never restarted and serves through nginx.
    Stop 28: the failing change comes in a run limited to the role's documented tag app_config, which failed then
    before any change ('app_in_place' is undefined: the role's read was tagged app_install), as app_admin alone did."""
    name = host.backend.get_hostname()
    # the working change: tried, then served after a restart; the current and previous releases stay as they were
    worked, before = settings_trial["changed_run"], settings_trial["changed"][name]
    trials = [block for block in worked.output.split("\nTASK [") if block.startswith("crhq.platform.app : Start the release on its trial")]
    assert any("changed: [%s]" % name in block for block in trials), worked.output[-3000:]
    assert before["links"] == settings_trial["before"][name]["links"], (settings_trial["before"][name], before)
    assert "--workers 2 " in before["exec"] and before["pid"] != settings_trial["before"][name]["pid"], before
    assert before["copies"] == ""
    # the failing change: tried, failed, put back
    run, after = settings_trial["run"], settings_trial["after"][name]
    assert run.returncode != 0 and run.recap[name]["failed"] == 1, run.output[-3000:]
    said = " ".join(" ".join(run.said(name)).split())
    assert "with the settings of this run failed its health check" in said, said[-2000:]
    assert "keeps serving, with the settings file and units it runs with (put back: %s" % SERVICE_UNIT in said, said[-2000:]
    assert "no_such_callable" in said  # the tail of the trial's own log: gunicorn could not find it
    assert "crhq_app.wsgi:application" in before["exec"] and after == before
    assert https(helper, site, "/healthz")[0] == 200
    assert host.check_output("systemctl list-units --no-legend --state=active 'crhq-app-candidate@*'") == ""
    # the first admin's tag alone: it runs and changes nothing
    admin = settings_trial["admin_run"].assert_ok()
    assert admin.recap[name]["changed"] == 0, admin.output[-3000:]


def test_a_failed_migration_puts_back_the_settings_it_wrote_and_leaves_no_copy(host, helper, site, settings_trial):
    """#12 (nothing half-applied): the settings file and units are written before the migration. A migration that
    failed left them on disk for the serving release's next restart, untried, with the template's `*~` copies
    beside them for good. Now the copies go back in place, systemd reads them, and the run fails naming the
    command and its output; the serving release was not restarted and serves."""
    name, run = host.backend.get_hostname(), settings_trial["migration_run"]
    assert run.returncode != 0 and run.recap[name]["failed"] == 1, run.output[-3000:]
    said = " ".join(" ".join(run.said(name)).split())
    assert "the migrations of release" in said and "failed (crhq-app migrate no_such_app exited 1)" in said, said[-2000:]
    assert "keeps serving, with the settings file and units it runs with (put back: %s" % SERVICE_UNIT in said, said[-2000:]
    assert "No installed app with label" in said, said[-2000:]  # the end of the command's own output
    before, after = settings_trial["after"][name], settings_trial["after_migration"][name]
    assert "--workers 3 " not in host.file(SERVICE_UNIT).content_string
    assert after == before, (before, after)  # same files, same process, no copy left
    assert https(helper, site, "/healthz")[0] == 200

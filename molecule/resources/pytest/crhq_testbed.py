# -*- coding: utf-8 -*-
"""pytest plugin shared by the molecule verifiers of crhq.platform.

Loaded by name (``PYTEST_PLUGINS=crhq_testbed``, with this folder on ``PYTHONPATH``: each scenario's
molecule.yml sets both in its verifier's env). It holds:

- the ``helper_only`` marker, for tests that need no converged host (scripts/test runs them during the converge);
- one playbook runner (``run_playbook``, ``converge``) that runs against the scenario's inventory;
- the check-mode and secret-scan checks (``converged_check_run``, ``first_converge_output``,
  ``secret_values``, ``assert_no_secret``);
- the outside-world helpers used from the helper container: HTTPS through nginx, a browser-like web client
  (``web``, crhq_webclient.py), nmap over IPv4 and IPv6, SSH attempts, and a probe listener that really
  listens on every address of a host.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import time

import pytest
import testinfra

RECAP = re.compile(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)
PROJECT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
NETWORK = os.environ.get("CRHQ_TESTBED_NETWORK", "crhq-testbed")
# apt-get as the tests run it on a host: it waits for dpkg's lock instead of failing at once, because the daily
# unattended-upgrades run (apt-daily-upgrade.timer, 06:00 plus up to an hour) can hold the lock at any point of a run
APT_GET = "DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 -qq -y"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "helper_only: needs the scenario's helper container and no converged host (a host the roles never ran on); "
        "scripts/test runs these while the converge runs, and the verify step after it leaves them out")


# ---------------------------------------------------------------------------------------------------------------
# Playbooks
# ---------------------------------------------------------------------------------------------------------------

class PlaybookRun:
    """The result of one ansible-playbook run: return code, output (stdout then stderr) and the parsed recap."""

    def __init__(self, proc, seconds=0.0):
        self.seconds = seconds  # how long the run took, for the timing line run_playbook prints
        self.returncode = proc.returncode
        self.stdout, self.stderr = proc.stdout, proc.stderr
        self.output = proc.stdout + proc.stderr  # ansible-core 2.19 prints a task's failure on stderr
        self.recap = parse_recap(proc.stdout)

    def assert_ok(self):
        assert self.returncode == 0, self.output[-5000:]
        assert self.recap, "no PLAY RECAP in the run:\n" + self.output[-3000:]
        return self

    def said(self, name, status="fatal"):
        """What the run printed for one host with that status (`fatal`, `ok`, ...), each result as its text: tells
        apart the messages of hosts that one run covered together."""
        blocks, current = [], None
        for line in self.output.splitlines():
            if line[:1].strip():  # a line at the margin starts a result, a task or the recap
                current = [] if line.startswith("%s: [%s]" % (status, name)) else None
                if current is not None:
                    blocks.append(current)
            if current is not None:
                current.append(line)
        return ["\n".join(block) for block in blocks]


def parse_recap(text):
    """{host: {ok, changed, unreachable, failed}} from a PLAY RECAP."""
    return {m.group(1): {"ok": int(m.group(2)), "changed": int(m.group(3)), "unreachable": int(m.group(4)),
                         "failed": int(m.group(5))} for m in RECAP.finditer(text)}


def playbook_path(playbook):
    """A playbook of the scenario (``converge.yml``), of the collection (``playbooks/restore.yml``), or a path."""
    if os.path.isabs(playbook):
        return playbook
    if playbook.startswith("playbooks/"):
        return os.path.join(PROJECT, playbook)
    return os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], playbook)


def run_playbook(playbook, *args, limit=None, timeout=1800, inventory=None):
    """Run a playbook against the scenario's inventory (or another one) as an operator would; returns a PlaybookRun
    (no assertion)."""
    command = ["ansible-playbook", "-i", inventory or os.environ["MOLECULE_INVENTORY_FILE"], playbook_path(playbook), *args]
    if limit:
        command += ["-l", limit]
    started = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, check=False, timeout=timeout)
    run = PlaybookRun(proc, time.monotonic() - started)
    shown = ["..." if previous == "-e" else arg for previous, arg in zip(("",) + args, args)]  # no value of -e
    print("[playbook] %s %s: %.0f s" % (playbook, " ".join(shown + (["-l", limit] if limit else [])), run.seconds))
    return run


def converge(*args, limit=None):
    """The scenario's converge playbook again, which must succeed; returns the PlaybookRun."""
    return run_playbook("converge.yml", *args, limit=limit).assert_ok()


@pytest.fixture(scope="session", name="converged_check_run")
def fixture_converged_check_run():
    """A --check --diff -vvv re-run of the converge playbook on the converged hosts (run once, on first use)."""
    return run_playbook("converge.yml", "--check", "--diff", "-vvv").assert_ok()


@pytest.fixture(scope="session", name="first_converge_output")
def fixture_first_converge_output():
    """The -vvv output of the scenario's first converge, the run in which every key, token and password was made.

    scripts/test runs that converge with -vvv into the file named by CRHQ_CONVERGE_LOG."""
    path = os.environ.get("CRHQ_CONVERGE_LOG", "")
    if not path or not os.path.isfile(path):
        pytest.fail("CRHQ_CONVERGE_LOG does not name the first converge's -vvv log (%r): run the scenario with "
                    "scripts/test molecule, or `molecule converge -- -vvv > LOG` and export CRHQ_CONVERGE_LOG=LOG" % path)
    with open(path, encoding="utf-8", errors="replace") as handle:
        output = handle.read()
    assert "PLAY RECAP" in output and "<" in output, "%s is not a -vvv converge log" % path
    return output


def assert_check_mode_clean(run, names):
    """Every named host reported changed=0 and failed=0 in a check-mode run."""
    for name in names:
        assert name in run.recap, (name, run.recap)
        assert run.recap[name]["changed"] == 0 and run.recap[name]["failed"] == 0, run.recap


# ---------------------------------------------------------------------------------------------------------------
# Secrets
# ---------------------------------------------------------------------------------------------------------------

def secret_values(host, paths):
    """Every secret string stored in the given files on the host (keyring keys, tokens, passwords, codes)."""
    values = []
    for path in paths:
        text = host.check_output("cat %s", path)
        values += re.findall(r'"key":\s*"([^"]+)"', text)
        values += re.findall(r"[?&]secret=([A-Z2-7]+)", text)  # the TOTP secret inside an otpauth:// URI
        if not text.lstrip().startswith("{"):
            values += [line.strip() for line in text.splitlines() if line.strip()]
    assert values, "no secret material found in %s" % paths
    assert all(len(value) >= 16 for value in values), "a secret this short would match by chance: %s" % paths
    return values


def assert_no_secret(output, values, where):
    leaked = [value[:6] + "..." for value in values if value in output]
    assert not leaked, "%d secret value(s) appear in %s: %s" % (len(leaked), where, leaked)


# ---------------------------------------------------------------------------------------------------------------
# Hosts and the outside world
# ---------------------------------------------------------------------------------------------------------------

def get_host(name):
    """A testinfra host of the scenario's inventory, by inventory name."""
    return testinfra.get_host("ansible://" + name, ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"])


def group_hosts(group):
    """The inventory names of a group, sorted."""
    return sorted(h.backend.get_hostname() for h in
                  testinfra.get_hosts(["ansible://" + group], ansible_inventory=os.environ["MOLECULE_INVENTORY_FILE"]))


def addresses(container, network=NETWORK):
    """(IPv4, IPv6) of a test container on the project's network, from the Docker engine."""
    out = subprocess.run(["docker", "inspect", "-f", "{{json .NetworkSettings.Networks}}", container],
                         capture_output=True, text=True, check=True).stdout
    net = json.loads(out)[network]
    return net["IPAddress"], net["GlobalIPv6Address"]


@pytest.fixture(scope="session", name="helper")
def fixture_helper():
    """The container that plays the outside world (group `helper`): Pebble, testssl, nmap, curl, an SSH client.

    Pebble makes a new issuing root at every start: it is fetched once to /tmp/pebble-root.pem, the trust anchor
    for HTTPS checks of the CRHQ hosts."""
    names = group_hosts("helper")
    assert len(names) == 1, "the scenario needs exactly one host in the group helper: %s" % names
    helper = get_host(names[0])
    helper.check_output("curl -sf --cacert /etc/pebble/api-ca.crt https://localhost:15000/roots/0 -o /tmp/pebble-root.pem")
    helper.check_output("mkdir -p %s", os.path.dirname(WEBCLIENT))
    for path in (WEBCLIENT, BROWSER):
        subprocess.run(["docker", "cp", os.path.join(os.path.dirname(__file__), os.path.basename(path)),
                        "%s:%s" % (names[0], path)], check=True, capture_output=True)
    return helper


def app_user(host, name, *options):
    """A test user of the app, made with the app's own `crhq-app ensure_user` on the host (`--enrol-totp
    --show-totp-uri --force` and any further options); its JSON result plus `password` and, when this run
    enrolled TOTP, `secret` (the base32 TOTP secret)."""
    password = "pw-%s-correct-horse-battery" % name
    host.check_output("umask 077; printf %%s %s > /root/%s.pw", password, name)
    out = host.check_output("set -a; . /etc/crhq/app.env; set +a; /opt/crhq/app/current/venv/bin/crhq-app ensure_user "
                            "--username %s --password-file /root/%s.pw --enrol-totp --show-totp-uri --force %s"
                            % (name, name, " ".join(shlex.quote(o) for o in options)))
    result = json.loads(out.splitlines()[-1])
    result["password"] = password
    if "otpauth_uri" in result:
        result["secret"] = re.search(r"secret=([A-Z2-7]+)", result["otpauth_uri"]).group(1)
    return result


APP_COMMAND = "set -a; . /etc/crhq/app.env; set +a; /opt/crhq/app/current/venv/bin/crhq-app"

# every value the app stores (credentials and their versions) decrypted, in a stable order, hashed; and the key ids
CREDENTIAL_SURVEY = r'''
import hashlib, json
from collections import Counter
from crhq_app import crypto
from crhq_app.vault.models import Credential, CredentialVersion, value_context, version_context
digest, kids, count = hashlib.sha256(), Counter(), 0
for row in Credential.objects.order_by("name").iterator(chunk_size=2000):
    digest.update(row.name.encode() + b"=" + crypto.decrypt(row.value, value_context(row.pk)).encode() + b"\0")
    kids[row.value.split(".")[2]] += 1
    count += 1
for row in CredentialVersion.objects.order_by("credential__name", "version").iterator(chunk_size=2000):
    digest.update(crypto.decrypt(row.value, version_context(row.credential_id, row.version)).encode() + b"\0")
    kids[row.value.split(".")[2]] += 1
    count += 1
print(json.dumps({"count": count, "digest": digest.hexdigest(), "key_ids": kids}))
'''


def app_shell(host, code):
    """Run Python `code` in the app's Django shell on the host (as root, with the app's settings); its output."""
    host.check_output("umask 077; cat > /root/crhq-test-shell.py << 'CRHQ_EOF'\n%s\nCRHQ_EOF" % code)
    try:
        return host.check_output(APP_COMMAND + " shell -c \"exec(open('/root/crhq-test-shell.py').read())\"")
    finally:
        host.run("rm -f /root/crhq-test-shell.py")


def credential_survey(host):
    """{count, digest, key_ids} of every stored credential value and version, decrypted on the host."""
    return json.loads(app_shell(host, CREDENTIAL_SURVEY).splitlines()[-1])


WEBCLIENT = "/usr/local/lib/crhq-test/crhq_webclient.py"
BROWSER = "/usr/local/lib/crhq-test/crhq_browser.py"
ARTIFACTS = os.path.join(PROJECT, ".tmp", "artifacts")


def web(helper, site, jar, *args):
    """One step of a browser-like HTTPS session from the helper (crhq_webclient.py), as parsed JSON; ``jar`` names
    the session (its cookie jar file in the helper)."""
    argv = ["python3", WEBCLIENT, "--site", site, "--jar", "/tmp/crhq-web-%s.jar" % jar] + [str(a) for a in args]
    return json.loads(helper.check_output(" ".join(shlex.quote(a) for a in argv)))


def browser_login(helper, site, username, password, totp_secret, screenshot):
    """Headless Chromium in the helper logs in (crhq_browser.py); returns what it saw. The screenshot is copied to
    .tmp/artifacts/<screenshot>. Chromium trusts Pebble's current root through root's NSS database."""
    nssdb = "sql:/root/.pki/nssdb"
    helper.check_output("mkdir -p /root/.pki/nssdb && (certutil -d %s -L >/dev/null 2>&1 || certutil -d %s -N "
                        "--empty-password) && (certutil -d %s -D -n pebble >/dev/null 2>&1; true) && "
                        "certutil -d %s -A -t C,, -n pebble -i /tmp/pebble-root.pem", nssdb, nssdb, nssdb, nssdb)
    helper.check_output("umask 077; printf %%s %s > /tmp/crhq-browser.pw", password)
    try:
        out = helper.check_output("python3 %s --site %s --user %s --password-file /tmp/crhq-browser.pw --totp-secret %s "
                                  "--screenshot /tmp/%s", BROWSER, site, username, totp_secret, screenshot)
    finally:
        helper.run("rm -f /tmp/crhq-browser.pw")
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["docker", "cp", "%s:/tmp/%s" % (helper.backend.get_hostname(), screenshot),
                    os.path.join(ARTIFACTS, screenshot)], check=True, capture_output=True)
    return json.loads(out)


def https(helper, site, path, extra=""):
    """(status, headers) of a GET through nginx TLS from the helper, verified against Pebble's root."""
    out = helper.check_output(
        "curl -s -o /dev/null -D - --max-time 10 --cacert /tmp/pebble-root.pem %s https://%s%s", extra, site, path)
    status = int(out.splitlines()[0].split()[1])
    headers = {}
    for line in out.splitlines()[1:]:
        if ":" in line:
            key, value = line.split(":", 1)
            headers[key.strip().lower()] = value.strip()
    return status, headers


def nmap(helper, address, ports, syn=True):
    """{port: state} of a TCP scan from the helper; IPv6 when the address has a colon."""
    family = "-6" if ":" in address else ""
    scan = helper.check_output("nmap -Pn %s %s -T4 --max-retries 1 -p %s -oG - %s", family, "-sS" if syn else "-sT",
                               ",".join(str(p) for p in ports), address)
    states = dict(re.findall(r"(\d+)/(\w+)/tcp", scan))
    assert all(str(p) in states for p in ports), scan
    return states


@contextlib.contextmanager
def probe_listener(host, port):
    """A throwaway HTTP listener on every address of the host (``::`` with IPv4 mapped: 0.0.0.0 and ::), proven to
    answer inside the host on 127.0.0.1, ::1 and the host's own network addresses before the caller probes it."""
    unit = "crhq-probe-%d" % port
    host.run("systemctl stop %s", unit)
    host.check_output("install -d -m 0755 /srv/crhq-probe && systemd-run --unit %s python3 -m http.server %s --bind :: "
                      "--directory /srv/crhq-probe", unit, str(port))
    try:
        own = host.check_output("hostname -I").split()
        targets = ["127.0.0.1", "[::1]"] + ["[%s]" % a if ":" in a else a for a in own]
        for target in targets:
            deadline = time.time() + 20
            while host.run("curl -s -o /dev/null --max-time 2 http://%s:%s/", target, str(port)).rc != 0:
                assert time.time() < deadline, "the probe listener does not answer on %s:%d inside the host" % (target, port)
                time.sleep(0.5)
        listening = host.check_output("ss -Htln 'sport = :%s'", str(port))
        assert "[::]:%d" % port in listening or "*:%d" % port in listening, listening
        yield
    finally:
        host.run("systemctl stop %s", unit)


def ssh_attempt(helper, user, target, *options):
    """One SSH login attempt from the helper (batch mode: never prompts; extra ssh options as separate arguments);
    returns testinfra's CommandResult."""
    command = ["ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
               "-o", "ConnectTimeout=5", *options, "%s@%s" % (user, target), "true"]
    return helper.run(" ".join(["%s"] * len(command)), *command)


@contextlib.contextmanager
def fresh_container(name, image="crhq/debian12-systemd:latest"):
    """A systemd container from a test-bed base image, prepared as scripts/demo prepares its container (apt cache,
    the verifiers' tools, root's key) and removed afterwards; yields the path of a one-host inventory (group
    `crhq`) for run_playbook. The container options are scripts/lib.sh's, read from there."""
    inventory = os.path.join(PROJECT, ".tmp", "%s-inventory.yml" % name)
    subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
    start = ('. "%s/scripts/lib.sh"; docker run -d --name "$1" --hostname "$1" --network "$2" "${SYSTEMD_RUN_OPTS[@]}" '
             '"$3" /lib/systemd/systemd' % PROJECT)
    subprocess.run(["bash", "-c", start, "start", name, NETWORK, image], capture_output=True, check=True)
    try:
        os.makedirs(os.path.dirname(inventory), exist_ok=True)
        with open(inventory, "w", encoding="utf-8") as handle:
            json.dump({"crhq": {"hosts": {name: {"ansible_connection": "community.docker.docker"}},
                                "vars": {"ansible_python_interpreter": "/usr/bin/python3", "certbot_mode": "self_signed",
                                         "instance_hostname": "%s.test" % name}}}, handle)
        run_playbook(os.path.join(PROJECT, "molecule", "resources", "prepare.yml"), inventory=inventory).assert_ok()
        yield inventory
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        with contextlib.suppress(FileNotFoundError):
            os.remove(inventory)

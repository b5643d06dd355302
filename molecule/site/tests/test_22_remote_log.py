# -*- coding: utf-8 -*-
"""#12: logs that outlive the server. With hardening_remote_log_enabled, rsyslog on each host sends every message
to a log server over TLS and trusts only the CA it was given for that server's name.

The helper runs a real rsyslog TLS receiver (imtcp with the gtls driver) whose certificate a test CA signed for the
helper's name. First both hosts are given another CA: each host connects and breaks the session off (the receiver
accepts any client, so only the host's check of its certificate can do that), and a message logged then does not
reach the receiver. Then the right CA: a new message arrives. The receiver stops for a while: what the hosts log
meanwhile follows once it is back. The run after that changes nothing; lynis audits both hosts with the option on;
turning it off removes the rule and its CA."""

from __future__ import annotations

import concurrent.futures
import json
import re
import time

import pytest
from crhq_testbed import APT_GET, addresses, converge, get_host, group_hosts

testinfra_hosts = ["ansible://crhq"]

DIR = "/tmp/crhq-log-server"
PORT = 6514
RULE = "/etc/rsyslog.d/60-crhq-remote.conf"
QUEUE = "/var/spool/rsyslog/crhq-remote.*"
CA = "/etc/rsyslog.d/crhq-remote-ca.pem"
# what the receiver logs when a client breaks off the TLS session (it accepts any client, so only the client's own
# check of the server's certificate can do that)
BROKEN_OFF = "will be closed due to error"

RECEIVER = """
module(load="imtcp" StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon")
global(DefaultNetstreamDriverCAFile="{dir}/ca.pem" DefaultNetstreamDriverCertFile="{dir}/server.pem"
       DefaultNetstreamDriverKeyFile="{dir}/server.key")
input(type="imtcp" port="{port}")
*.* action(type="omfile" file="{dir}/received.log")
"""


def start_receiver(helper):
    helper.check_output("rsyslogd -f %s/rsyslog.conf -i %s/rsyslogd.pid", DIR, DIR)
    for _attempt in range(50):
        if helper.run("ss -Htln 'sport = :%d' | grep -q LISTEN" % PORT).rc == 0:
            return
        time.sleep(0.2)
    pytest.fail("the log server did not listen on %d: %s" % (PORT, helper.run("cat %s/*.log" % DIR).stdout))


def stop_receiver(helper):
    helper.run("kill $(cat %s/rsyslogd.pid)", DIR)
    for _attempt in range(50):
        if helper.run("ss -Htln 'sport = :%d' | grep -q LISTEN" % PORT).rc != 0:
            return
        time.sleep(0.2)


def make_ca(helper, name):
    helper.check_output("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=%s "
                        "-keyout %s/%s.key -out %s/%s.pem 2>/dev/null", name, DIR, name, DIR, name)
    return helper.check_output("cat %s/%s.pem", DIR, name)


@pytest.fixture(scope="module", name="log_server")
def fixture_log_server(helper):
    """The receiver on the helper, for the helper's name, its certificate signed by the CA `ca`; `other_ca` signs
    nothing the receiver shows. Stopped at the end (the forwarding fixture turns the option off again)."""
    name = helper.backend.get_hostname()
    helper.check_output(APT_GET + " install --no-install-recommends rsyslog rsyslog-gnutls >/dev/null")
    helper.check_output("rm -rf %s && mkdir -m 0700 %s", DIR, DIR)
    ca, other_ca = make_ca(helper, "ca"), make_ca(helper, "other-ca")
    helper.check_output(
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=%s -keyout %s/server.key "
        "-out %s/server.csr 2>/dev/null && printf 'subjectAltName=DNS:%s\\n' > %s/san.ext && openssl x509 -req "
        "-in %s/server.csr -CA %s/ca.pem -CAkey %s/ca.key -CAcreateserial -days 2 -extfile %s/san.ext "
        "-out %s/server.pem 2>/dev/null", name, DIR, DIR, name, DIR, DIR, DIR, DIR, DIR, DIR)
    helper.check_output("printf '%%s' %s > %s/rsyslog.conf && rsyslogd -N1 -f %s/rsyslog.conf",
                        RECEIVER.format(dir=DIR, port=PORT), DIR, DIR)
    start_receiver(helper)
    settings = {"hardening_remote_log_enabled": True, "hardening_remote_log_host": name}
    yield {"name": name, "with_other_ca": dict(settings, hardening_remote_log_ca=other_ca),
           "with_ca": dict(settings, hardening_remote_log_ca=ca)}
    stop_receiver(helper)


def lynis_report(host):
    host.check_output(APT_GET + " install lynis >/dev/null")
    host.run("lynis audit system --quick --no-colors > /tmp/lynis.txt 2>&1")
    return host.check_output("cat /var/log/lynis-report.dat")


def lynis_reports(hosts):
    """lynis's report of every host, the audits run side by side (each spends much of its time waiting on its
    container's processes, and one alone keeps one core busy)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(hosts)) as pool:
        futures = {name: pool.submit(lynis_report, host) for name, host in hosts.items()}
        return {name: future.result() for name, future in futures.items()}


def received(helper):
    return helper.run("cat %s/received.log", DIR).stdout


def wait_for(helper, token, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if token in received(helper):
            return True
        time.sleep(1)
    return False


@pytest.fixture(scope="module", name="forwarding")
def fixture_forwarding(helper, log_server):
    """Both hosts through the runs, and what the receiver got after each; the option off again at the end."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    stamp = int(time.time())
    tokens = {name: {kind: "crhq-remote-%s-%s-%d" % (kind, name, stamp) for kind in ("refused", "sent", "waited")}
              for name in hosts}
    for host in hosts.values():  # nothing queued by an earlier run of this test
        host.run("systemctl stop rsyslog; rm -f " + QUEUE)  # a glob: not quoted
    since = helper.check_output("date '+%Y-%m-%d %H:%M:%S'")  # no arguments: testinfra formats nothing
    receiver = helper.check_output("cat %s/rsyslogd.pid", DIR)
    seen = {"refused_run": converge("--tags", "hardening_remote_log", "-e", json.dumps(log_server["with_other_ca"]),
                                    limit="crhq")}
    for name, host in hosts.items():
        host.check_output("logger -t crhq-test %s", tokens[name]["refused"])
    # rsyslog connects at once to send the message (and again every few seconds): wait until the receiver has seen
    # each host break the session off
    seen["errors"] = {}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(seen["errors"]) < len(hosts):
        journal = helper.run("journalctl _PID=%s --since %s --no-pager -o cat", receiver, since).stdout
        for name in hosts:
            lines = [line for line in journal.splitlines()
                     if BROKEN_OFF in line and any(" from %s " % address in line for address in addresses(name))]
            if lines:
                seen["errors"][name] = lines
        time.sleep(1)
    seen["while_refused"] = received(helper)
    converge("--tags", "hardening_remote_log", "-e", json.dumps(log_server["with_ca"]), limit="crhq")  # must succeed
    for name, host in hosts.items():
        host.check_output("logger -t crhq-test %s", tokens[name]["sent"])
    seen["arrived"] = {name: wait_for(helper, tokens[name]["sent"], 60) for name in hosts}
    # the server goes away for a while: what is logged meanwhile waits in the host's queue and follows (the first
    # message after it went may vanish into the dead connection, as with any TCP syslog; the ones after it wait)
    stop_receiver(helper)
    for name, host in hosts.items():
        host.check_output("for n in 1 2 3; do logger -t crhq-test %s-$n; sleep 1; done", tokens[name]["waited"])
    seen["while_gone"] = received(helper)
    start_receiver(helper)
    seen["followed"] = {name: wait_for(helper, tokens[name]["waited"] + "-3", 90) for name in hosts}
    seen["rule"] = {name: host.file(RULE).content_string for name, host in hosts.items()}
    seen["again"] = converge("--tags", "hardening_remote_log", "-e", json.dumps(log_server["with_ca"]), limit="crhq")
    seen["lynis"] = lynis_reports(hosts)  # every decision of the README made, remote logging included
    seen["off"] = converge("--tags", "hardening_remote_log", limit="crhq")
    seen["left"] = {name: [path for path in (RULE, CA) if host.file(path).exists] for name, host in hosts.items()}
    return {"seen": seen, "tokens": tokens}


def test_logs_reach_only_the_server_whose_certificate_the_given_ca_signed(host, helper, forwarding, log_server):
    name = host.backend.get_hostname()
    seen, tokens = forwarding["seen"], forwarding["tokens"][name]
    assert seen["refused_run"].recap[name]["changed"] > 0
    # the host broke off the session with a server its CA did not sign (the same server later gets the messages)
    assert name in seen["errors"], "the host never refused the server: %s" % host.run(
        "journalctl -u rsyslog --since '-10min' --no-pager -o cat | tail -20").stdout
    assert tokens["refused"] not in seen["while_refused"], "a server the CA did not sign got the message"
    assert 'target="%s"' % log_server["name"] in seen["rule"][name]
    assert seen["arrived"][name], "the message did not reach the log server: %s" % received(helper)[-500:]
    assert tokens["waited"] + "-3" not in seen["while_gone"]  # the precondition: it was not there before
    assert seen["followed"][name], "what was logged while the server was away never followed: %s" % host.run(
        "journalctl -u rsyslog --since '-5min' --no-pager -o cat | tail -20").stdout
    assert seen["again"].recap[name]["changed"] == 0, seen["again"].output[-3000:]
    assert seen["off"].recap[name]["changed"] > 0 and seen["left"][name] == [], seen["left"]


def test_lynis_hardening_index(host, forwarding):
    """lynis on each host with every decision the README asks of an operator made (remote logging on)."""
    report = forwarding["seen"]["lynis"][host.backend.get_hostname()]
    index = int(re.search(r"^hardening_index=(\d+)$", report, re.M).group(1))
    suggestions = re.findall(r"^suggestion\[\]=(.*)$", report, re.M)
    print("lynis on %s: hardening index %d, %d suggestions" % (host.backend.get_hostname(), index, len(suggestions)))
    for line in suggestions:
        print("  " + line)
    assert not [line for line in suggestions if line.startswith("LOGG-2154")], "lynis did not see the remote logging"
    # The target (issue #5) is defined on Debian 12 with its lynis 3.0.8: fresh container 57, devsec.hardening
    # 10.6.0 os+ssh 70, target 80 (measured 81). Debian 13 ships lynis 3.1.4, which weighs the same host
    # differently (measured 79 after the hardening role); its floor guards against regressions.
    floor = 80 if host.system_info.codename == "bookworm" else 78
    assert index >= floor, "lynis %d < %d on %s" % (index, floor, host.system_info.codename)
    # #12 asks for at most 15: measured 15 on both (2026-12-02, remote logging on and the assembler root-only, which
    # took one on Debian 12, the only one of the two with binutils). The rest ask for a tool, a partition, a kernel
    # setting a container cannot take, or an operator's decision (roles/hardening/README.md)
    ceiling = 15
    assert len(suggestions) <= ceiling, "lynis made %d suggestions > %d on %s" % (
        len(suggestions), ceiling, host.system_info.codename)

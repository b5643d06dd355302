# -*- coding: utf-8 -*-
"""Extra pg_hba entries from the inventory are live, between the role's own lines and its rejects; an entry the
preflight refuses changes nothing; and a pg_hba.conf PostgreSQL rejects is put back before anything loads it.

The scenario's inventory (molecule.yml, provisioner.inventory.group_vars.crhq) gives the entries of INVENTORY:

    postgresql_hba_extra_entries:
      - type: host
        database: crhq
        user: crhq
        address: 10.99.0.0/24
        method: scram-sha-256
        comment: test_31 - an extra entry from the inventory
      - type: hostssl
        database: crhq
        user: crhq
        address: fd00:99::7
        method: scram-sha-256
"""

from __future__ import annotations

import json
import re

import pytest
from crhq_testbed import get_host, group_hosts, run_playbook

testinfra_hosts = ["ansible://crhq"]

INVENTORY = [
    {"type": "host", "database": "crhq", "user": "crhq", "address": "10.99.0.0/24", "method": "scram-sha-256",
     "comment": "test_31 - an extra entry from the inventory"},
    {"type": "hostssl", "database": "crhq", "user": "crhq", "address": "fd00:99::7", "method": "scram-sha-256"},
]
# the rows pg_hba_file_rules shows for them: type, database, user, address, netmask, method, options
INVENTORY_ROWS = [
    ("host", "crhq", "crhq", "10.99.0.0", "255.255.255.0", "scram-sha-256", ""),
    ("hostssl", "crhq", "crhq", "fd00:99::7", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "scram-sha-256", ""),
]
# the role's last own line, after which the extra entries come
OWN_LAST = ("host", "crhq", "crhq", "::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "scram-sha-256", "")

RULES = ("select line_number, coalesce(type, ''), array_to_string(database, ','), array_to_string(user_name, ','), "
         "coalesce(address, ''), coalesce(netmask, ''), coalesce(auth_method, ''), "
         "coalesce(array_to_string(options, ' '), ''), coalesce(error, '') from pg_hba_file_rules order by line_number")


def sql(host, query):
    return host.check_output("runuser -u postgres -- psql -qAt -c \"%s\"" % query)


def rules(host):
    """The rules PostgreSQL reads from the pg_hba.conf on disk (what a reload or a restart would load), in order:
    (line, (type, database, user, address, netmask, method, options), error)."""
    rows = []
    for line in sql(host, RULES).splitlines():
        fields = line.split("|")
        assert len(fields) == 9, line
        rows.append((int(fields[0]), tuple(fields[1:8]), fields[8]))
    return rows


def assert_no_error(rows):
    # a line PostgreSQL cannot use shows with an error, or with no type at all (some bad option values)
    bad = [(line, error) for line, rule, error in rows if error or not rule[0]]
    assert not bad, bad


def hba_state(host):
    """(path, sha256, other pg_hba.conf* files in its directory, time of the server's last configuration load)."""
    path = sql(host, "show hba_file")
    digest = host.check_output("sha256sum %s", path).split()[0]
    others = host.check_output("find %s -maxdepth 1 -name 'pg_hba.conf*' ! -name pg_hba.conf", path.rsplit("/", 1)[0])
    return path, digest, others, sql(host, "select pg_conf_load_time()")


def converge_postgresql(host, entries):
    """The converge playbook, tags postgresql, on this host only, with these entries instead of the inventory's."""
    return run_playbook("converge.yml", "--tags", "postgresql", "-e",
                        json.dumps({"postgresql_hba_extra_entries": entries}), limit=host.backend.get_hostname())


def test_the_inventory_gives_the_extra_entries(host):
    assert host.ansible.get_variables().get("postgresql_hba_extra_entries") == INVENTORY, (
        "molecule.yml must give postgresql_hba_extra_entries under group_vars crhq (see this file's docstring)")


def test_extra_entries_are_live_after_the_roles_lines_and_before_the_rejects(host):
    rows = rules(host)
    assert_no_error(rows)
    found = [row[1] for row in rows]
    first_reject = next(index for index, rule in enumerate(found) if rule[5] == "reject")
    positions = [found.index(rule) for rule in INVENTORY_ROWS if rule in found]
    assert len(positions) == len(INVENTORY_ROWS), (INVENTORY_ROWS, found)
    # in the order given, right after the role's own lines, all before the first reject (first match wins)
    assert positions == list(range(found.index(OWN_LAST) + 1, first_reject)), found
    assert all(rule[5] == "reject" for rule in found[first_reject:]), found
    state = hba_state(host)
    path, others = state[0], state[2]
    text = host.file(path).content_string
    assert "# test_31 - an extra entry from the inventory\nhost    crhq                     crhq" in text
    assert others == "", "backups left next to pg_hba.conf: %s" % others


def test_a_refused_method_fails_in_the_preflight_and_changes_nothing(host):
    name = host.backend.get_hostname()
    before = hba_state(host)
    run = converge_postgresql(host, INVENTORY + [dict(INVENTORY[0], method="md5", comment="")])
    assert run.returncode != 0 and run.recap[name]["failed"] == 1, run.output[-3000:]
    assert run.recap[name]["changed"] == 0, run.recap
    assert "postgresql_hba_extra_entries[2]: method 'md5' is refused: the collection promises scram-sha-256" \
        in run.output, run.output[-3000:]
    # refused by the preflight's check of the variables, before the role's tasks ran on any host
    assert "Validate postgresql_hba_extra_entries" in run.output and "Client authentication" not in run.output
    assert hba_state(host) == before


@pytest.fixture(scope="module", name="rejected_run")
def fixture_rejected_run():
    """One postgresql run for both hosts with an entry PostgreSQL refuses (a run costs about the same for two hosts
    as for one), and each host's pg_hba state before and after it."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    before = {name: hba_state(host) for name, host in hosts.items()}
    bad = {"type": "host", "database": "crhq", "user": "crhq", "address": "10.98.0.0/24", "method": "scram-sha-256",
           "options": "map=crhq", "comment": "test_31 - PostgreSQL refuses map with scram"}
    run = run_playbook("converge.yml", "--tags", "postgresql", "-e",
                       json.dumps({"postgresql_hba_extra_entries": INVENTORY + [bad]}))
    return {"run": run, "before": before, "after": {name: hba_state(host) for name, host in hosts.items()}}


def test_a_pg_hba_postgresql_rejects_is_put_back_and_never_loaded(host, rejected_run):
    """An entry the collection's checks accept but PostgreSQL refuses (map= belongs to peer, ident, gss, sspi and
    cert, not scram; which option fits which method is PostgreSQL's to say): the written file fails
    pg_hba_file_rules, the previous one is back before the run fails, no reload happened (pg_conf_load_time is
    unchanged) and no backup is left. pg_hba_file_rules reads the file on disk, so a clean result after the run
    also means the next restart loads a good file."""
    name, run = host.backend.get_hostname(), rejected_run["run"]
    assert run.returncode != 0 and run.recap[name]["failed"] == 1, run.output[-3000:]
    said = run.said(name)
    assert len(said) == 1 and re.search(r"fails PostgreSQL's check: line \d+: authentication option \\?\"map\\?\" is only "
                                        r"valid for authentication methods ident, peer", said[0]), said or run.output[-3000:]
    assert "scram-sha-256 map=crhq]" in said[0] and "The previous file is back in place" in said[0]
    assert rejected_run["after"][name] == rejected_run["before"][name], rejected_run
    assert_no_error(rules(host))
    assert [row[1] for row in rules(host) if row[1][3] == "10.98.0.0"] == []

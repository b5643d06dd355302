# -*- coding: utf-8 -*-
"""The postgresql role reads its roles, ownership and privileges in one query and runs only the tasks whose part
differs. A read that wrongly called something "in place" would leave it broken: here every part is broken by hand
first (the precondition is checked), then one tag-limited run repairs each of them, and the run after changes
nothing; both hosts are broken first and the same two runs cover both. The runtime role logs in again with the
password file the app holds."""

from __future__ import annotations

import pytest

from crhq_testbed import converge, get_host, group_hosts

testinfra_hosts = ["ansible://crhq"]

APP_PSQL = ("PGPASSWORD=$(cat /etc/crhq/keys/db-app.password) psql -h /run/postgresql -U crhq_app -d crhq "
            "-v ON_ERROR_STOP=1 -qAt")
PSQL = "runuser -u postgres -- psql -d crhq -v ON_ERROR_STOP=1 -qAt -c \"%s\""

# each statement breaks one part database.yml manages, with the query that shows whether it is as the role makes it
DRIFT = [
    ("owner role flags", "ALTER ROLE crhq CREATEDB",
     "select not rolcreatedb from pg_roles where rolname = 'crhq'"),
    ("runtime role inheritance", "ALTER ROLE crhq_app INHERIT",
     "select not rolinherit from pg_roles where rolname = 'crhq_app'"),
    ("schema owner", "ALTER SCHEMA public OWNER TO postgres",
     "select nspowner::regrole::text = 'crhq' from pg_namespace where nspname = 'public'"),
    ("PUBLIC on the database", "GRANT CONNECT ON DATABASE crhq TO PUBLIC",
     "select not has_database_privilege('public', 'crhq', 'CONNECT')"),
    ("default privileges", "ALTER DEFAULT PRIVILEGES FOR ROLE crhq IN SCHEMA public REVOKE DELETE ON TABLES FROM crhq_app",
     "select count(*) = 1 from pg_default_acl d, aclexplode(d.defaclacl) a where d.defaclobjtype = 'r' "
     "and a.grantee = 'crhq_app'::regrole and a.privilege_type = 'DELETE'"),
    ("a table's privileges", "REVOKE UPDATE ON django_session FROM crhq_app",
     "select has_table_privilege('crhq_app', 'django_session', 'UPDATE')"),
    ("an insert-only table", "GRANT UPDATE ON vault_auditevent TO crhq_app",
     "select not has_table_privilege('crhq_app', 'vault_auditevent', 'UPDATE')"),
    ("a sequence's privileges", "REVOKE USAGE ON SEQUENCE django_migrations_id_seq FROM crhq_app",
     "select has_sequence_privilege('crhq_app', 'django_migrations_id_seq', 'USAGE')"),
]


def in_place(host, check):
    return host.check_output(PSQL % check) == "t"


def break_by_hand(host):
    """Breaks every part on one host (each break checked) and returns the runtime role's verifier as the role set it."""
    verifier = host.check_output(PSQL % "select rolpassword from pg_authid where rolname = 'crhq_app'")
    for what, statement, check in DRIFT:
        assert in_place(host, check), "%s is not as the role makes it before the test" % what
        host.check_output(PSQL % statement)
        assert not in_place(host, check), "breaking %s by hand did not show" % what
    host.check_output(PSQL % "ALTER ROLE crhq_app PASSWORD 'set-by-hand'")
    assert host.check_output(PSQL % "select rolpassword from pg_authid where rolname = 'crhq_app'") != verifier
    return verifier


@pytest.fixture(scope="module", name="drift")
def fixture_drift():
    """Breaks both hosts by hand, then runs the role once and once more over both at once."""
    hosts = {name: get_host(name) for name in group_hosts("crhq")}
    verifiers = {name: break_by_hand(host) for name, host in hosts.items()}
    run = converge("--tags", "postgresql", limit="crhq")
    repaired = {name: {"not_repaired": [part[0] for part in DRIFT if not in_place(host, part[2])],
                       "verifier": host.check_output(PSQL % "select rolpassword from pg_authid "
                                                     "where rolname = 'crhq_app'")}
                for name, host in hosts.items()}
    return {"verifiers": verifiers, "run": run, "repaired": repaired,
            "again": converge("--tags", "postgresql", limit="crhq")}


def test_a_run_repairs_every_part_broken_by_hand_and_the_next_changes_nothing(host, drift):
    name = host.backend.get_hostname()
    assert drift["run"].recap[name]["changed"] >= 7, drift["run"].recap
    repaired = drift["repaired"][name]
    assert not repaired["not_repaired"], "a re-run left these as they were broken: %s" % repaired["not_repaired"]
    assert repaired["verifier"] == drift["verifiers"][name]
    assert drift["again"].recap[name]["changed"] == 0, drift["again"].output[-3000:]
    # the runtime role logs in again with the password file the app has (the hand-set password is gone)
    assert host.check_output(APP_PSQL + " -c 'select current_user'") == "crhq_app"

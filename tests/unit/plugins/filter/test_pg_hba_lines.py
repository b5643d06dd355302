# -*- coding: utf-8 -*-
"""pg_hba_lines: the filter's registration and errors, and the role's pg_hba.conf template rendered with it."""

from __future__ import annotations

import os

import jinja2
import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter import pg_hba_lines as plugin

FILTER = plugin.FilterModule().filters()["pg_hba_lines"]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))
TEMPLATE = os.path.join(ROOT, "roles", "postgresql", "templates", "pg_hba.conf.j2")

MONITORING = {"type": "hostssl", "database": "crhq", "user": "monitoring", "address": "10.0.0.0/24",
              "method": "scram-sha-256", "options": "clientcert=verify-full", "comment": "the monitoring server"}
BACKUP = {"type": "local", "database": "crhq", "user": "backup", "method": "peer"}

# the file the role wrote before postgresql_hba_extra_entries existed, for the default names
ROLE_LINES = """\
# Ansible managed
# crhq.platform.postgresql: first match wins; anything not allowed here is rejected.
# TYPE  DATABASE                 USER                     ADDRESS        METHOD
local   all                      postgres                                peer
local   crhq                     crhq                                    scram-sha-256
local   crhq                     crhq_app                                scram-sha-256
host    crhq                     crhq                     127.0.0.1/32   scram-sha-256
host    crhq                     crhq                     ::1/128        scram-sha-256
"""
REJECT_LINES = """\
local   all                      all                                     reject
host    all                      all                      0.0.0.0/0      reject
host    all                      all                      ::/0           reject
hostssl all                      all                      0.0.0.0/0      reject
hostssl all                      all                      ::/0           reject
"""


def render(entries):
    """The role's template as ansible.builtin.template renders it (trim_blocks), with the role's default names."""
    environment = jinja2.Environment(trim_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    environment.filters["crhq.platform.pg_hba_lines"] = FILTER
    with open(TEMPLATE, encoding="utf-8") as handle:
        template = environment.from_string(handle.read())
    return template.render(ansible_managed="Ansible managed", postgresql_database="crhq", postgresql_owner="crhq",
                           postgresql_app_role="crhq_app", postgresql_hba_extra_entries=entries)


def test_registered_with_documentation_that_parses():
    assert list(plugin.FilterModule().filters()) == ["pg_hba_lines"]
    documentation = yaml.safe_load(plugin.DOCUMENTATION)
    assert documentation["name"] == "pg_hba_lines"
    assert documentation["version_added"] == "0.3.0" and documentation["author"] == "CRHQ platform team (@crhq)"
    assert set(documentation["options"]) == {"_input", "name"}
    examples = yaml.safe_load(plugin.EXAMPLES)
    assert yaml.safe_load(plugin.RETURN)["_value"]["type"] == "list"
    # the documented example renders
    assert FILTER(examples[1]["vars"]["entries"], name="entries")[1].startswith("hostssl crhq")


def test_lines_for_good_entries():
    assert FILTER([MONITORING, BACKUP]) == [
        "# the monitoring server",
        "hostssl crhq                     monitoring               10.0.0.0/24    scram-sha-256 clientcert=verify-full",
        "local   crhq                     backup                                  peer",
    ]
    assert FILTER([]) == [] and FILTER(None) == []


@pytest.mark.parametrize("entries, message", [
    ([BACKUP, dict(MONITORING, method="md5")],
     "pg_hba_lines: postgresql_hba_extra_entries[1]: method 'md5' is refused: the collection promises scram-sha-256"),
    ([dict(MONITORING, method="trust")], "pg_hba_lines: postgresql_hba_extra_entries[0]: method 'trust' is refused: "),
    ([dict(MONITORING, method="password")], "pg_hba_lines: postgresql_hba_extra_entries[0]: method 'password' is "
                                            "refused: the client sends the password in clear text"),
    ([dict(BACKUP, user="backup\nlocal all all trust")], "pg_hba_lines: postgresql_hba_extra_entries[0]: user "),
    ([dict(MONITORING, address="db.example.com")], "pg_hba_lines: postgresql_hba_extra_entries[0]: address "),
    ("not a list", "pg_hba_lines: postgresql_hba_extra_entries must be a list of entries"),
])
def test_bad_entries_are_ansible_filter_errors_naming_the_entry(entries, message):
    with pytest.raises(AnsibleFilterError) as info:
        FILTER(entries)
    assert str(info.value).startswith(message), str(info.value)
    # no chained exception for a -vvv traceback to print
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_the_name_option_names_the_variable():
    with pytest.raises(AnsibleFilterError, match=r"^pg_hba_lines: extra\[0\]: method 'md5' is refused"):
        FILTER([dict(MONITORING, method="md5")], name="extra")


def test_a_wrong_call_is_an_ansible_filter_error():
    with pytest.raises(AnsibleFilterError, match=r"^pg_hba_lines: .*unexpected keyword argument 'names'"):
        FILTER([], names="x")


def test_without_entries_the_template_writes_the_roles_file_unchanged():
    assert render([]) == ROLE_LINES + REJECT_LINES


def test_entries_go_after_the_roles_own_lines_and_before_the_rejects():
    assert render([MONITORING, BACKUP]) == ROLE_LINES + """\
# postgresql_hba_extra_entries: after the role's own lines, before the rejects
# the monitoring server
hostssl crhq                     monitoring               10.0.0.0/24    scram-sha-256 clientcert=verify-full
local   crhq                     backup                                  peer
""" + REJECT_LINES


def test_the_template_fails_on_a_bad_entry():
    with pytest.raises(AnsibleFilterError, match=r"postgresql_hba_extra_entries\[0\]: method 'md5' is refused"):
        render([dict(BACKUP, method="md5")])

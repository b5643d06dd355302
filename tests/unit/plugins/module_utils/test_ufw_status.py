# -*- coding: utf-8 -*-
"""ufw status verbose read once, and the plan of what a firewall role changes (#12: the parsing lived in Jinja, and
a rule the role once managed, such as an old SSH port, was never removed)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.ufw_plan import ufw_plan
from ansible_collections.crhq.platform.plugins.module_utils.ufw_status import parse

# a converged host, as ufw 0.36 prints it (Debian 12 and 13)
CONVERGED = """Status: active
Logging: on (low)
Default: deny (incoming), allow (outgoing), deny (routed)
New profiles: skip

To                         Action      From
--                         ------      ----
22/tcp                     LIMIT IN    Anywhere                   # crhq-managed ssh
80/tcp                     ALLOW IN    Anywhere                   # crhq-managed service
443/tcp                    ALLOW IN    Anywhere                   # crhq-managed service
22/tcp (v6)                LIMIT IN    Anywhere (v6)              # crhq-managed ssh
80/tcp (v6)                ALLOW IN    Anywhere (v6)              # crhq-managed service
443/tcp (v6)               ALLOW IN    Anywhere (v6)              # crhq-managed service

"""
WANTED = [{"port": 22, "action": "limit", "comment": "crhq-managed ssh"},
          {"port": 80, "action": "allow", "comment": "crhq-managed service"},
          {"port": 443, "action": "allow", "comment": "crhq-managed service"}]
DEFAULTS = {"incoming": "deny", "outgoing": "allow", "routed": "deny"}


def with_source(rules, source="any"):
    return [dict(rule, source=source) for rule in rules]


def plan(text, rules=None, **options):
    options.setdefault("comment", "crhq-managed")
    return ufw_plan(text, WANTED if rules is None else rules, DEFAULTS, options.pop("logging", "low"), **options)


def test_a_converged_firewall_needs_nothing():
    assert plan(CONVERGED) == {"active": True, "missing": [], "delete": [], "defaults": [], "logging": False,
                               "pending": False}


def test_parse_reads_every_field():
    status = parse(CONVERGED)
    assert status["active"] and status["logging"] == "low"
    assert status["defaults"] == DEFAULTS
    assert [(r["number"], r["to"], r["action"], r["direction"], r["source"], r["comment"], r["v6"])
            for r in status["rules"][::3]] == [(1, "22/tcp", "LIMIT", "IN", "Anywhere", "crhq-managed ssh", False),
                                               (4, "22/tcp (v6)", "LIMIT", "IN", "Anywhere (v6)", "crhq-managed ssh", True)]


def test_an_inactive_firewall_needs_everything():
    result = plan("Status: inactive\n")
    assert result == {"active": False, "missing": with_source(WANTED), "delete": [], "logging": True,
                      "defaults": [{"direction": d, "policy": p} for d, p in DEFAULTS.items()], "pending": True}


def test_an_old_ssh_port_the_role_managed_is_deleted_and_the_new_one_added():
    """The SSH port moved from 22 to 2222: the old rule carries the role's comment and is deleted anyway."""
    moved = [dict(WANTED[0], port=2222)] + WANTED[1:]
    result = plan(CONVERGED, moved, prune_unmanaged=False)
    assert result["missing"] == with_source([moved[0]])
    assert result["delete"] == [4, 1]


def test_unmanaged_rules_are_deleted_only_when_pruning_and_numbers_count_from_the_listing():
    text = CONVERGED.replace("22/tcp                     LIMIT IN", "12345/tcp                  ALLOW IN    Anywhere"
                             "                   # hand-made\n22/tcp                     LIMIT IN", 1)
    text += "23456/tcp                  ALLOW IN    Anywhere\n"
    assert plan(text)["delete"] == [8, 1]
    assert plan(text, prune_unmanaged=False)["delete"] == []
    # a deletion alone, or a logging level alone, is something to change; rules left alone are not
    assert plan(text)["pending"] and not plan(text, prune_unmanaged=False)["pending"]
    assert plan(CONVERGED, logging="medium")["pending"]


def test_a_rule_missing_in_one_family_or_with_another_action_or_comment_is_missing():
    no_v6_ssh = CONVERGED.replace("22/tcp (v6)                LIMIT IN    Anywhere (v6)              # crhq-managed ssh\n", "")
    assert plan(no_v6_ssh)["missing"] == with_source([WANTED[0]])
    allow_ssh = CONVERGED.replace("22/tcp                     LIMIT IN", "22/tcp                     ALLOW IN")
    result = plan(allow_ssh)
    assert result["missing"] == with_source([WANTED[0]]) and result["delete"] == [1]
    assert plan(CONVERGED.replace("# crhq-managed ssh", "# other"))["missing"] == with_source([WANTED[0]])


def test_without_ipv6_the_v6_lines_are_not_wanted():
    result = plan(CONVERGED, ipv6=False)
    assert result["missing"] == [] and result["delete"] == [6, 5, 4]


def test_ssh_limited_to_source_networks():
    wanted = [dict(WANTED[0], sources=["203.0.113.0/24", "2001:db8::/32"])] + WANTED[1:]
    result = plan(CONVERGED, wanted)
    assert result["missing"] == [dict(WANTED[0], source="203.0.113.0/24"), dict(WANTED[0], source="2001:db8::/32")]
    assert result["delete"] == [4, 1]
    text = CONVERGED.replace("22/tcp                     LIMIT IN    Anywhere                   # crhq-managed ssh",
                             "22/tcp                     LIMIT IN    203.0.113.0/24             # crhq-managed ssh")
    text = text.replace("22/tcp (v6)                LIMIT IN    Anywhere (v6)              # crhq-managed ssh",
                        "22/tcp (v6)                LIMIT IN    2001:db8::/32              # crhq-managed ssh")
    assert plan(text, wanted) == {"active": True, "missing": [], "delete": [], "defaults": [], "logging": False,
                                  "pending": False}
    assert plan(text, [dict(WANTED[0], sources=[])] + WANTED[1:])["delete"] == [4, 1]  # empty: any address
    # ufw may print an IPv6 rule with a specific source without the (v6) mark on its port
    unmarked = text.replace("22/tcp (v6)                LIMIT IN    2001:db8::/32", "22/tcp                     LIMIT IN    2001:db8::/32")
    assert plan(unmarked, wanted)["missing"] == [] and plan(unmarked, wanted)["delete"] == []


def test_defaults_and_logging_differences():
    text = CONVERGED.replace("deny (routed)", "disabled (routed)")
    assert plan(text)["defaults"] == []  # the kernel forwards nothing: as good as deny
    text = CONVERGED.replace("deny (incoming)", "allow (incoming)").replace("on (low)", "off")
    result = plan(text)
    assert result["defaults"] == [{"direction": "incoming", "policy": "deny"}] and result["logging"] is True
    assert plan(CONVERGED, logging="off")["logging"] is True
    assert plan(CONVERGED.replace("Logging: on (low)", "Logging: off"), logging="off")["logging"] is False


@pytest.mark.parametrize("text, rules, message", [
    (None, WANTED, "the text of `ufw status verbose`"),
    (CONVERGED + "garbage\n", WANTED, "cannot read"),
    (CONVERGED, [{"action": "allow"}], "needs a port"),
    (CONVERGED, [{"port": 22, "action": "permit"}], "must be one of allow, deny, reject, limit"),
    (CONVERGED, {"port": 22}, "rules must be a list"),
    (CONVERGED, [{"port": 22, "sources": "10.0.0.0/8"}], "sources must be a list"),
])
def test_bad_input_names_the_problem(text, rules, message):
    with pytest.raises(AnsibleFilterError, match=message):
        ufw_plan(text, rules)

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read `ufw status verbose` and decide what a firewall role must change: missing rules, rules to delete (by the
number `ufw status numbered` gives them), default policies, logging, enabling."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

ACTIONS = ("ALLOW", "DENY", "REJECT", "LIMIT")
RULE_RE = re.compile(r"^(?P<to>\S.*?)\s{2,}(?P<action>ALLOW|DENY|REJECT|LIMIT)(?: (?P<direction>IN|OUT|FWD))?"
                     r"\s+(?P<source>\S.*?)(?:\s+# (?P<comment>.*?))?\s*$")
POLICY_RE = re.compile(r"(\w+) \((incoming|outgoing|routed)\)")
V6 = " (v6)"


class UfwStatusError(Exception):
    """Input that is not what the filter documents."""


def parse(text):
    """`ufw status verbose` to {active, logging, defaults, rules}; rules in listing order, each with its number."""
    if not isinstance(text, str):
        raise UfwStatusError("the input must be the text of `ufw status verbose`, got %s" % type(text).__name__)
    status = {"active": False, "logging": None, "defaults": {}, "rules": []}
    in_rules = False
    for line in text.splitlines():
        if line.startswith("Status: "):
            status["active"] = line.strip() == "Status: active"
        elif line.startswith("Logging: "):
            value = line[len("Logging: "):].strip()
            match = re.match(r"^on \((\w+)\)$", value)
            status["logging"] = match.group(1) if match else value
        elif line.startswith("Default: "):
            status["defaults"] = {direction: policy for policy, direction in POLICY_RE.findall(line)}
        elif line.startswith("--"):
            in_rules = True
        elif in_rules and line.strip():
            match = RULE_RE.match(line.strip())
            if not match:
                raise UfwStatusError("a rule line of ufw status that this filter cannot read: %r" % line.strip()[:120])
            rule = match.groupdict()
            rule["direction"] = rule["direction"] or "IN"
            rule["comment"] = rule["comment"] or ""
            rule["v6"] = rule["to"].endswith(V6) or rule["source"].endswith(V6)
            rule["number"] = len(status["rules"]) + 1
            status["rules"].append(rule)
    return status


def _key(to, action, direction, source, comment):
    """A listing line as (to, action, direction, source, comment, family), with ufw's " (v6)" marks taken off and the
    family kept apart: ufw marks the "To" column of some IPv6 rules and not of others."""
    family = 6 if (to.endswith(V6) or source.endswith(V6) or ":" in source) else 4
    return (_unmarked(to), action, direction, _unmarked(source), comment, family)


def _unmarked(text):
    return text[:-len(V6)] if text.endswith(V6) else text


def _lines_of(rule, ipv6):
    """The listing lines (as _key) one wanted single-source rule gives, per address family."""
    port = "%s/%s" % (rule["port"], rule.get("proto", "tcp"))
    action = rule.get("action", "allow").upper()
    comment = rule.get("comment", "")
    source = rule.get("source") or "any"
    if source == "any":
        return [_key(port, action, "IN", "Anywhere", comment)] + (
            [_key(port + V6, action, "IN", "Anywhere" + V6, comment)] if ipv6 else [])
    return [_key(port, action, "IN", source, comment)]


def _check_rule(rule):
    if not isinstance(rule, dict) or "port" not in rule:
        raise UfwStatusError("each wanted rule needs a port, got %r" % (rule,))
    if str(rule.get("action", "allow")).upper() not in ACTIONS:
        raise UfwStatusError("a wanted rule's action must be one of allow, deny, reject, limit, got %r" % rule.get("action"))


def expand(rules):
    """One rule per source: a rule's `sources` list (empty: any address) becomes rules with one `source` each."""
    if not isinstance(rules, list):
        raise UfwStatusError("rules must be a list of {port, proto, action, source or sources, comment}")
    expanded = []
    for rule in rules:
        _check_rule(rule)
        base = dict((key, value) for key, value in rule.items() if key != "sources")
        sources = rule.get("sources") or [rule.get("source") or "any"]
        if not isinstance(sources, list):
            raise UfwStatusError("a rule's sources must be a list of addresses or networks, got %r" % (sources,))
        for source in sources:
            single = dict(base)
            single["source"] = str(source)
            expanded.append(single)
    return expanded


def plan(text, rules, defaults=None, logging=None, ipv6=True, comment_prefix="", prune_unmanaged=True):
    """What to change so that the firewall holds exactly `rules` (those the role manages).

    Returns {active, missing: the wanted rules not fully in force (one per source, each with `source`), delete: rule numbers to delete, highest first
    (rules carrying `comment_prefix` that are no longer wanted, such as an old SSH port, and, with
    `prune_unmanaged`, every rule without it), defaults: [{direction, policy}] to set, logging: whether to set it,
    pending: whether any of these changes anything (ufw to enable included)}.
    A routed policy reported as "disabled" (the kernel forwards nothing) satisfies "deny".
    """
    status = parse(text)
    rules = expand(rules)
    present = set()
    if status["active"]:
        present = set(_key(r["to"], r["action"], r["direction"], r["source"], r["comment"]) for r in status["rules"])
    wanted_lines = set()
    missing = []
    for rule in rules:
        lines = _lines_of(rule, ipv6)
        wanted_lines.update(lines)
        if not all(line in present for line in lines):
            missing.append(rule)
    delete = []
    if status["active"]:
        for rule in status["rules"]:
            key = _key(rule["to"], rule["action"], rule["direction"], rule["source"], rule["comment"])
            ours = bool(comment_prefix) and rule["comment"].split(" ")[0] == comment_prefix
            if key not in wanted_lines and (ours or prune_unmanaged):
                delete.append(rule["number"])
    todo = []
    for direction, policy in (defaults or {}).items():
        current = status["defaults"].get(direction) if status["active"] else None
        if current == policy or (direction == "routed" and policy == "deny" and current == "disabled"):
            continue
        todo.append({"direction": direction, "policy": policy})
    logging_todo = logging is not None and (not status["active"] or status["logging"] != logging)
    pending = bool(missing or delete or todo or logging_todo or not status["active"])
    return {"active": status["active"], "missing": missing, "delete": sorted(delete, reverse=True),
            "defaults": todo, "logging": logging_todo, "pending": pending}

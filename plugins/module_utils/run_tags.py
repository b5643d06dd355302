# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a run's tags can reach a role of this collection (the ``role_selected`` test plugin).

Every task of a role here carries the role's name as a tag (``hardening``) and its concern's tag, which starts
with the role's name (``hardening_ssh``); only the validation and the read-only probes are also tagged
``always``. A run limited to another role's tags (``--tags app``) runs none of this role's own tasks, so its
probes have nothing to inform. A tag this collection does not use may be a playbook's own tag on the role, so
it counts as reaching every role.
"""

from __future__ import annotations

ROLES = ("instance", "hardening", "firewall", "postgresql", "app", "nginx", "certbot", "backup", "agent")
COLLECTION = "crhq.platform."

# ansible's special tags that select no task of these roles by themselves: every task has a tag, none is `never`,
# and the tasks `always` selects are the ones that ask
NOT_REACHING = ("always", "never", "untagged")


def owner(tag):
    """The role of this collection whose tag `tag` is (the role's name, or the name and `_`), or None."""
    for role in ROLES:
        if tag == role or tag.startswith(role + "_"):
            return role
    return None


def _tags(value, name):
    if value is None:
        return []
    if isinstance(value, str) or not all(isinstance(tag, str) for tag in value):
        raise TypeError("%s must be a list of tag names (ansible_run_tags or ansible_skip_tags), got %r" % (name, value))
    return list(value)


def role_selected(role, run_tags, skip_tags=None):
    """True if a run with these --tags (ansible_run_tags; empty or missing means all) and --skip-tags
    (ansible_skip_tags) can run any task of `role` (a short name, or the full name ansible_role_name holds) that is
    not tagged always."""
    if isinstance(role, str) and role.startswith(COLLECTION):
        role = role[len(COLLECTION):]
    if role not in ROLES:
        raise ValueError("unknown role %r: one of %s" % (role, ", ".join(ROLES)))
    run_tags = _tags(run_tags, "run_tags") or ["all"]
    skipped = set(_tags(skip_tags, "skip_tags"))
    if role in skipped or "all" in skipped:
        return False
    for tag in run_tags:
        if tag in ("all", "tagged"):
            return True
        if tag in NOT_REACHING:
            continue
        if owner(tag) in (role, None):
            return True
    return False

# -*- coding: utf-8 -*-
"""The role_selected test plugin: which roles a run's --tags and --skip-tags can reach, so that a role skips its
read-only probes in a run that reaches none of its tasks (--tags app for the hardening role)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.module_utils.run_tags import ROLES, owner, role_selected
from ansible_collections.crhq.platform.plugins.test import role_selected as plugin

TEST = plugin.TestModule().tests()["role_selected"]


def test_exposed_under_tests_with_its_documentation():
    assert list(plugin.TestModule().tests()) == ["role_selected"]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(plugin, block).strip()
    assert ", ".join("V(%s)" % role for role in ROLES) in " ".join(plugin.DOCUMENTATION.split())


def test_roles_are_the_collections():
    import os
    roles = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "roles")
    assert sorted(ROLES) == sorted(os.listdir(roles))


@pytest.mark.parametrize("role", ROLES)
def test_a_run_without_tags_reaches_every_role(role):
    assert TEST(role, ["all"], []) is True
    assert TEST(role, [], []) is True  # empty means all
    assert TEST(role, ["all"]) is True


@pytest.mark.parametrize("role", ROLES)
def test_the_roles_own_tag_and_its_concerns_reach_it_and_no_other_role(role):
    for tags in ([role], [role + "_something"], ["app_install" if role != "app" else "agent", role]):
        assert TEST(role, tags, []) is True, tags
    others = [other for other in ROLES if other != role]
    assert TEST(role, others, []) is False
    assert TEST(role, [other + "_concern" for other in others], []) is False


@pytest.mark.parametrize("role", ROLES)
def test_the_full_name_as_ansible_role_name_holds_it_is_the_same_role(role):
    for run_tags, skip_tags in (([role], []), (["all"], [role]), (["nginx_tls"], []), ([], ["all"])):
        assert TEST("crhq.platform." + role, run_tags, skip_tags) is TEST(role, run_tags, skip_tags)


@pytest.mark.parametrize("name", ["other.collection.hardening", "crhq.platform.", "crhq.platform.crhq.platform.app"])
def test_another_collections_role_is_unknown(name):
    with pytest.raises(AnsibleFilterError, match="unknown role"):
        TEST(name, ["all"], [])


def test_concern_tags_of_roles_whose_names_share_a_start():
    # app and agent both start with "a"; hardening_ssh is hardening's, not a tag of a role called "hardening_ssh"
    assert owner("app_install") == "app" and owner("agent") == "agent" and owner("hardening_ssh") == "hardening"
    assert owner("apparmor") is None  # the role's name must end at an underscore or the tag's end
    assert TEST("app", ["apparmor"], []) is True  # not ours: may be a playbook's own tag on the role


def test_a_playbooks_own_tag_reaches_every_role():
    # site-like playbooks tag a role as they like (- role: crhq.platform.hardening, tags: [os]): --tags os must
    # still find the role's probes
    for role in ROLES:
        assert TEST(role, ["os"], []) is True


@pytest.mark.parametrize("tags", [["always"], ["never"], ["untagged"], ["always", "untagged"]])
def test_special_tags_alone_reach_no_role(tags):
    for role in ROLES:
        assert TEST(role, tags, []) is False


def test_tagged_reaches_every_role():
    assert all(TEST(role, ["tagged"], []) for role in ROLES)


def test_skipping_the_role_or_all_leaves_it_out():
    assert TEST("hardening", ["all"], ["hardening"]) is False
    assert TEST("hardening", ["hardening_ssh"], ["hardening"]) is False
    assert TEST("hardening", ["all"], ["all"]) is False
    # skipping one concern leaves the others to run
    assert TEST("hardening", ["all"], ["hardening_ssh"]) is True
    assert TEST("hardening", ["hardening"], ["hardening_ssh"]) is True
    # skipping another role changes nothing for this one
    assert TEST("hardening", ["all"], ["app"]) is True


@pytest.mark.parametrize("args, error", [
    (("hardning", ["all"], []), "unknown role 'hardning': one of instance, hardening"),
    (("app", "all", []), "run_tags must be a list of tag names"),
    (("app", ["all"], "app"), "skip_tags must be a list of tag names"),
    (("app", [1], []), "run_tags must be a list of tag names"),
])
def test_bad_input_names_the_problem(args, error):
    with pytest.raises(AnsibleFilterError, match="crhq.platform.role_selected: " + error):
        TEST(*args)
    with pytest.raises((TypeError, ValueError)):
        role_selected(*args)


def test_none_for_the_tags_means_none_given():
    assert role_selected("app", None, None) is True

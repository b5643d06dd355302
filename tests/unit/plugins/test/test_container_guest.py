# -*- coding: utf-8 -*-
"""The container_guest test plugin: one answer, for the hardening and firewall roles, to "is this a container?"."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.virtualization import CONTAINER_TYPES
from ansible_collections.crhq.platform.plugins.test import container_guest as plugin

TEST = plugin.TestModule().tests()["container_guest"]


def test_exposed_under_tests_with_its_documentation():
    assert list(plugin.TestModule().tests()) == ["container_guest"]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(plugin, block).strip()
    for kind in CONTAINER_TYPES:  # the documentation names every type the test accepts
        assert "V(%s)" % kind in plugin.DOCUMENTATION


@pytest.mark.parametrize("kind", sorted(CONTAINER_TYPES))
def test_container_guests(kind):
    assert TEST({"virtualization_type": kind, "virtualization_role": "guest"}) is True
    assert TEST({"ansible_virtualization_type": kind, "ansible_virtualization_role": "guest"}) is True


@pytest.mark.parametrize("facts", [
    {"virtualization_type": "kvm", "virtualization_role": "guest"},  # a VM has its own kernel
    {"virtualization_type": "xen", "virtualization_role": "guest"},
    {"virtualization_type": "docker", "virtualization_role": "host"},  # the Docker host itself
    {"virtualization_type": "NA", "virtualization_role": "NA"},  # bare metal
    {"virtualization_type": "lxc"},  # no role: not known to be a guest
    {},
    None,
    "docker",
    ["docker", "guest"],
])
def test_everything_else_is_not(facts):
    assert TEST(facts) is False

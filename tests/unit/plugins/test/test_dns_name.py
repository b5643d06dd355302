# -*- coding: utf-8 -*-
"""The dns_name test plugin: the DNS host names the roles' hostname variables accept, and nothing else."""

from __future__ import annotations

import pytest

from ansible_collections.crhq.platform.plugins.module_utils.dns_names import is_dns_name
from ansible_collections.crhq.platform.plugins.test import dns_name as plugin

TEST = plugin.TestModule().tests()["dns_name"]
LABEL_63 = "a" * 63
# four labels of 63, 63, 63 and 61 characters with three dots: 253 characters
NAME_253 = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 61])


def test_exposed_under_tests_with_its_documentation():
    assert list(plugin.TestModule().tests()) == ["dns_name"]
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(plugin, block).strip()
    assert "name: dns_name" in plugin.DOCUMENTATION


@pytest.mark.parametrize("value", [
    "localhost",
    "crhq12.test",
    "a-b.example.com",
    "a",
    "0.9a",
    "9a.example",
    "203-0-113-10.example",
    "xn--bcher-kva.example",
    LABEL_63,
    LABEL_63 + ".example.com",
    NAME_253,
])
def test_good_names(value):
    assert len(value) <= 253
    assert TEST(value) is True
    assert is_dns_name(value) is True


@pytest.mark.parametrize("value", [
    "Localhost",
    "crhq12.TEST",
    "under_score.example.com",
    "-leading.example.com",
    "trailing-.example.com",
    "example.-com",
    "a..b",
    ".example.com",
    "example.com.",
    "0.9",
    "203.0.113.10",
    "127.0.0.1",
    "example.123",
    "1",
    ".",
    "a" * 64,
    "a" * 64 + ".example.com",
    NAME_253 + "d",
    "a" * 63 + "." + "b" * 63 + "." + "c" * 63 + "." + "d" * 63,
    "has space.example.com",
    " example.com",
    "example.com\n",
    "bücher.example",
    "例え.テスト",
    "",
    None,
    5,
    1.5,
    True,
    b"example.com",
    ["a"],
    {"a": 1},
])
def test_bad_names(value):
    assert TEST(value) is False
    assert is_dns_name(value) is False


def test_length_limits_are_exact():
    assert len(NAME_253) == 253
    assert TEST(NAME_253) is True
    assert TEST(NAME_253 + "d") is False  # 254
    assert TEST("a" * 63) is True
    assert TEST("a" * 64) is False

# -*- coding: utf-8 -*-
"""The key-value reader behind the roles' settings tasks (#12: it was regular expressions in Jinja)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.key_value_changes import key_value_changes

UFW_DEFAULTS = """# /etc/default/ufw
#
IPV6=yes
DEFAULT_INPUT_POLICY="DROP"
IPT_SYSCTL=/etc/ufw/sysctl.conf
IPT_MODULES=""
"""
LOGIN_DEFS = """#
# UMASK is the default umask value
UMASK\t\t022
#ENCRYPT_METHOD SHA512
PASS_MAX_DAYS\t99999
SHA_CRYPT_MIN_ROUNDS 5000 extra
"""
SYSCTL = """kernel.kptr_restrict = 2
net.ipv4.conf.all.rp_filter = 1
fs.suid_dumpable = 0
"""


def test_equals_format_of_etc_default():
    assert key_value_changes(UFW_DEFAULTS, {"IPV6": "yes", "IPT_SYSCTL": ""}) == [
        {"key": "IPT_SYSCTL", "value": "", "current": "/etc/ufw/sysctl.conf"}]
    assert key_value_changes(UFW_DEFAULTS, {"IPV6": "no", "MANAGE_BUILTINS": "no"}) == [
        {"key": "IPV6", "value": "no", "current": "yes"}, {"key": "MANAGE_BUILTINS", "value": "no", "current": None}]
    assert key_value_changes(UFW_DEFAULTS, {"DEFAULT_INPUT_POLICY": '"DROP"', "IPT_MODULES": '""'}) == []


def test_space_format_of_login_defs_skips_comments_and_odd_lines():
    wanted = {"UMASK": "027", "PASS_MAX_DAYS": 365, "ENCRYPT_METHOD": "YESCRYPT", "SHA_CRYPT_MIN_ROUNDS": "5000"}
    assert [(c["key"], c["current"]) for c in key_value_changes(LOGIN_DEFS, wanted, syntax="space")] == [
        ("UMASK", "022"), ("PASS_MAX_DAYS", "99999"), ("ENCRYPT_METHOD", None), ("SHA_CRYPT_MIN_ROUNDS", None)]
    assert key_value_changes("UMASK 027\nUMASK 022\n", {"UMASK": "027"}, syntax="space")[0]["current"] == "022"


def test_sysctl_output_with_keys_the_kernel_does_not_know_skipped():
    wanted = {"kernel.kptr_restrict": 2, "net.ipv4.conf.all.rp_filter": 2, "kernel.unknown_setting": 1,
              "fs.suid_dumpable": False}
    assert key_value_changes(SYSCTL, wanted, syntax="sysctl", missing="skip") == [
        {"key": "net.ipv4.conf.all.rp_filter", "value": 2, "current": "1"}]


@pytest.mark.parametrize("text, wanted, options, message", [
    (None, {}, {}, "the input must be text"),
    ("", ["UMASK"], {}, "wanted must be a mapping"),
    ("", {}, {"syntax": "ini"}, "syntax must be one of equals, space, sysctl"),
    ("", {}, {"missing": "ignore"}, "missing must be include or skip"),
])
def test_bad_input_names_the_problem(text, wanted, options, message):
    with pytest.raises(AnsibleFilterError, match=message):
        key_value_changes(text, wanted, **options)

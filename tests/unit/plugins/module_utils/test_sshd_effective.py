# -*- coding: utf-8 -*-
"""sshd -T output against wanted settings, per user (the site scenario runs it against a real Match block)."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter.sshd_mismatches import sshd_mismatches
from ansible_collections.crhq.platform.plugins.module_utils.sshd_effective import mismatches

WANTED = {"PasswordAuthentication": False, "PermitRootLogin": "prohibit-password", "MaxAuthTries": 3,
          "PubkeyAcceptedAlgorithms": ["ssh-ed25519", "rsa-sha2-512"]}
GOOD = ["passwordauthentication no", "permitrootlogin without-password", "maxauthtries 3",
        "pubkeyacceptedalgorithms ssh-ed25519,rsa-sha2-512", "x11forwarding no"]


def test_every_setting_holding_gives_no_message():
    assert mismatches([{"item": "root", "stdout_lines": GOOD}, {"item": "debian", "stdout_lines": GOOD}], WANTED) == []


def test_each_user_and_keyword_is_named():
    weak = [line.replace("passwordauthentication no", "passwordauthentication yes") for line in GOOD]
    weak = [line.replace("maxauthtries 3", "maxauthtries 6") for line in weak]
    assert mismatches([{"item": "root", "stdout_lines": GOOD}, {"item": "debian", "stdout_lines": weak}], WANTED) == [
        "for debian, passwordauthentication is yes, not no", "for debian, maxauthtries is 6, not 3"]


def test_a_missing_keyword_and_list_order_are_reported():
    lines = ["passwordauthentication no", "permitrootlogin without-password",
             "pubkeyacceptedalgorithms rsa-sha2-512,ssh-ed25519"]
    assert mismatches([{"item": "nobody", "stdout_lines": lines}], WANTED) == [
        "for nobody, sshd -T does not print maxauthtries",
        "for nobody, pubkeyacceptedalgorithms is rsa-sha2-512,ssh-ed25519, not ssh-ed25519,rsa-sha2-512"]


@pytest.mark.parametrize("runs, expected, message", [
    ([{"item": "root", "skipped": True}], WANTED, "each result needs stdout_lines"),
    ({"results": []}, WANTED, "the input must be the results list"),
    ([{"item": "root", "stdout_lines": GOOD}], {}, "non-empty mapping"),
    ([{"item": "root", "stdout_lines": [3]}], WANTED, "lines of text"),
])
def test_bad_input_names_the_problem(runs, expected, message):
    with pytest.raises(AnsibleFilterError, match=message):
        sshd_mismatches(runs, expected)


def test_ssh_facts_effective_list_is_taken_too():
    """ssh_facts returns `effective` entries named by `user` (and its rc and stderr) instead of a loop's `item`."""
    weak = [line.replace("maxauthtries 3", "maxauthtries 6") for line in GOOD]
    runs = [{"user": "root", "rc": 0, "stdout_lines": GOOD, "stderr": ""},
            {"user": "debian", "rc": 0, "stdout_lines": weak, "stderr": ""}]
    assert mismatches(runs, WANTED) == ["for debian, maxauthtries is 6, not 3"]


def test_a_configuration_that_does_not_load_is_named_with_sshd_s_message():
    runs = [{"user": "nobody", "rc": 255, "stdout_lines": [], "stderr": "/etc/ssh/sshd_config.d/x.conf line 1: Bad key"}]
    assert mismatches(runs, WANTED) == ["for nobody, sshd -T failed (rc 255): /etc/ssh/sshd_config.d/x.conf line 1: Bad key"]

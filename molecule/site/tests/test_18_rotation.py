# -*- coding: utf-8 -*-
"""Key rotation that loses nothing (issue 11): 10,000 credentials (and a kept version of each) on the Debian 13
host, playbooks/rotate_keys.yml with the old key retired, and every value still there and decrypting under the
new key alone; the keyring keeps its owner, group and mode."""

from __future__ import annotations

import json
import re
import time

import pytest
from crhq_testbed import app_shell, credential_survey, run_playbook

testinfra_hosts: list = []

COUNT = 10000
KEYRING = "/etc/crhq/keys/master.keyring"

# run by `crhq-app shell`: 10,000 credentials with two versions each, made in bulk (test data: not audited)
SEED = r'''
from crhq_app import crypto
from crhq_app.vault.models import Credential, CredentialVersion, value_context, version_context
COUNT = %d
if not Credential.objects.filter(name="bulk-00000").exists():
    rows = Credential.objects.bulk_create(
        [Credential(name="bulk-%%05d" %% n, value="", version=2, created_by="test_18") for n in range(COUNT)],
        batch_size=1000)
    rows = list(Credential.objects.filter(name__startswith="bulk-").order_by("name"))
    versions = []
    for n, row in enumerate(rows):
        row.value = crypto.encrypt("bulk-value-%%05d-second" %% n, value_context(row.pk))
        versions.append(CredentialVersion(credential=row, version=1, change="create", actor="test_18",
                                          value=crypto.encrypt("bulk-value-%%05d-first" %% n, version_context(row.pk, 1))))
        versions.append(CredentialVersion(credential=row, version=2, change="update", actor="test_18",
                                          value=crypto.encrypt("bulk-value-%%05d-second" %% n, version_context(row.pk, 2))))
    Credential.objects.bulk_update(rows, ["value"], batch_size=1000)
    CredentialVersion.objects.bulk_create(versions, batch_size=1000)
''' % COUNT


@pytest.fixture(scope="module", name="rotation")
def fixture_rotation(second):
    started = time.monotonic()
    app_shell(second, SEED)
    seeded = time.monotonic() - started
    before = credential_survey(second)
    keyring_before = second.file(KEYRING)
    attributes = (keyring_before.user, keyring_before.group, keyring_before.mode)
    old_ids = [k["id"] for k in json.loads(keyring_before.content_string)["keys"]]
    started = time.monotonic()
    run = run_playbook("playbooks/rotate_keys.yml", "-e", "rotate_keys_retire=true",
                       limit=second.backend.get_hostname()).assert_ok()
    took = time.monotonic() - started
    after = credential_survey(second)
    print("test_18: seeded %d credentials in %.1f s; rotate_keys.yml (rotate, restart, rewrap %d values, retire, "
          "restart) took %.1f s" % (COUNT, seeded, before["count"], took))
    return {"before": before, "after": after, "run": run, "attributes": attributes, "old_ids": old_ids}


def test_every_value_is_still_there_and_decrypts(rotation):
    before, after = rotation["before"], rotation["after"]
    assert before["count"] >= 3 * COUNT
    assert (after["count"], after["digest"]) == (before["count"], before["digest"])


def test_every_value_is_under_the_new_key_and_the_old_keys_are_gone(rotation, second):
    ring = json.loads(second.file(KEYRING).content_string)
    assert [k["id"] for k in ring["keys"]] == [ring["primary"]] and ring["primary"] not in rotation["old_ids"]
    assert rotation["after"]["key_ids"] == {ring["primary"]: rotation["after"]["count"]}
    assert set(rotation["before"]["key_ids"]) <= set(rotation["old_ids"])


def test_the_keyring_keeps_its_owner_group_and_mode(rotation, second):
    ring = second.file(KEYRING)
    assert (ring.user, ring.group, ring.mode) == rotation["attributes"] == ("root", "crhq", 0o640)


def test_the_playbook_reports_the_rewrap_and_the_app_serves_with_the_new_keyring(rotation, second):
    output = rotation["run"].output
    checked, rewrapped = (int(n) for n in re.search(r"(\d+) values checked, (\d+) rewrapped to", output).groups())
    # credentials and versions, and the TOTP secrets of the app's users: all of them moved
    assert checked == rewrapped >= rotation["before"]["count"]
    # the playbook's last task asked the restarted app for /healthz through its socket
    assert "The app answers with the keyring it has now" in output and rotation["run"].recap
    assert second.service("crhq-app.service").is_running

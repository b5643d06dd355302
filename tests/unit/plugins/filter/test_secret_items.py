# -*- coding: utf-8 -*-
"""secret_items: the instance role's keys as crhq.platform.secret's items, and what it refuses."""

from __future__ import annotations

import pytest
import yaml
from ansible.errors import AnsibleFilterError

from ansible_collections.crhq.platform.plugins.filter import secret_items as plugin

FILTER = plugin.FilterModule().filters()["secret_items"]
DEFAULT_KEYS = yaml.safe_load("""
- {name: master, type: keyring, file: master.keyring}
- {name: session, type: token, file: session.secret}
- {name: hub, type: hub_key, file: hub.key}
""")


def test_registered_with_documentation_that_parses():
    assert list(plugin.FilterModule().filters()) == ["secret_items"]
    for text in (plugin.DOCUMENTATION, plugin.EXAMPLES, plugin.RETURN):
        assert yaml.safe_load(text)


def test_the_instance_roles_default_keys_become_items_in_their_order():
    assert FILTER(DEFAULT_KEYS, "/etc/crhq/keys") == [
        {"path": "/etc/crhq/keys/master.keyring", "type": "keyring", "rotate": False},
        {"path": "/etc/crhq/keys/session.secret", "type": "token"},
        {"path": "/etc/crhq/keys/hub.key", "type": "hub_key"},
    ]


def test_only_keyrings_rotate_when_asked():
    items = FILTER(DEFAULT_KEYS + [{"name": "old", "type": "keyring", "file": "old.keyring"}], "/k/", rotate_keyrings=True)
    assert [item.get("rotate") for item in items] == [True, None, None, True]
    assert [item["path"] for item in items][::3] == ["/k/master.keyring", "/k/old.keyring"]


def test_rotate_keyrings_as_the_command_line_passes_it():
    assert FILTER(DEFAULT_KEYS[:1], "/k", "true")[0]["rotate"] is True
    assert FILTER(DEFAULT_KEYS[:1], "/k", "no")[0]["rotate"] is False


def test_no_keys_no_items():
    assert FILTER([], "/etc/crhq/keys") == []


@pytest.mark.parametrize("keys, directory, rotate, message", [
    (DEFAULT_KEYS, "etc/crhq/keys", False, "directory must be an absolute path"),
    ({"file": "x"}, "/k", False, "keys must be a list, got dict"),
    (["master.keyring"], "/k", False, "key 0 is not a dictionary"),
    ([{"type": "token", "file": "../escape"}], "/k", False, "key 0: file must be a file name without a directory part"),
    ([{"type": "token", "file": ".."}], "/k", False, "key 0: file must be a file name"),
    ([{"type": "token"}], "/k", False, "key 0: file must be"),
    ([{"type": "token", "file": "a"}, {"file": "b"}], "/k", False, "key 1 (b): type must be a non-empty string"),
    (DEFAULT_KEYS, "/k", "sometimes", "rotate_keyrings must be true or false"),
])
def test_what_the_module_could_not_take_fails_naming_the_key(keys, directory, rotate, message):
    with pytest.raises(AnsibleFilterError, match=r"^secret_items: .*" + message.replace("(", r"\(").replace(")", r"\)")):
        FILTER(keys, directory, rotate)

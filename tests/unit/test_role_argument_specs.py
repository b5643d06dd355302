# -*- coding: utf-8 -*-
"""Every role's defaults/main.yml and meta/argument_specs.yml say the same thing.

argument_specs drive ansible-doc, the role READMEs and the validation that runs before any change;
defaults/main.yml is what the role really uses. A variable in one and not the other, or a default
that differs, would make the documentation lie or the validation miss.
"""

from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(name for name in os.listdir(os.path.join(ROOT, "roles"))
               if os.path.isfile(os.path.join(ROOT, "roles", name, "meta", "argument_specs.yml")))


def load(role, *path):
    with open(os.path.join(ROOT, "roles", role, *path), encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}


def test_every_role_has_argument_specs():
    assert set(ROLES) == {name for name in os.listdir(os.path.join(ROOT, "roles"))
                          if os.path.isdir(os.path.join(ROOT, "roles", name))}


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_agree(role):
    defaults = load(role, "defaults", "main.yml")
    specs = load(role, "meta", "argument_specs.yml")["argument_specs"]
    options = {}
    for entry in specs.values():
        options.update(entry.get("options", {}))
    undocumented = sorted(set(defaults) - set(options))
    assert not undocumented, "%s: defaults without an argument_specs entry: %s" % (role, undocumented)
    for name, option in options.items():
        assert name.startswith(role + "_"), "%s: %s is not prefixed with the role name" % (role, name)
        assert option.get("description"), "%s: %s has no description" % (role, name)
        if option.get("required"):
            assert name not in defaults, "%s: %s is required but has a default" % (role, name)
            continue
        if name not in defaults:
            # optional without a default (for example required only in one mode, checked by validate.yml)
            assert "default" not in option, "%s: %s has a documented default but none in defaults/main.yml" % (role, name)
            continue
        assert "default" in option, "%s: %s has a default in defaults/main.yml that argument_specs does not show" % (role, name)
        assert option["default"] == defaults[name], (
            "%s: %s defaults to %r in defaults/main.yml but %r in argument_specs" % (role, name, defaults[name], option["default"]))

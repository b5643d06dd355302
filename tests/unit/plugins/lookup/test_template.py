# -*- coding: utf-8 -*-
"""The template lookup: the built-in template lookup's text, without its deep copy of every variable per file."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleError
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.loader import lookup_loader
from ansible.template import Templar

from ansible_collections.crhq.platform.plugins.lookup import template as plugin

TEMPLATES = {
    "unit.j2": "# {{ ansible_managed }}\n[Service]\nUser={{ user }}\n{% if flag %}\nNoNewPrivileges=yes\n{% endif %}\n",
    "list.j2": "{% for port in ports %}{{ port }}\n{% endfor %}",
    "nested.j2": "{{ settings.name }}={{ settings.counts | join(',') }}\n\n",
    "include.j2": "{% include 'unit.j2' %}tail\n",
}


class NoDeepCopy:
    """A variable that must not be deep-copied (the built-in lookup copies every variable for each file)."""

    def __deepcopy__(self, memo):
        raise AssertionError("deep-copied")


@pytest.fixture
def variables(tmp_path):
    (tmp_path / "templates").mkdir()
    for name, text in TEMPLATES.items():
        (tmp_path / "templates" / name).write_text(text)
    return {"ansible_search_path": [str(tmp_path)], "user": "crhq", "flag": True, "ports": [22, 443],
            "settings": {"name": "workers", "counts": ["2", "4"]}}


@pytest.fixture(autouse=True)
def builtin_by_its_short_name(monkeypatch):
    """Without ansible-test's collection loader, pytest finds the built-in lookup by its short name only."""
    get = lookup_loader.get
    monkeypatch.setattr(plugin.lookup_loader, "get", lambda name, *args, **kwargs: get(
        "template" if name == "ansible.builtin.template" else name, *args, **kwargs))


def lookup(name):
    loader = DataLoader()
    if name == "crhq.platform.template":
        return plugin.LookupModule(loader=loader, templar=Templar(loader=loader))
    return lookup_loader.get(name, loader=loader, templar=Templar(loader=loader))


def test_documented():
    for block in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert getattr(plugin, block).strip()


def test_renders_every_template_as_the_builtin_lookup_does(variables):
    terms = list(TEMPLATES)
    ours = lookup("crhq.platform.template").run(terms, variables=dict(variables))
    builtin = lookup("template").run(terms, variables=dict(variables))
    assert ours == builtin
    assert ours[0] == "# Ansible managed\n[Service]\nUser=crhq\nNoNewPrivileges=yes\n"
    assert ours[1] == "22\n443\n" and ours[2] == "workers=2,4\n\n" and ours[3].endswith("tail\n")


def test_options_reach_the_builtin_lookup(variables):
    text = lookup("crhq.platform.template").run(["unit.j2"], variables=dict(variables), template_vars={"user": "other"},
                                                trim_blocks=False)
    assert "User=other\n" in text[0] and "\n\nNoNewPrivileges" in text[0]


def test_copies_the_variables_one_level_deep_and_leaves_them_as_they_were(variables):
    variables["untouchable"] = NoDeepCopy()
    before = dict(variables)
    with pytest.raises(AssertionError, match="deep-copied"):
        lookup("template").run(["unit.j2"], variables=dict(variables))
    assert lookup("crhq.platform.template").run(["unit.j2"], variables=variables)[0].startswith("# Ansible managed")
    assert variables == before and "template_path" not in variables


def test_a_missing_template_is_the_builtin_lookups_error(variables):
    with pytest.raises(AnsibleError, match="could not be found"):
        lookup("crhq.platform.template").run(["missing.j2"], variables=variables)

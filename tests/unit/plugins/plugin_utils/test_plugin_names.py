# -*- coding: utf-8 -*-
"""plugin_names: the fully qualified filters, tests and lookups a role's text names, found by their Jinja syntax."""

from __future__ import annotations

from ansible_collections.crhq.platform.plugins.plugin_utils.plugin_names import (
    plugin_names, plugin_names_in_files, text_files)


def test_each_kind_is_found_by_its_syntax():
    text = """
    when: ansible_facts is not crhq.platform.container_guest and x is crhq.platform.host_name
    loop: "{{ found | crhq.platform.permission_changes(targets) }}"
    paths: "{{ dirs |community.general.dict_kv('path') }}"
    named: "{{ dirs | map('community.general.dict_kv', 'path') | select("crhq.platform.role_selected", tags) }}"
    attr: "{{ files | selectattr('path', 'crhq.platform.under', '/etc') }}"
    body: "{{ query('crhq.platform.template', 'a.j2') }} {{ lookup("community.general.random_string") }}"
    """
    names = plugin_names(text)
    named = {"community.general.dict_kv", "crhq.platform.role_selected", "crhq.platform.under"}
    assert names["filter"] == {"crhq.platform.permission_changes", "community.general.dict_kv"} | named
    assert names["test"] == {"crhq.platform.container_guest", "crhq.platform.host_name"} | named
    assert names["lookup"] == {"crhq.platform.template", "community.general.random_string"}


def test_module_names_and_short_names_are_not_plugins_it_loads():
    text = """
    - name: Install
      ansible.builtin.apt: {name: nginx}
      when: packages | length > 0 and item is defined
      notify: crhq.platform.nginx : Reload nginx
    """
    assert plugin_names(text) == {"filter": set(), "test": set(), "lookup": set()}


def test_files_are_yaml_and_templates_below_the_paths_once_in_order(tmp_path):
    role = tmp_path / "role"
    (role / "tasks").mkdir(parents=True)
    (role / "templates").mkdir()
    (role / "files").mkdir()
    (role / "tasks" / "main.yml").write_text("when: x is crhq.platform.container_guest\n")
    (role / "templates" / "a.conf.j2").write_text("{{ y | crhq.platform.quote }}\n")
    (role / "files" / "script.sh").write_text("echo {{ z | crhq.platform.not_read }}\n")
    (role / "tasks" / "big.yml").write_text("x" * 20)
    playbook = tmp_path / "site.yml"
    playbook.write_text("- hosts: all\n  roles: [role]\n  tasks: [{debug: {msg: \"{{ query('crhq.platform.template', 'x') }}\"}}]\n")
    assert text_files([str(playbook), str(role), str(role / "tasks"), str(tmp_path / "absent")]) == [
        str(playbook), str(role / "tasks" / "big.yml"), str(role / "tasks" / "main.yml"), str(role / "templates" / "a.conf.j2")]
    names = plugin_names_in_files([str(playbook), str(role)])
    assert names == {"filter": {"crhq.platform.quote"}, "test": {"crhq.platform.container_guest"},
                     "lookup": {"crhq.platform.template"}}


def test_a_file_past_the_size_limit_is_not_read(tmp_path, monkeypatch):
    from ansible_collections.crhq.platform.plugins.plugin_utils import plugin_names as module
    monkeypatch.setattr(module, "MAX_BYTES", 10)
    (tmp_path / "small.yml").write_text("x | a.b.c\n")
    (tmp_path / "large.yml").write_text("y | d.e.f and more text\n")
    assert module.plugin_names_in_files([str(tmp_path)])["filter"] == {"a.b.c"}

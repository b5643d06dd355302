# -*- coding: utf-8 -*-
"""The worker_preload callback: the plugins a playbook's roles name are loaded in the controller, where every
worker process forked later inherits them; a name that cannot be loaded is left to the worker and fails nothing."""

from __future__ import annotations

import json
import subprocess
import sys

from ansible_collections.crhq.platform.plugins.callback import worker_preload


class _Role:
    def __init__(self, path):
        self._role_path = path


class _Play:
    def __init__(self, roles, tasks=None):
        self._roles = roles
        self.tasks = tasks or []

    def get_roles(self):
        return self._roles


class _Block:
    def __init__(self, role=None, block=None, rescue=None, always=None):
        self._role = role
        self.block, self.rescue, self.always = block or [], rescue or [], always or []


class _Task:
    def __init__(self, role=None):
        self._role = role


class _Playbook:
    def __init__(self, file_name, plays):
        self._file_name = file_name
        self._plays = plays

    def get_plays(self):
        return self._plays


# ansible-core's plugin loader set up as ansible-playbook sets it up (init_plugin_loader before the collection is
# imported), in a fresh interpreter: this test session imported the collection from sys.path already
PRELOAD_IN_A_FRESH_CONTROLLER = """
import json, sys
from ansible.plugins.loader import init_plugin_loader
init_plugin_loader([sys.argv[1]])
from ansible_collections.crhq.platform.plugins.callback import worker_preload
loaded = worker_preload.preload({
    "filter": {"crhq.platform.paths_in_place", "crhq.platform.no_such_filter"},
    "test": {"crhq.platform.container_guest", "no_such.collection.test"},
    "lookup": {"crhq.platform.template", "crhq.platform.no_such_lookup"},
})
modules = [name for name in sys.modules if name.startswith("ansible_collections.crhq.platform.plugins.")]
print(json.dumps({"loaded": loaded, "modules": modules}))
"""


def test_it_is_an_aggregate_callback_that_needs_enabling():
    plugin = worker_preload.CallbackModule
    assert plugin.CALLBACK_NEEDS_ENABLED is True
    assert plugin.CALLBACK_TYPE == "aggregate"
    assert plugin.CALLBACK_NAME == "crhq.platform.worker_preload"


def test_paths_are_the_playbook_and_each_role_of_its_plays_once(tmp_path):
    one, two = _Role(str(tmp_path / "one")), _Role(str(tmp_path / "two"))
    playbook = _Playbook(str(tmp_path / "site.yml"), [_Play([one, two]), _Play([]), _Play([one])])
    assert worker_preload.playbook_paths(playbook) == [str(tmp_path / "site.yml"), str(tmp_path / "one"), str(tmp_path / "two")]


def test_paths_include_the_roles_a_play_imports_in_its_tasks_nested_blocks_included(tmp_path):
    """import_role: the play holds the role's blocks, each knowing its role; a play-level task belongs to none."""
    first, second, third = (_Role(str(tmp_path / name)) for name in ("first", "second", "third"))
    tasks = [_Task(), _Block(first, block=[_Task(first)]),
             _Block(block=[_Block(second, rescue=[_Task(second)]), _Block(always=[_Task(third)])])]
    playbook = _Playbook(None, [_Play([], tasks=tasks)])
    assert worker_preload.playbook_paths(playbook) == [str(tmp_path / "first"), str(tmp_path / "second"), str(tmp_path / "third")]


def test_the_named_plugins_are_loaded_and_an_unknown_name_is_left_to_the_worker():
    import ansible_collections.crhq.platform as collection  # pylint: disable=import-outside-toplevel

    base = collection.__path__[0].rsplit("/ansible_collections/", 1)[0]  # holds ansible_collections/crhq/platform
    run = subprocess.run([sys.executable, "-c", PRELOAD_IN_A_FRESH_CONTROLLER, base],
                         capture_output=True, text=True, check=True, timeout=120)
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["loaded"] == {"filter": 1, "test": 1, "lookup": 1}, run.stderr
    for plugin in ("filter.paths_in_place", "test.container_guest", "lookup.template"):
        assert "ansible_collections.crhq.platform.plugins." + plugin in out["modules"]


def test_on_playbook_start_it_reads_the_roles_and_never_fails_the_run(tmp_path, monkeypatch):
    role = tmp_path / "role" / "tasks"
    role.mkdir(parents=True)
    (role / "main.yml").write_text("- when: found | crhq.platform.permission_changes(targets) | length > 0\n")
    seen = []
    monkeypatch.setattr(worker_preload, "preload", lambda names: seen.append(names) or {"filter": 1, "test": 0, "lookup": 0})
    worker_preload.CallbackModule().v2_playbook_on_start(_Playbook(None, [_Play([_Role(str(tmp_path / "role"))])]))
    assert seen == [{"filter": {"crhq.platform.permission_changes"}, "test": set(), "lookup": set()}]

    def broken(_names):
        raise RuntimeError("a loader that breaks")

    monkeypatch.setattr(worker_preload, "preload", broken)
    worker_preload.CallbackModule().v2_playbook_on_start(_Playbook(None, []))  # no exception

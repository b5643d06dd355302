# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: worker_preload
type: aggregate
short_description: Load the Jinja plugins a playbook names once, in the controller, instead of in every task's worker
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - ansible-core forks a worker process on the controller for every task and host, and the worker evaluates the
    task's conditions, loops and arguments. The first time a worker meets a filter, a test or a lookup it loads the
    plugin's file, and ansible-core's own filter and test files before any; the controller itself never needed them,
    so every worker loads them again. In a role of many short or skipped tasks that loading costs more than the task.
  - With this callback enabled, the controller loads them once when the playbook starts - ansible-core's own
    filters and tests, and every filter, test and lookup the playbook file and its plays' roles (the C(roles)
    keyword, M(ansible.builtin.import_role)) name by a fully qualified name (C(| ns.coll.name),
    C(is ns.coll.name), C(map('ns.coll.name')), C(query('ns.coll.name'))) - and each worker inherits them already
    loaded.
  - A name it cannot load is left to the worker, which reports it as it always does; the callback never fails a
    run. Roles that a play only includes at run time (M(ansible.builtin.include_role)) are not read.
  - It prints nothing and handles no other event (with C(-vvv), how many plugins it loaded and how long it took).
    On this collection's whole site re-run (C(scripts/bench site-rerun)) it took about a tenth of the wall time off,
    beside P(crhq.platform.worker_gc#callback)'s saving.
  - Enable it with C(callbacks_enabled) in C(ansible.cfg) or E(ANSIBLE_CALLBACKS_ENABLED); it works with any
    playbook, not only this collection's.
requirements:
  - enable in configuration
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = crhq.platform.worker_gc, crhq.platform.worker_preload
#
# or for one run:
# ANSIBLE_CALLBACKS_ENABLED=crhq.platform.worker_gc,crhq.platform.worker_preload ansible-playbook -i inventory crhq.platform.site
"""

import time

from ansible.plugins.callback import CallbackBase
from ansible.plugins.loader import filter_loader, lookup_loader, test_loader

from ansible_collections.crhq.platform.plugins.plugin_utils.plugin_names import plugin_names_in_files


def _block_roles(blocks):
    """The roles whose tasks these blocks hold (a role imported with import_role), nested blocks included."""
    roles = []
    for item in blocks or []:
        role = getattr(item, "_role", None)
        if role is not None:
            roles.append(role)
        for part in ("block", "rescue", "always"):
            children = getattr(item, part, None)
            if isinstance(children, list):
                roles.extend(_block_roles(children))
    return roles


def playbook_paths(playbook):
    """The playbook's own file and the directory of every role its plays name (the roles: keyword) or import
    (import_role, whose tasks the play holds once it is loaded)."""
    paths = [playbook._file_name] if getattr(playbook, "_file_name", None) else []  # pylint: disable=protected-access
    for play in playbook.get_plays():
        roles = list(play.get_roles())
        for section in ("pre_tasks", "tasks", "post_tasks", "handlers"):
            roles.extend(_block_roles(getattr(play, section, None)))
        for role in roles:
            path = getattr(role, "_role_path", None)
            if path and path not in paths:
                paths.append(path)
    return paths


def _load(get, name):
    """True when the loader found and loaded `name`; a name it cannot load is the worker's to report."""
    try:
        return get(name) is not None
    except Exception:  # pylint: disable=broad-exception-caught  # never fail a run here: the worker reports it
        return False


def preload(names):
    """Load ansible-core's own filters and tests, then the named plugins; the count of those loaded, by kind."""
    for loader in (filter_loader, test_loader):
        for _plugin in loader.all():
            pass
    return {
        "filter": sum(_load(filter_loader.get, name) for name in sorted(names["filter"])),
        "test": sum(_load(test_loader.get, name) for name in sorted(names["test"])),
        "lookup": sum(_load(lambda name: lookup_loader.get(name, class_only=True), name) for name in sorted(names["lookup"])),
    }


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "crhq.platform.worker_preload"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_start(self, playbook):
        started = time.monotonic()
        try:
            loaded = preload(plugin_names_in_files(playbook_paths(playbook)))
        except Exception as exc:  # pylint: disable=broad-exception-caught  # a speed-up never fails the run
            self._display.vvv("crhq.platform.worker_preload: nothing preloaded (%s)" % exc)
            return
        self._display.vvv("crhq.platform.worker_preload: %d filters, %d tests and %d lookups loaded in %.2f s"
                          % (loaded["filter"], loaded["test"], loaded["lookup"], time.monotonic() - started))

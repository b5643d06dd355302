# -*- coding: utf-8 -*-
# Copyright: (c) 2026, crhq.platform contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: worker_gc
type: aggregate
short_description: Spare each task's worker process a garbage collection of the controller's objects
version_added: 0.1.0
author: CRHQ platform team (@crhq)
description:
  - ansible-core forks a worker process on the controller for every task and host. The worker inherits every
    object of the controller (the parsed playbook, the roles, the variables and facts of all hosts), and Python's
    garbage collector in the worker walks all of them again whenever it makes a full collection, which a worker
    does several times while it templates a task. In a long playbook that walk costs more than the task.
  - With this callback enabled, each worker moves what it inherits into Python's permanent generation right after
    the fork (Python's C(gc.freeze), documented for processes forked without exec). The worker's collector
    then walks only the objects the worker makes itself; the controller's own collection is not changed, and
    nothing is kept longer than the worker process, which ends with its task.
  - It prints nothing and handles no event. What it saves grows with what the controller holds. On this
    collection's whole site re-run (C(scripts/bench site-rerun)) it took about 30% of the controller's processor
    time and a fifth of the wall time off while the roles looped over many files; on the shorter re-run of later
    releases (214 tasks) its saving is within the noise.
  - Enable it with C(callbacks_enabled) in C(ansible.cfg) or E(ANSIBLE_CALLBACKS_ENABLED); it works with any
    playbook, not only this collection's.
requirements:
  - enable in configuration
"""

EXAMPLES = r"""
# ansible.cfg
# [defaults]
# callbacks_enabled = crhq.platform.worker_gc
#
# or for one run:
# ANSIBLE_CALLBACKS_ENABLED=crhq.platform.worker_gc ansible-playbook -i inventory crhq.platform.site
"""

import gc
import os

from ansible.plugins.callback import CallbackBase

_REGISTERED = []  # os.register_at_fork cannot be undone: once per controller process, however often this loads


def register_worker_freeze():
    """Make every process forked from this one freeze the objects it inherits; True the first time it registers."""
    if _REGISTERED:
        return False
    os.register_at_fork(after_in_child=gc.freeze)
    _REGISTERED.append(True)
    return True


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "crhq.platform.worker_gc"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        register_worker_freeze()

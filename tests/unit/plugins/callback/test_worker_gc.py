# -*- coding: utf-8 -*-
"""The worker_gc callback: a process forked after it loaded starts with what it inherited frozen; its parent does not."""

from __future__ import annotations

import gc
import os

from ansible_collections.crhq.platform.plugins.callback import worker_gc


def _freeze_count_in_a_forked_child():
    """gc.get_freeze_count() in a child made by os.fork (as multiprocessing forks ansible-core's workers)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave at once, running nothing of the test session
        os.close(read_end)
        os.write(write_end, str(gc.get_freeze_count()).encode())
        os._exit(0)
    os.close(write_end)
    try:
        return int(os.read(read_end, 64).decode())
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)


def test_it_is_an_aggregate_callback_that_needs_enabling():
    plugin = worker_gc.CallbackModule
    assert plugin.CALLBACK_NEEDS_ENABLED is True
    assert plugin.CALLBACK_TYPE == "aggregate"
    assert plugin.CALLBACK_NAME == "crhq.platform.worker_gc"


def test_a_child_forked_after_it_loaded_has_the_inherited_objects_frozen_and_the_parent_not():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    worker_gc.CallbackModule()
    children = _freeze_count_in_a_forked_child()
    # the child's collector skips the objects it inherited (this test session's: tens of thousands)
    assert children > 10000
    # the parent keeps collecting everything as before
    assert gc.get_freeze_count() == 0


def test_it_registers_once_however_often_it_loads():
    worker_gc.CallbackModule()
    assert worker_gc.register_worker_freeze() is False
    assert worker_gc._REGISTERED == [True]

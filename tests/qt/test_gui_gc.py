"""Cyclic garbage is collected by the GUI thread's timer, never by whichever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread
from tests.qt.helpers import QUICK


class _Cycle(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.me = self  # a reference cycle: only the collector frees it


def test_a_worker_thread_never_collects_and_the_gui_timer_does(qtbot, qapp):
    collector = collect_garbage_in_gui_thread(qapp)
    assert collect_garbage_in_gui_thread(qapp) is collector and not gc.isenabled()
    cycle = weakref.ref(_Cycle())
    collected_in: list[str] = []

    def allocate_a_lot() -> None:  # far past the threshold that would start a collection here
        junk = [[i] for i in range(50 * collector.thresholds[0])]
        del junk
        collected_in.append("worker" if cycle() is None else "")

    worker = threading.Thread(target=allocate_a_lot)
    worker.start()
    worker.join()
    assert collected_in == [""] and cycle() is not None
    for _ in range(2 * collector.thresholds[0]):  # garbage cycles fill the young generation
        loop: list = []
        loop.append(loop)
    qtbot.waitUntil(lambda: cycle() is None, timeout=5000)  # the GUI timer's collection freed it


def test_what_lives_once_the_window_is_up_is_never_scanned_again(qapp):
    collector = collect_garbage_in_gui_thread(qapp)
    try:
        collector.freeze_startup()
        assert gc.get_freeze_count() > 1000  # the modules, Qt wrappers and test objects alive now
    finally:
        gc.unfreeze()  # the other tests' windows must stay collectable


def _old_cycle() -> weakref.ref:
    """A garbage cycle in the oldest generation, with that generation due: only a full collection frees it."""
    cycle = _Cycle()
    gc.collect(1)  # the cycle, alive, is promoted to the oldest generation
    found = weakref.ref(cycle)
    del cycle
    for _ in range(gc.get_threshold()[2] + 1):  # as many young-and-middle collections as make a full one due
        gc.collect(1)
    assert found() is not None
    return found


def test_a_full_collection_waits_while_held_and_comes_once_let_go(qapp):
    collector = collect_garbage_in_gui_thread(qapp)
    holder = QObject()
    cycle = _old_cycle()
    collector.hold_full_collections(holder, True)
    collector.collect_due()  # a full collection scans everything made since start-up: not now
    assert collector.full_collections_held and cycle() is not None
    collector.hold_full_collections(holder, False)
    collector.collect_due()
    assert not collector.full_collections_held and cycle() is None


def test_a_deleted_holder_holds_nothing(qapp):
    collector = collect_garbage_in_gui_thread(qapp)
    holder = QObject()
    collector.hold_full_collections(holder, True)
    del holder
    assert not collector.full_collections_held


def test_a_run_in_the_window_holds_full_collections_until_it_ends(qtbot, qapp, make_window):
    collector = collect_garbage_in_gui_thread(qapp)
    window = make_window()
    assert not collector.full_collections_held
    window.controls.set_config(QUICK.replace(epochs=2, batch_size=10))
    with qtbot.waitSignal(window.session.batch_finished, timeout=10000):
        window.controls.train_button.click()
    assert collector.full_collections_held  # periodic work during a run never grows with the run
    qtbot.waitSignal(window.session.run_finished, timeout=60000).wait()
    assert not collector.full_collections_held

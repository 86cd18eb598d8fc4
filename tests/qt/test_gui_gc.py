"""Cyclic garbage is collected by the GUI thread's timer, never by whichever thread allocates."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread


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

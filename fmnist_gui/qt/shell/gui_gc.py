"""Python's cyclic garbage collector, run only in the GUI thread.

Left automatic, a collection starts in whichever thread happens to allocate: a worker listing
runs could then destroy a widget of a closed dialog, which needs the GUI thread's lock while the
GUI thread, deleting a menu, waits for the Python lock the worker holds — a deadlock (seen in
the test suite). Reference counting still frees everything that is not in a cycle at once; only
cycles wait for the timer. The same idea as pyqtgraph's util.garbage_collector.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadGarbageCollection(QObject):
    """Turns automatic collection off and collects on a GUI-thread timer, generation by generation
    as Python's own thresholds would have."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(INTERVAL_MS)

    def freeze_startup(self) -> None:
        """Once the window is up: what is alive now (torch, the widgets) lives as long as the app, so
        full collections stop scanning it; one then takes milliseconds, not a 100 ms frame."""
        gc.collect()
        gc.freeze()

    def collect_due(self) -> None:
        young, middle, old = gc.get_count()
        if young > self.thresholds[0]:
            gc.collect(0)
            if middle > self.thresholds[1]:
                gc.collect(1)
                if old > self.thresholds[2]:
                    gc.collect(2)


def collect_garbage_in_gui_thread(app: QObject) -> GuiThreadGarbageCollection:
    """Install once per application (a second call returns the first)."""
    existing = app.findChild(GuiThreadGarbageCollection)
    return existing if existing is not None else GuiThreadGarbageCollection(app)

"""Python's cyclic garbage collector, run only in the GUI thread.

Left automatic, a collection starts in whichever thread happens to allocate: a worker listing
runs could then destroy a widget of a closed dialog, which needs the GUI thread's lock while the
GUI thread, deleting a menu, waits for the Python lock the worker holds — a deadlock (seen in
the test suite). Reference counting still frees everything that is not in a cycle at once; only
cycles wait for the timer. The same idea as pyqtgraph's util.garbage_collector.

What one collection costs is what it scans, and it holds the GUI thread (and the Python lock)
throughout. So the timer is short, and a young collection scans a tenth of a second of every
thread's allocations, not a second's (the training thread allocates fast as a run starts); and a
full collection, which scans every object made since start-up, waits while a run trains.
"""

from __future__ import annotations

import gc
import weakref

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 100


class GuiThreadGarbageCollection(QObject):
    """Turns automatic collection off and collects on a GUI-thread timer, generation by generation
    as Python's own thresholds would have; full collections wait while anything holds them."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._holders: weakref.WeakSet[QObject] = weakref.WeakSet()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.collect_due)
        self._timer.start(INTERVAL_MS)

    def freeze_startup(self) -> None:
        """Once the window is up: what is alive now (torch, the widgets) lives as long as the app, so
        full collections stop scanning it; one then takes milliseconds, not a 100 ms frame."""
        gc.collect()
        gc.freeze()

    def hold_full_collections(self, holder: QObject, held: bool) -> None:
        """While `holder` holds them (a run trains), full collections wait: one scans everything made since
        start-up, so its pause grows with the session and, during a run, with the run. Young collections go
        on; the full one comes at the first tick after the last holder lets go (or is deleted)."""
        if held:
            self._holders.add(holder)
        else:
            self._holders.discard(holder)

    @property
    def full_collections_held(self) -> bool:
        return len(self._holders) > 0

    def collect_due(self) -> None:
        young, middle, old = gc.get_count()
        if young > self.thresholds[0]:
            gc.collect(0)
            if middle > self.thresholds[1]:
                gc.collect(1)
        if old > self.thresholds[2] and not self.full_collections_held:
            gc.collect(2)


def collect_garbage_in_gui_thread(app: QObject) -> GuiThreadGarbageCollection:
    """Install once per application (a second call returns the first)."""
    existing = app.findChild(GuiThreadGarbageCollection)
    return existing if existing is not None else GuiThreadGarbageCollection(app)


def installed_collector(app: QObject | None) -> GuiThreadGarbageCollection | None:
    """The application's GUI-thread collector, or None where the app collects as Python does."""
    return app.findChild(GuiThreadGarbageCollection) if app is not None else None

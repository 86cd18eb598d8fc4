"""The form's "Find…" button: the learning-rate finder on its own lane, shown in its dialog.

The finder trains its own fresh model, so it never touches the model on screen; it runs on a
lane of its own so that predictions and drawings are still answered meanwhile. Its progress
crosses threads as plain floats, already throttled by the engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.engine.lr_finder import FinderOptions, FinderResult, find_learning_rate
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.views.controls import ControlsPanel
from fmnist_gui.qt.views.lr_finder import LRFinderDialog

LANE = "lr-finder"


class _ProgressRelay(QObject):
    """Emitted in the finder's thread, received queued in the GUI thread."""

    advanced = Signal(int, float, float, float)  # search number, fraction done, rate, smoothed loss


class LRFinderController(QObject):
    """Runs the finder with the form's values and the loaded data; "Use this rate" fills the form."""

    search_finished = Signal(object)  # FinderResult, or None when the search failed

    def __init__(self, work: BackgroundWork, controls: ControlsPanel, data: Callable[[], FashionMNIST | None],
                 reporter: Reporter, window: QWidget) -> None:
        super().__init__(window)
        self._lane = work.lane(LANE)
        work.on_shutdown(self.stop)
        self._controls, self._data, self._reporter, self._window = controls, data, reporter, window
        self.options = FinderOptions()
        self.dialog: LRFinderDialog | None = None
        self._search = 0  # the current search's number: reports of an earlier one are dropped
        self._stop: threading.Event | None = None
        self._relay = _ProgressRelay(self)
        self._relay.advanced.connect(self._on_progress)
        controls.find_lr_requested.connect(self.start)

    @property
    def running(self) -> bool:
        return self._stop is not None

    def start(self, config: TrainConfig) -> None:
        """Open the dialog and search with `config`'s model, optimizer, batch size, weight decay, momentum and device."""
        data = self._data()
        if data is None:
            return
        self.stop()
        self._search += 1
        search, stop, relay, options = self._search, threading.Event(), self._relay, self.options
        self._stop = stop
        dialog = self._dialog()
        dialog.begin(describe(config), options.start_lr, options.end_lr)
        dialog.show()
        dialog.raise_()

        def work() -> FinderResult:
            return find_learning_rate(config, data, options, stop,
                                      lambda fraction, lr, loss: relay.advanced.emit(search, fraction, lr, loss))

        self._lane.submit(LANE, work, lambda result: self._on_done(search, result),
                          lambda message, details: self._on_failed(search, message, details))

    def stop(self) -> None:
        """End the search at its next batch (the dialog closed, Stop, the app quitting)."""
        if self._stop is not None:
            self._stop.set()
            self._stop = None

    def _dialog(self) -> LRFinderDialog:
        if self.dialog is None:
            self.dialog = LRFinderDialog(self._window)
            self.dialog.stop_requested.connect(self.stop)
            self.dialog.closed.connect(self.stop)
            self.dialog.rate_chosen.connect(self._on_rate_chosen)
        return self.dialog

    def _on_progress(self, search: int, fraction: float, lr: float, loss: float) -> None:
        if search == self._search and self.dialog is not None:
            self.dialog.add_point(fraction, lr, loss)

    def _on_done(self, search: int, result: FinderResult) -> None:
        if search != self._search or self.dialog is None:
            return
        self._stop = None
        self.dialog.show_result(result)
        self._reporter.note(f"Learning-rate finder: {result.message}")
        self.search_finished.emit(result)

    def _on_failed(self, search: int, message: str, details: str) -> None:
        if search != self._search or self.dialog is None:
            return
        self._stop = None
        self.dialog.show_failure(message)
        if details:  # not a known failure: a bug, shown with its details
            self._reporter.error("The learning-rate finder failed", message, details)
        else:
            self._reporter.note(f"Learning-rate finder failed: {message}")
        self.search_finished.emit(None)

    def _on_rate_chosen(self, rate: float) -> None:
        self._controls.lr.setValue(rate)
        self._reporter.note(f"Learning rate set to {self._controls.lr.value():g}, the finder's suggestion.")


def describe(config: TrainConfig) -> str:
    """The values a search uses, in a line."""
    momentum = f" · momentum {config.momentum:g}" if config.optimizer == "sgd" else ""
    return (f"{config.model} · {config.optimizer} · batch {config.batch_size} · weight decay {config.weight_decay:g}"
            f"{momentum} · seed {config.seed} · on {config.device}")

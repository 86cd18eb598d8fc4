"""The form's "Find…" button: the learning-rate finder on its own lane, shown in its dialog.

The finder trains its own fresh model, so it never touches the model on screen; it runs on a
lane of its own so that predictions and drawings are still answered meanwhile. It stops as the
trainer does, through a RunControl: Stop and closing the dialog end it with what it found so
far; a newer search or quitting cancels its job, which stops it too. Its progress reaches the
dialog through the job, throttled by the task layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.engine.callbacks import RunControl
from fmnist_gui.qt.background.tasks import BackgroundWork, Job
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runtime import after_torch
from fmnist_gui.qt.state.runtime import TorchRuntime
from fmnist_gui.qt.views.controls import ControlsPanel
from fmnist_gui.qt.views.lr_finder import LRFinderDialog

if TYPE_CHECKING:
    from fmnist_gui.engine.lr_finder import FinderOptions, FinderResult

LANE = "lr-finder"


class LRFinderController(QObject):
    """Runs the finder with the form's values and the loaded data; "Use this rate" fills the form."""

    search_finished = Signal(object)  # FinderResult, or None when the search failed

    def __init__(self, work: BackgroundWork, controls: ControlsPanel, data: Callable[[], FashionMNIST | None],
                 reporter: Reporter, runtime: TorchRuntime, window: QWidget) -> None:
        super().__init__(window)
        self.runtime = runtime
        self._lane = work.lane(LANE)
        self._controls, self._data, self._reporter, self._window = controls, data, reporter, window
        self.options: FinderOptions | None = None  # the engine's defaults unless set (tests use a short search)
        self.dialog: LRFinderDialog | None = None
        self._control: RunControl | None = None  # the running search's
        self._schedule = "constant"  # the form's schedule when the search began: it decides the advice
        controls.find_lr_requested.connect(self.start)

    @property
    def running(self) -> bool:
        return self._control is not None

    def start(self, config: TrainConfig) -> None:
        """Open the dialog and search with `config`'s model, optimizer, batch size, weight decay, momentum and device."""
        if not self.runtime.is_loaded:
            after_torch(self.runtime, self._reporter, "find", "The learning-rate finder starts", lambda: self.start(config))
            return
        data = self._data()
        if data is None:
            return
        self.stop()
        from fmnist_gui.engine.lr_finder import FinderOptions, find_learning_rate  # Find waits for torch

        control, options = RunControl(), self.options or FinderOptions()
        self._control = control
        dialog = self._dialog()
        dialog.begin(describe(config), options.start_lr, options.end_lr, current=config.lr)
        self._schedule = config.schedule
        dialog.show()
        dialog.raise_()

        def search(job: Job[FinderResult]) -> FinderResult:
            job.on_cancel(control.stop)
            return find_learning_rate(config, data, options, control,
                                      lambda fraction, lr, loss: job.report((fraction, lr, loss)), report_interval=0.0)

        self._lane.submit(LANE, search, self._on_done, self._on_failed, self._on_progress)

    def stop(self) -> None:
        """End the search at its next batch, keeping what it found (the dialog closed, Stop)."""
        if self._control is not None:
            self._control.stop()
            self._control = None

    def _dialog(self) -> LRFinderDialog:
        if self.dialog is None:
            self.dialog = LRFinderDialog(self._window)
            self.dialog.stop_requested.connect(self.stop)
            self.dialog.closed.connect(self.stop)
            self.dialog.rate_chosen.connect(self._on_rate_chosen)
        return self.dialog

    def _on_progress(self, point: tuple[float, float, float]) -> None:
        if self.dialog is not None:
            self.dialog.add_point(*point)

    def _on_done(self, result: FinderResult) -> None:
        if self.dialog is None:
            return
        self._control = None
        advised = result.advice(self._schedule)
        self.dialog.show_result(result, *(advised if advised is not None else (None, "")))
        self._reporter.note(f"Learning-rate finder: {result.message}")
        self.search_finished.emit(result)

    def _on_failed(self, message: str, details: str) -> None:
        if self.dialog is None:
            return
        self._control = None
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

"""The runs comparison room's controller: reads the chosen runs off the GUI thread and shows the metric asked for.

Each run's metrics.csv is read once per refresh; batches.csv, which can be long, only once a batch
metric is chosen. While a chosen run is still training, the room reads again every REFRESH_MS (never
a second read while one runs), so its curve grows as it would in the Runs tab.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer

from fmnist_gui.engine.events import EpochSummary
from fmnist_gui.runs import RunInfo, read_batches, read_metrics, read_run
from fmnist_gui.runs.side_by_side import Metric, differing_fields, metric_series
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.views.runs_room import RunsRoomView

REFRESH_MS = 3000
READ_KEY = "runs-room"


@dataclass(frozen=True)
class RoomRun:
    """One run as the room holds it: its summary, its epochs, and its batch reports once asked for."""

    info: RunInfo
    history: list[EpochSummary]
    batches: dict[str, np.ndarray] | None


def read_room(folders: Sequence[Path], with_batches: bool) -> list[RoomRun]:
    """For the inference lane: every run's summary and metrics (and batches when asked)."""
    return [RoomRun(read_run(folder), read_metrics(folder), read_batches(folder) if with_batches else None)
            for folder in folders]


class RunsRoomController(QObject):
    def __init__(self, *, view: RunsRoomView, inference: InferenceWorker, reporter: Reporter,
                 compare_runs: Callable[[Path, Path], object], open_run: Callable[[Path], object],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self.inference, self.reporter = view, inference, reporter
        self.folders: list[Path] = []
        self.runs: list[RoomRun] = []
        self._reading = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.read)
        view.metric_chosen.connect(self._on_metric_chosen)
        view.compare_requested.connect(compare_runs)
        view.open_requested.connect(open_run)

    def show_runs(self, folders: Sequence[Path]) -> None:
        self.folders, self.runs = list(folders), []
        self._reading = False
        self.inference.cancel(READ_KEY)
        self.read()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.inference.cancel(READ_KEY)
        self._reading = False

    def read(self) -> None:
        if self._reading or not self.folders:
            return
        if self.runs and not any(run.info.status == "running" for run in self.runs):
            self._timer.stop()  # nothing left that grows
            return
        self._read()

    def _read(self) -> None:
        self._reading = True
        folders, batches = list(self.folders), self.view.chosen_metric.per_batch
        self.inference.run(READ_KEY, lambda job: read_room(folders, batches), self._on_read, self._on_failed)

    def _on_read(self, runs: list[RoomRun]) -> None:
        self._reading = False
        if [run.info for run in runs] != [run.info for run in self.runs]:
            self.view.set_runs([run.info for run in runs], differing_fields([run.info.config for run in runs]))
        self.runs = runs
        self._draw()

    def _on_failed(self, message: str, details: str) -> None:
        self._reading = False
        self.reporter.error("Cannot read the runs", message, details)

    def _on_metric_chosen(self) -> None:
        if self.view.chosen_metric.per_batch and any(run.batches is None for run in self.runs):
            self.inference.cancel(READ_KEY)  # a read under way without the batches: this one replaces it
            self._reading = False
            self._read()
            return
        self._draw()

    def _draw(self) -> None:
        metric: Metric = self.view.chosen_metric
        series = []
        for run in self.runs:
            batch_size = run.info.config.batch_size if run.info.config is not None else None
            x, y = metric_series(metric, run.history, run.batches, batch_size)
            series.append((run.info.name, x, y))
        empty = [name for name, x, _ in series if not len(x)]
        note = f"Nothing yet for {', '.join(empty)}." if empty else ""
        self.view.show_series(metric, series, note)

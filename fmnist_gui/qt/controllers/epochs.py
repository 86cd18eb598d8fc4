"""The epoch timeline's controller: any snapshot of the open run into every analysis view, or beside it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject

from fmnist_gui.checkpoint import Checkpoint, load_checkpoint
from fmnist_gui.runs import read_run, snapshots
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.views.timeline import EpochTimeline


class EpochsController(QObject):
    def __init__(self, *, timeline: EpochTimeline, document: ModelDocument, analysis: AnalysisController,
                 inference: InferenceWorker, reporter: Reporter, compare_with: Callable[[Checkpoint | None, str], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._compare = compare_with  # another epoch as the second model of every comparing view
        self._comparing = False  # whether the second model is one of this run's epochs
        self.timeline, self.document, self.analysis, self.inference, self.reporter = timeline, document, analysis, inference, reporter
        self._saved: dict[int, Path] = {}
        self._folder: Path | None = None
        document.changed.connect(self._list_snapshots)
        timeline.epoch_chosen.connect(self._show_epoch)
        timeline.compare_chosen.connect(self._compare_with)

    def _list_snapshots(self) -> None:
        folder = self.document.run_folder
        if folder is None:
            self._saved, self._folder = {}, None
            self._stop_comparing()
            self.timeline.set_epochs([])
            return
        checkpoint = self.document.checkpoint
        shown = checkpoint.epoch if checkpoint is not None else None
        if folder != self._folder:  # another run: a comparison with one of the last run's epochs means nothing
            self._folder = folder
            self._stop_comparing()

        def listed(found: tuple[list[tuple[int, Path]], str]) -> None:
            self._saved = dict(found[0])
            self.timeline.set_epochs(sorted(self._saved), found[1], shown)

        self.inference.run("snapshots", lambda job: (snapshots(folder), read_run(folder).name), listed,
                           lambda message, details: self.reporter.note(f"Cannot list the snapshots of {folder}: {message}"))

    def _load(self, epoch: int, then) -> None:  # noqa: ANN001 - a callback taking the Checkpoint
        path = self._saved.get(epoch)
        if path is not None:
            self.inference.run(f"timeline-{then.__name__}", lambda job: load_checkpoint(path), then,
                               lambda message, details: self.reporter.error("Cannot open that epoch", message, details))

    def _show_epoch(self, epoch: int) -> None:
        def show(checkpoint: Checkpoint) -> None:
            self.analysis.evaluate(checkpoint)

        self._load(epoch, show)

    def _compare_with(self, epoch: int) -> None:
        if not epoch:
            self._stop_comparing()
            return

        def compare(checkpoint: Checkpoint) -> None:
            self._comparing = True
            self._compare(checkpoint, f"Epoch {epoch}")

        self._load(epoch, compare)

    def _stop_comparing(self) -> None:
        if self._comparing:
            self._comparing = False
            self._compare(None, "")

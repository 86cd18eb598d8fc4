"""Following a run that another process writes (a terminal's `fmnist-gui train`, a folder synced from a GPU server)."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint, load_checkpoint
from fmnist_gui.data import FULL_COUNTS
from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
from fmnist_gui.runs import FollowUpdate, RunFollower, RunInfo, run_folder_of, snapshots
from fmnist_gui.runs.layout import RUN_JSON
from fmnist_gui.safe_text import printable
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.run_status import RunStatusBar

POLL_MS = 1000


class FollowController(QObject):
    """Polls one run folder on the inference worker and shows what was added: curves, status, the newest model."""

    started = Signal(Path)  # the followed folder
    run_read = Signal(RunInfo)  # the followed run as its run.json says now: its name and its config
    epoch_added = Signal(int)  # the newest epoch the followed run finished
    ended = Signal()

    def __init__(self, *, plots: TrainingPlots, status: RunStatusBar, analysis: AnalysisController,
                 inference: InferenceWorker, reporter: Reporter, document: ModelDocument,
                 may_discard: Callable[[str], bool], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.plots, self.status, self.analysis, self.inference, self.reporter = plots, status, analysis, inference, reporter
        self.document, self._may_discard = document, may_discard
        self.folder: Path | None = None
        self._follower: RunFollower | None = None
        self._info: RunInfo | None = None  # the followed run's, as last read
        self._epochs: list[EpochSummary] = []
        self._batches: dict[str, list[float]] = {"step": [], "epoch": [], "loss": [], "lr": []}
        self._changes: list[HyperparameterChange] = []
        self._shown_epoch = 0
        self._per_epoch = 1.0
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def active(self) -> bool:
        return self._follower is not None

    def choose(self, parent: QWidget, start: Path) -> None:
        """File → Follow a run folder…"""
        folder = dialogs.run_folder(parent, str(start))
        if folder:
            self.follow(Path(folder))

    def follow(self, folder: Path) -> None:
        """Watch a run folder another process writes; the model on screen (after asking) gives way to it.
        A folder that is not a run (no run.json) is refused with a message, changing nothing."""
        if run_folder_of(folder) != folder:
            self.reporter.error("Cannot follow this folder", f"{printable(folder)} is not a run folder: it holds no "
                                f"{RUN_JSON}. Choose a folder that fmnist-gui train or the window records into.")
            return
        if not self._may_discard("follow another run"):
            return
        self.stop()
        self.document.start_fresh()
        self.analysis.predictions.clear_results()
        self.folder, self._follower, self._info = folder, RunFollower(folder), None
        self._epochs, self._shown_epoch, self._changes = [], 0, []
        self._batches = {key: [] for key in self._batches}
        self.plots.clear()
        self.status.reset()
        self.reporter.note(f"Following {folder}: its curves and views update as it is written.")
        self.started.emit(folder)
        self._poll()
        self._timer.start()

    def stop(self) -> None:
        if self._follower is None:
            return
        self._timer.stop()
        self.inference.cancel("follow")
        self._follower = None
        self.reporter.note(f"Stopped following {self.folder}.")
        self.ended.emit()

    def _poll(self) -> None:
        follower = self._follower
        if follower is not None:
            self.inference.run("follow", lambda job: follower.poll(), self._on_update,
                               lambda message, details: self.reporter.note(f"Cannot read {self.folder}: {message}"))

    def _on_update(self, update: FollowUpdate) -> None:
        if self._follower is None:
            return
        if update.vanished:
            self.reporter.error("The followed run is gone", f"{self.folder} was deleted or moved.")
            self.stop()
            return
        if update.restarted:  # a resumed run rewrote its files: what was read before is replaced
            self._epochs, self._changes = [], []
            self._batches = {key: [] for key in self._batches}
        self._epochs.extend(update.epochs)
        self._changes.extend(update.changes)
        for key in self._batches:
            self._batches[key].extend(np.asarray(update.batches.get(key, ())).tolist())
        info = update.info
        if info is not None and info.config is not None and not self._epochs:  # before the first epoch ends
            self._per_epoch = float(math.ceil(FULL_COUNTS["train"] / info.config.batch_size))
        if info is not None:
            self.status.showMessage(f"Following “{info.name}”: {info.status}, epoch {info.epochs_done} of {info.epochs_asked}")
            if info != self._info:
                self._info = info
                self.run_read.emit(info)
        if update.epochs or len(update.batches.get("step", ())) or update.changes or update.restarted:
            self._redraw()
        if self._epochs and self._epochs[-1].epoch > self._shown_epoch:
            self._show_newest_model()
            self.epoch_added.emit(self._shown_epoch)

    def _redraw(self) -> None:
        if self._epochs and self._epochs[-1].epoch > 0 and self._epochs[-1].step > 0:
            self._per_epoch = self._epochs[-1].step / self._epochs[-1].epoch
        self.plots.show_history(self._epochs, self._batches, self._per_epoch, self._changes)

    def _show_newest_model(self) -> None:
        folder = self.folder
        if folder is None:
            return
        epoch = self._epochs[-1].epoch
        self._shown_epoch = epoch

        def load() -> Checkpoint | None:
            saved = dict(snapshots(folder))
            return load_checkpoint(saved[epoch]) if epoch in saved else None

        def loaded(checkpoint: Checkpoint | None) -> None:
            if checkpoint is not None and self._follower is not None:
                self.analysis.evaluate(checkpoint)

        self.inference.run("follow-model", lambda job: load(), loaded,
                           lambda message, details: self.reporter.note(f"Cannot read the snapshot of epoch {epoch}: {message}"))


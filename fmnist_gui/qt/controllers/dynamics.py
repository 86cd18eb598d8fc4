"""Keeps the training dynamics on screen current: a live run's, or a recorded run's read from its folder.

Sources: the run training in this window (one row more at each epoch's end), a checkpoint opened
from a run folder, a followed run (re-read as it finishes epochs) and an epoch picked in the
Epochs timeline (the dynamics up to it). Files are read and summaries derived on the inference
lane; deriving waits until a view of the dynamics is on screen, so a run trains undisturbed.
Dynamics of other data than the loaded set are never shown.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QDockWidget

from fmnist_gui.dynamics import DynamicsSummary, TrainingDynamics, summarize
from fmnist_gui.engine.events import EpochRecord, RunStarted
from fmnist_gui.runs import read_dynamics, read_run
from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.controllers.follow import FollowController
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.views.data_map import DataMapView
from fmnist_gui.qt.views.timeline import EpochTimeline

DYNAMICS_DOCKS = ("data_map", "suspects", "pinned", "forgetting")  # the docks that show the dynamics
THIS_RUN = "this run"
READ_KEY, DERIVE_KEY = "dynamics", "dynamics-summary"


class DynamicsController(QObject):
    def __init__(self, *, model: DynamicsModel, data_map: DataMapView, session: TrainingSession, document: ModelDocument,
                 following: FollowController, timeline: EpochTimeline, analysis: AnalysisController,
                 inference: InferenceWorker, reporter: Reporter, docks: dict[str, QDockWidget],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model, self.document, self.following, self.session = model, document, following, session
        self.predictions, self.inference, self.reporter = analysis.predictions, inference, reporter
        self.full: TrainingDynamics | None = None  # every epoch of the source, kept to go back and forth in
        self.until: int | None = None  # the last epoch shown, or None for all
        self.source = ""
        self.folder: Path | None = None  # the run folder the dynamics come from; None for a run not recorded
        self._live = False  # the source is the run training in this window
        self._waiting_for_data: tuple[Path, int | None] | None = None  # a read asked before the data set was loaded
        self._visible: set[str] = set()
        self._stale = False  # what is on screen is behind `full`/`until`

        session.run_started.connect(self._on_run_started)
        session.epoch_finished.connect(self._on_epoch_finished)
        document.opened.connect(self._on_opened)
        following.started.connect(lambda folder: self._read(folder, None))
        following.epoch_added.connect(lambda epoch: self._read(following.folder, None) if following.folder else None)
        timeline.epoch_chosen.connect(self._on_epoch_chosen)
        self.predictions.data_changed.connect(self._on_data_changed)
        data_map.image_chosen.connect(analysis.inspect)
        views = analysis.views
        for view in (data_map, views.mistakes, views.browser, views.inspector):
            view.pin_requested.connect(self.pin)
        for key in DYNAMICS_DOCKS:
            if key in docks:
                docks[key].visibilityChanged.connect(lambda visible, key=key: self._on_visibility_changed(key, visible))

    # Entry points
    def pin(self, split: str, index: int) -> None:
        if not self.model.is_pinned(split, index):
            self.model.pin(split, index)
            self.reporter.note(f"Pinned {'training' if split == 'train' else 'test'} image #{index}: "
                               "the Pinned panel follows it epoch by epoch.")

    @property
    def shown_anywhere(self) -> bool:
        return bool(self._visible)

    # Sources
    def _on_run_started(self, run: RunStarted) -> None:
        self.inference.cancel(READ_KEY)  # a recorded run's late answer must not replace this one
        self._waiting_for_data = None
        labels = self._labels()
        if labels is None:
            self._set(None, "")
            return
        if self.session.train_labels is not None:  # a run with a label fix set trains (and is mapped) on its labels
            labels = (self.session.train_labels, labels[1])
        earlier = self.full
        if run.start_epoch > 0 and earlier is not None and earlier.matches(*labels):
            start = earlier.until(run.start_epoch)  # a resumed run goes on from where its model stood
        else:
            start = TrainingDynamics.empty(*labels)
        self._live = True
        self.folder = self.document.run_folder
        self._set(start, THIS_RUN)

    def _on_epoch_finished(self, record: EpochRecord) -> None:
        if not self._live or self.full is None or record.train_dynamics is None:
            return
        try:
            full = self.full.with_epoch(record.train_dynamics, record.test_probabilities)
        except ValueError as exc:
            self._live = False
            self.reporter.note(f"The data map stops following this run: {exc}.")
            return
        self._set(full, THIS_RUN, until=None)

    def _on_opened(self, checkpoint: Checkpoint) -> None:
        self._live = False
        folder = self.document.run_folder
        if folder is None:  # a lone checkpoint file: whatever map was on screen is of another model
            self.inference.cancel(READ_KEY)
            self._set(None, "")
        else:
            self._read(folder, checkpoint.epoch)

    def _on_epoch_chosen(self, epoch: int) -> None:
        folder = self.document.run_folder
        if self.full is not None and (self._live or (folder is not None and folder == self.folder)):
            self.until = epoch
            self._publish()
        elif folder is not None:
            self._read(folder, epoch)

    def _on_data_changed(self) -> None:
        labels = self._labels()
        if self.full is not None and (labels is None or not _of_this_data(self.full, labels, fixed=True)):
            self._live = False
            self._set(None, "")
        if self._waiting_for_data is not None and labels is not None:
            folder, until = self._waiting_for_data
            self._read(folder, until)

    def _read(self, folder: Path, until: int | None) -> None:
        """Read a run folder's dynamics on the inference lane and show them up to `until`."""
        self._live = False
        if self._labels() is None:
            self._waiting_for_data = (folder, until)
            return
        self._waiting_for_data = None

        def read() -> tuple[TrainingDynamics | None, str, bool]:
            info = read_run(folder)
            return read_dynamics(folder), info.name, bool(info.config is not None and info.config.labels)

        self.inference.run(READ_KEY, lambda job: read(), lambda result: self._on_read(folder, until, *result),
                           lambda message, details: self.reporter.error("Cannot read the training dynamics", message, details))

    def _on_read(self, folder: Path, until: int | None, dynamics: TrainingDynamics | None, name: str,
                 fixed: bool = False) -> None:
        if self._live:
            return
        labels = self._labels()
        source = f"run “{name}”"
        if dynamics is None:
            self.reporter.note(f"The {source} has no training dynamics recorded yet, so there is no data map for it.")
        elif labels is None or not _of_this_data(dynamics, labels, fixed):
            self.reporter.note(f"The training dynamics of the {source} are of other data than the loaded "
                               "Fashion-MNIST; the data map does not show them.")
            dynamics = None
        self.folder = folder
        self._set(dynamics, source if dynamics is not None else "", until)

    # Showing
    def _set(self, full: TrainingDynamics | None, source: str, until: int | None = None) -> None:
        self.full, self.source, self.until = full, source, until
        self._publish()

    def _publish(self) -> None:
        """Derive what the views show and hand it to the model; later, if no view of it is on screen."""
        full = self.full
        if full is None:
            self.inference.cancel(DERIVE_KEY)
            self._stale = False
            if self.model.dynamics is not None or self.model.source:
                self.model.set_dynamics(None, None, "")
            return
        shown = full if self.until is None else full.until(self.until)
        if shown.epoch_count == 0:  # nothing to derive yet
            self.inference.cancel(DERIVE_KEY)
            self._stale = False
            self.model.set_dynamics(shown, None, self.source)
            return
        if not self.shown_anywhere:
            self._stale = True
            return
        self._stale = False
        source = self.source

        def derive() -> DynamicsSummary:
            return summarize(shown.train_probability, shown.train_predicted, shown.train_labels)

        self.inference.run(DERIVE_KEY, lambda job: derive(), lambda summary: self.model.set_dynamics(shown, summary, source),
                           lambda message, details: self.reporter.error("Cannot draw the data map", message, details))

    def _on_visibility_changed(self, key: str, visible: bool) -> None:
        if visible:
            self._visible.add(key)
            if self._stale:
                self._publish()
        else:
            self._visible.discard(key)

    def _labels(self) -> tuple[np.ndarray, np.ndarray] | None:
        train, test = self.predictions.train, self.predictions.test
        return None if train is None or test is None else (train.labels, test.labels)


def _of_this_data(dynamics: TrainingDynamics, labels: tuple[np.ndarray, np.ndarray], fixed: bool) -> bool:
    """Whether `dynamics` are of the loaded data (training and test labels); a run with a label fix set trained on
    other training labels than the files hold, so only its sizes and test labels must agree."""
    train, test = labels
    if not fixed:
        return dynamics.matches(train, test)
    return dynamics.train_size == len(train) and np.array_equal(dynamics.test_labels, test)

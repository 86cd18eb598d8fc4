"""Label fixes in the window: which fix set is under review, each decision recorded and saved, training with one,
and the comparison of the runs before and after the fixes.

The views say what their user decided through `LabelFixes.request`; this controller asks for a fix set
when none is in use, records the decision (one undo step) and saves the small file at once, merged with
what another window saved meanwhile. A new run takes the form's "Training labels" choice: the fix set
as it is saved then, named in the run's config as NAME@HASH.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.engine import FinishReason, RunFinished
from fmnist_gui.errors import UserFacingError
from fmnist_gui.labels import LABELS_ENV, Action, LabelsError
from fmnist_gui.labels.training import data_for_run, training_fix_set, with_fixes
from fmnist_gui.names import SAFE_NAME, SAFE_NAME_RULE
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.views.controls import ControlsPanel
from fmnist_gui.qt.views.label_review import ReviewPanel

CompareWith = Callable[[Checkpoint, str], None]


def labels_dir_beside(runs_dir: Path) -> Path:
    """Where the window keeps fix sets: $FMNIST_LABELS, else `labels` beside the runs folder (as the CLI does)."""
    explicit = os.environ.get(LABELS_ENV)
    return Path(explicit).expanduser() if explicit else runs_dir.parent / "labels"


class LabelFixesController(QObject):
    def __init__(self, *, fixes: LabelFixes, review: ReviewPanel, controls: ControlsPanel, predictions: Predictions,
                 document: ModelDocument, reporter: Reporter, settings: Settings, compare_with: CompareWith,
                 window: QWidget) -> None:
        super().__init__(window)
        self.fixes, self.review, self.controls, self.predictions = fixes, review, controls, predictions
        self.document, self.reporter, self.settings = document, reporter, settings
        self._compare_with, self._window = compare_with, window
        self._before: tuple[Checkpoint, str] | None = None  # the model on screen when a run with new fixes started
        fixes.decision_requested.connect(self._on_decision)
        review.fix_set_chosen.connect(self.choose)
        review.new_fix_set_requested.connect(self.make_new)
        fixes.changed.connect(self._on_changed)
        fixes.listed.connect(lambda: controls.set_fix_sets(fixes.names_known))
        predictions.data_changed.connect(self._reopen_last)
        fixes.list_names()

    # Which fix set
    def choose(self, name: str) -> bool:
        """Review the fix set `name` ("" for none); False, with a message, when it cannot be opened."""
        self._save()
        if not name:
            self.fixes.deactivate()
            self.settings.set_fix_set("")
            return True
        train = self.predictions.train
        if train is None:
            self.reporter.error("No fix set without the data", "A fix set records decisions about the training images: "
                                "load Fashion-MNIST first.")
            return False
        try:
            self.fixes.activate(name, train.labels)
        except UserFacingError as exc:
            self.reporter.error("Cannot open the fix set", str(exc))
            self.review.refresh()
            return False
        self.settings.set_fix_set(name)
        return True

    def make_new(self) -> bool:
        """Ask for a name and review a new, empty fix set under it."""
        name = dialogs.text_input(self._window, "New label fix set",
                                  "Name of the fix set (your decisions about training labels go into it):",
                                  f"review-{len(self.fixes.names_known) + 1}")
        if not name:
            return False
        if not SAFE_NAME.fullmatch(name):
            self.reporter.error("Not a fix set name", f"{name!r} cannot name a fix set: {SAFE_NAME_RULE}.")
            return False
        if name in self.fixes.names_known:
            return self.choose(name)
        if not self.choose(name):
            return False
        self.reporter.note(f"Decisions go into the new fix set {name} ({self.fixes.labels_dir}); the data files are "
                           "never changed.")
        return True

    # Decisions
    def _on_decision(self, indices: np.ndarray, action: Action | None, label: int | None) -> None:
        if not len(indices):
            return
        if self.fixes.fix_set is None and not self.make_new():
            return
        try:
            if action is None:
                self.fixes.forget(indices)
            else:
                self.fixes.decide(indices, action, label)
        except UserFacingError as exc:
            self.reporter.error("Cannot record the decision", str(exc))

    def _save(self) -> None:
        try:
            self.fixes.save()
        except UserFacingError as exc:
            self.reporter.error("Cannot save the fix set", f"{exc} Your decisions are kept in the window and saved "
                                "with the next one.")

    def _on_changed(self) -> None:
        """Each decision, undo and redo is saved at once: a crash loses none, another window sees it."""
        if self.fixes.fix_set is not None and self.fixes.fix_set.dirty:
            self._save()
        if self.fixes.name and self.fixes.name not in self.fixes.names_known and self.fixes.labels_dir.exists():
            self.fixes.list_names()  # a new fix set's file exists now: the form offers it

    def _reopen_last(self) -> None:
        """The fix set in use when the window last closed, once the training labels it belongs to are here."""
        name = self.settings.fix_set()
        if name and self.fixes.fix_set is None and self.predictions.train is not None and name in self.fixes.names_known:
            self.choose(name)

    # Training with fixes
    def training_data(self, config: TrainConfig, data: FashionMNIST, fresh: bool) -> tuple[TrainConfig, FashionMNIST]:
        """What a run trains on: a new run the form's fix set as it is saved now, a continued one the fix set it
        trained with (UserFacingError when it changed or is gone). Remembers the model on screen, to compare."""
        if not fresh:
            return config, data_for_run(config.labels, data, self.fixes.labels_dir)
        name = self.controls.training_labels()
        self._before = None
        if not name:
            return config.replace(labels=""), data
        if name == self.fixes.name:
            self.fixes.save()  # every decision so far, as the run will record it
        fix_set = training_fix_set(name, self.fixes.labels_dir, data)
        if not fix_set.counts.changed:
            raise LabelsError(f"The fix set {name} changes no training label yet: relabel or set aside images in the "
                              "Suspects tab first, or train with the labels as in the data files.")
        on_screen = self.document.checkpoint
        if on_screen is not None and on_screen.trained and on_screen.config.labels != fix_set.identity:
            where = self.document.run_folder or (Path(self.document.path) if self.document.path else None)
            self._before = (on_screen, where.name if where is not None else f"{on_screen.config.model}, {on_screen.position}")
        return config.replace(labels=fix_set.identity), with_fixes(data, fix_set)

    def run_finished(self, result: RunFinished, trained: Checkpoint | None) -> None:
        """After a run trained with new fixes: offer to compare it with the model that was on screen before."""
        before, self._before = self._before, None
        if result.reason not in (FinishReason.COMPLETED, FinishReason.STOPPED):
            return
        if before is None or trained is None or not trained.history:
            return
        checkpoint, name = before
        accuracy = checkpoint.history[-1].test_accuracy if checkpoint.history else None
        said = f" ({accuracy:.2f}%)" if accuracy is not None else ""
        if dialogs.confirm(self._window, "Did the fixes help?",
                           f"The run trained with the fix set {trained.config.labels.split('@')[0]} reached "
                           f"{trained.history[-1].test_accuracy:.2f}%. Compare it with the model before the fixes, "
                           f"{name}{said}: the accuracy of each, whether the difference is real, and the images that "
                           "changed?", "Compare"):
            self._compare_with(checkpoint, f"before the fixes: {name}")

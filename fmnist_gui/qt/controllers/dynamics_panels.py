"""Wires the views of the training dynamics (suspects, pinned images, forgetting) to the shared model.

The dynamics and their summary arrive in `DynamicsModel` (filled by the dynamics controller);
this controller hands each view what it draws, as numpy slices of them and the training images
of `Predictions`, and carries the views' requests: inspect an image, pin or unpin it, export
the suspects as CSV.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.dynamics import DynamicsSummary, Suspect, TrainingDynamics, most_forgotten
from fmnist_gui.engine.events import NOT_SEEN
from fmnist_gui.errors import UserFacingError
from fmnist_gui.export import write_suspects_csv
from fmnist_gui.formats import counted
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.state.predictions import Predictions, Split
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.views.forgetting import ForgettingTotals, ForgettingView
from fmnist_gui.qt.views.pinned import PinnedImage, PinnedView
from fmnist_gui.qt.views.suspects import SuspectsView

MOST_FORGOTTEN_LISTED = 300
Inspect = Callable[[str, np.ndarray, int], None]  # split name, dataset indices, position
Raise = Callable[[str], None]


class DynamicsViews:
    """The widgets of the dynamics docks, by their keys in docks.DOCKS."""

    def __init__(self, class_names: tuple[str, ...], fixes: LabelFixes | None = None) -> None:
        self.suspects = SuspectsView(class_names, fixes)
        self.pinned = PinnedView(class_names)
        self.forgetting = ForgettingView(class_names)


def forgetting_marks(predicted: np.ndarray, labels: np.ndarray) -> list[np.ndarray]:
    """Per column of (E, K) predicted classes: the epochs (row indices) at which that image was forgotten.

    Right at its last seen epoch and wrong now; epochs it was not seen in are skipped, as in
    `dynamics.forgetting_epochs`, but for K images at once.
    """
    predicted = np.asarray(predicted)
    events = np.zeros(predicted.shape, dtype=bool)
    previous = np.zeros(predicted.shape[1], dtype=np.int8)  # 0 not seen yet or wrong, 1 right
    for epoch, row in enumerate(predicted):
        seen = row != NOT_SEEN
        correct = row == labels
        events[epoch] = (previous == 1) & seen & ~correct
        previous = np.where(seen, correct.astype(np.int8), previous)
    return [np.flatnonzero(column) for column in events.T]


class DynamicsPanelsController(QObject):
    def __init__(self, *, views: DynamicsViews, model: DynamicsModel, predictions: Predictions, inspect: Inspect,
                 raise_dock: Raise, reporter: Reporter, settings: Settings, window: QWidget) -> None:
        super().__init__(window)
        self.views, self.model, self.predictions = views, model, predictions
        self.reporter, self.settings, self._window = reporter, settings, window
        self._raise = raise_dock
        model.changed.connect(self._on_dynamics_changed)
        model.pins_changed.connect(self._on_pins_changed)
        predictions.data_changed.connect(self._on_dynamics_changed)  # the thumbnails' images arrived
        predictions.data_changed.connect(self._on_pins_changed)
        for view in (views.suspects, views.pinned, views.forgetting):
            view.image_chosen.connect(inspect)
        views.suspects.pin_requested.connect(self._pin)
        views.forgetting.pin_requested.connect(self._pin)
        views.pinned.unpin_requested.connect(model.unpin)
        views.suspects.export_requested.connect(self.export_suspects)
        views.forgetting.class_chosen.connect(self._list_most_forgotten)
        self._on_dynamics_changed()
        self._on_pins_changed()

    # What the views show
    def _shown(self) -> tuple[TrainingDynamics, DynamicsSummary] | None:
        """The dynamics and their summary, once it is derived; the views show nothing in between."""
        dynamics, summary = self.model.dynamics, self.model.summary
        return None if dynamics is None or summary is None else (dynamics, summary)

    def _train_split(self, dynamics: TrainingDynamics) -> Split | None:
        """The training images, when they are the ones the dynamics were recorded on."""
        train = self.predictions.train
        return train if train is not None and len(train.labels) == dynamics.train_size else None

    def _about(self) -> str:
        epochs = self.model.epoch_count
        return f"{self.model.source or 'training'}, {counted(epochs, 'epoch')}"

    def _on_dynamics_changed(self) -> None:
        shown = self._shown()
        if shown is None:
            self.views.suspects.set_suspects(None)
            self.views.forgetting.set_forgetting(None, None)
            self.views.forgetting.show_most_forgotten(None, np.zeros(0, np.int64), np.zeros(0, np.int64))
            return
        dynamics, summary = shown
        train = self._train_split(dynamics)
        suspects = summary.suspects
        positions = np.array([s.index for s in suspects], dtype=np.int64)
        histories = dynamics.train_probability[:, positions].T.astype(np.float32)
        marks = forgetting_marks(dynamics.train_predicted[:, positions], dynamics.train_labels[positions])
        self.views.suspects.set_suspects(suspects, histories, marks, None if train is None else train.images,
                                         dynamics.train_size, self._about(), found=summary.suspect_count)
        stats = summary.statistics
        totals = ForgettingTotals(int(np.isfinite(stats.confidence).sum()), int((stats.forgetting > 0).sum()),
                                  int(stats.never_learned.sum()), int(stats.unforgettable.sum()), summary.epochs)
        self.views.forgetting.set_forgetting(summary.forgetting_per_class, totals, self._about())
        self._list_most_forgotten(self.views.forgetting.chosen_class)

    def _list_most_forgotten(self, label: int) -> None:
        shown = self._shown()
        if shown is None:
            return
        dynamics, summary = shown
        forgetting = summary.statistics.forgetting
        indices = most_forgotten(forgetting, MOST_FORGOTTEN_LISTED, dynamics.train_labels, None if label < 0 else label)
        train = self._train_split(dynamics)
        if train is None:
            indices = indices[:0]  # nothing to draw them with
        self.views.forgetting.show_most_forgotten(train, indices, forgetting[indices])

    def _on_pins_changed(self) -> None:
        pins = []
        for split_name, index in self.model.pins:
            split = self.predictions.split(split_name)
            if split is not None and not 0 <= index < len(split.labels):
                split = None  # pinned on another data set: its image is not here
            history = self.model.history(split_name, index)
            if history is not None:
                label = history.label
            elif split is not None:
                label = int(split.labels[index])
            else:
                continue  # of another data set, and no dynamics to tell its label
            image = None if split is None else split.images[index]
            pins.append(PinnedImage(split_name, index, label, image, history))
        self.views.pinned.set_pins(pins)

    # What the views ask for
    def _pin(self, split: str, index: int) -> None:
        self.model.pin(split, index)
        self._raise("pinned")

    def export_suspects(self, suspects: Sequence[Suspect]) -> None:
        """Ask where, then write the listed suspects as CSV; a failure is reported and leaves no file."""
        if not suspects:
            self.reporter.error("Nothing to export", "No likely mislabelled images are listed.")
            return
        suggested = str(Path(self.settings.last_folder()) / "likely-mislabelled.csv")
        chosen = dialogs.save_path(self._window, "Export the likely mislabelled images", suggested, "CSV tables (*.csv)")
        if not chosen:
            return
        try:
            path = write_suspects_csv(suspects, chosen, self.predictions.class_names)
        except (UserFacingError, OSError) as exc:
            self.reporter.error("Cannot export", str(exc))
            return
        self.reporter.note(f"Exported {len(suspects):,} likely mislabelled images to {path}")

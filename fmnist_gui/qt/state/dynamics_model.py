"""The training dynamics on screen, what follows from them, and the pinned images: one shared object.

Like `Predictions`, views take it in their constructor and redraw when it says it changed; only
the dynamics controller writes the dynamics. Everything here is numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.dynamics import DynamicsSummary, TrainingDynamics, forgetting_epochs

MAX_PINS = 24


@dataclass(frozen=True)
class ImageHistory:
    """One image's record over the epochs: what a pinned image's sparkline draws."""

    split: str  # "train" or "test"
    index: int
    label: int
    epochs: np.ndarray  # (E,) the epoch numbers
    probability: np.ndarray  # (E,) float32, probability of its label; NaN where not seen
    predicted: np.ndarray  # (E,) uint8
    forgotten: np.ndarray  # indices into `epochs` where it went from right to wrong


class DynamicsModel(QObject):
    changed = Signal()  # new dynamics, or none
    pins_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dynamics: TrainingDynamics | None = None
        self.summary: DynamicsSummary | None = None  # derived from `dynamics`, None until it is
        self.source = ""  # what they are of, for people: "this run", "run Baseline"
        self.pins: list[tuple[str, int]] = []  # (split, index), in the order they were pinned

    def set_dynamics(self, dynamics: TrainingDynamics | None, summary: DynamicsSummary | None, source: str) -> None:
        self.dynamics, self.summary, self.source = dynamics, summary, source
        self.changed.emit()
        if self.pins:
            self.pins_changed.emit()  # their histories changed with the dynamics

    @property
    def epoch_count(self) -> int:
        return 0 if self.dynamics is None else self.dynamics.epoch_count

    def pin(self, split: str, index: int) -> None:
        """Pin an image (training or test set); the oldest pin goes when there are MAX_PINS."""
        key = (split, int(index))
        if key in self.pins:
            return
        self.pins = [*self.pins, key][-MAX_PINS:]
        self.pins_changed.emit()

    def unpin(self, split: str, index: int) -> None:
        key = (split, int(index))
        if key in self.pins:
            self.pins = [pin for pin in self.pins if pin != key]
            self.pins_changed.emit()

    def is_pinned(self, split: str, index: int) -> bool:
        return (split, int(index)) in self.pins

    def history(self, split: str, index: int) -> ImageHistory | None:
        """The image's probability of its label per epoch; None without dynamics or for an index outside them."""
        d = self.dynamics
        if d is None:
            return None
        labels, probability, predicted = ((d.train_labels, d.train_probability, d.train_predicted) if split == "train"
                                          else (d.test_labels, d.test_probability, d.test_predicted))
        if not 0 <= index < len(labels):
            return None
        label = int(labels[index])
        column = probability[:, index].astype(np.float32)
        classes = predicted[:, index]
        return ImageHistory(split, int(index), label, d.epochs, column, classes, forgetting_epochs(column, classes, label))

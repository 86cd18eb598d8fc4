"""What the views show: the data set and the current model's predictions on it, in one place.

Views take this object in their constructor and redraw when it says it changed; views only read
it. Controllers write to it: the data controller sets the data set, the training, analysis and
follow controllers set or clear the results. Everything here is numpy, so the GUI thread never
runs a torch op.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.checkpoint import Checkpoint


@dataclass(frozen=True)
class Split:
    """Images and labels of one split, with the current model's probabilities once known."""

    name: str  # "test" or "train"
    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64
    probabilities: np.ndarray | None = None  # (N, 10) float32

    @property
    def predictions(self) -> np.ndarray | None:
        return None if self.probabilities is None else self.probabilities.argmax(axis=1)

    @property
    def confidences(self) -> np.ndarray | None:
        return None if self.probabilities is None else self.probabilities.max(axis=1)

    @property
    def accuracy(self) -> float | None:
        """Percent of images the model gets right, once its probabilities are known."""
        predictions = self.predictions
        if predictions is None or not len(self.labels):
            return None
        return 100.0 * float((predictions == self.labels).mean())


@dataclass(frozen=True)
class Baseline:
    """Which model the results are of, for people, and what the per-class bars compare them with."""

    label: str | None = None  # "Epoch 2", or "Epoch 2 + 94 batches" after a stop mid-epoch
    previous: np.ndarray | None = None  # per-class accuracy of the last finished epoch before it
    previous_label: str | None = None  # "epoch 1"

    @classmethod
    def of(cls, checkpoint: Checkpoint) -> Baseline:
        history = checkpoint.history
        if not history:
            return cls()
        # A model stopped mid-epoch compares with its last finished epoch; a finished one with the epoch before.
        before = history[-1] if checkpoint.extra_batches else (history[-2] if len(history) > 1 else None)
        return cls(checkpoint.position.capitalize(), None if before is None else before.per_class_array(),
                   None if before is None else f"epoch {before.epoch}")


class Predictions(QObject):
    data_changed = Signal()  # a data set was loaded
    results_changed = Signal()  # the model, its probabilities or its metrics changed
    train_results_changed = Signal()  # training-set probabilities arrived

    def __init__(self, class_names: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.test: Split | None = None
        self.train: Split | None = None
        self.checkpoint: Checkpoint | None = None  # the model the results come from
        self.confusion: np.ndarray | None = None
        self.per_class: np.ndarray | None = None
        self.baseline = Baseline()

    def set_data(self, test_images: np.ndarray, test_labels: np.ndarray, train_images: np.ndarray, train_labels: np.ndarray) -> None:
        self.test = Split("test", test_images, test_labels)
        self.train = Split("train", train_images, train_labels)
        self.clear_results()
        self.data_changed.emit()

    def set_results(
        self,
        checkpoint: Checkpoint | None,
        probabilities: np.ndarray,
        confusion: np.ndarray,
        per_class: np.ndarray,
        baseline: Baseline,
    ) -> None:
        """Test-set results of a model: the train split's, if any, are now stale."""
        if self.test is None:
            return
        self.checkpoint = checkpoint
        self.test = Split("test", self.test.images, self.test.labels, probabilities)
        if self.train is not None:
            self.train = Split("train", self.train.images, self.train.labels)
        self.confusion, self.per_class, self.baseline = confusion, per_class, baseline
        self.results_changed.emit()

    def set_train_probabilities(self, probabilities: np.ndarray) -> None:
        """Training-set probabilities of the current model (whoever computes them drops stale ones)."""
        if self.train is None:
            return
        self.train = Split("train", self.train.images, self.train.labels, probabilities)
        self.train_results_changed.emit()

    def clear_results(self) -> None:
        self.checkpoint = None
        self.confusion = self.per_class = None
        self.baseline = Baseline()
        for name in ("test", "train"):
            split = getattr(self, name)
            if split is not None:
                setattr(self, name, Split(split.name, split.images, split.labels))
        self.results_changed.emit()

    def split(self, name: str) -> Split | None:
        return self.test if name == "test" else self.train

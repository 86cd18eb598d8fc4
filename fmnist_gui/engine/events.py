"""Plain-data records the engine reports: numbers, strings and numpy copies, never tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np

from fmnist_gui.config import TrainConfig


class FinishReason(str, Enum):
    COMPLETED = "completed"
    STOPPED = "stopped"
    FAILED = "failed"
    DIVERGED = "diverged"


@dataclass(frozen=True)
class RunStarted:
    config: TrainConfig
    device_name: str  # what the run trains on, for people: "cpu" or "cuda:0 (NVIDIA H100)"
    start_epoch: int  # epochs already done (non-zero when resuming)
    batches_per_epoch: int
    train_size: int
    test_size: int
    parameter_count: int


@dataclass(frozen=True)
class BatchRecord:
    epoch: int  # 1-based
    batch: int  # batches done in this epoch
    batches: int  # batches per epoch
    step: int  # batches done since the model was created (continues across resumes)
    loss: float  # mean training loss over the batches since the previous record
    accuracy: float  # running training accuracy of this epoch, percent
    lr: float
    samples_per_second: float
    progress: float  # fraction of this run done, 0..1
    eta_seconds: float
    elapsed: float  # seconds of training in this run, pauses excluded


@dataclass(frozen=True)
class EpochRecord:
    epoch: int
    epochs: int
    step: int
    train_loss: float
    train_accuracy: float  # percent
    test_loss: float
    test_accuracy: float  # percent
    per_class_accuracy: np.ndarray  # (10,) percent; NaN for a class absent from the test set
    confusion: np.ndarray  # (10, 10) int64, rows are true classes
    test_probabilities: np.ndarray  # (N, 10) float32, softmax of every test image
    sample_indices: np.ndarray  # the fixed test images shown as samples
    lr: float
    seconds: float  # this epoch, evaluation included
    elapsed: float  # this run so far

    @property
    def sample_probabilities(self) -> np.ndarray:
        return self.test_probabilities[self.sample_indices]

    @property
    def sample_predictions(self) -> np.ndarray:
        return self.sample_probabilities.argmax(axis=1)

    def to_history(self) -> dict[str, Any]:
        """The epoch's metrics as plain Python values, for checkpoints and JSON."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "per_class_accuracy": [None if math.isnan(v) else float(v) for v in self.per_class_accuracy],
            "confusion": self.confusion.astype(int).tolist(),
            "lr": self.lr,
            "seconds": self.seconds,
        }


@dataclass(frozen=True)
class RunFinished:
    reason: FinishReason
    message: str  # one sentence for people
    epochs_completed: int  # the epoch count the model has reached
    elapsed: float
    error_details: str | None = None  # the traceback of a failed run

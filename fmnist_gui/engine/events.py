"""Plain-data records the engine reports: numbers, strings and numpy copies, never tensors."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from enum import Enum
from typing import Any

import numpy as np

from fmnist_gui import checks
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import NUM_CLASSES
from fmnist_gui.errors import UserFacingError


CHANCE_ACCURACY = 15.0  # percent: ten classes give 10% by guessing; at or below this a run has learned nothing


def learned_nothing(test_accuracy: float) -> bool:
    """Whether a test accuracy is no better than guessing among the ten classes."""
    return test_accuracy <= CHANCE_ACCURACY


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
    execution: str = "fp32"  # the path the steps take: "fp32, channels-last", "bf16 autocast, channels-last" (engine.paths)
    execution_chosen: str = ""  # how the path was chosen, for people: "asked for", "measured on this CPU", …


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


NOT_SEEN = 255  # the predicted class of an image a run has not trained on in an epoch


@dataclass(frozen=True)
class EpochDynamics:
    """One epoch's per-example record of the training set, indexed by position in the set."""

    epoch: int
    label_probability: np.ndarray  # (N,) float16: the probability given to the image's label; NaN where not seen
    predicted: np.ndarray  # (N,) uint8: the predicted class; NOT_SEEN where not seen


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
    # Each training image's probability of its label and predicted class in this epoch (None in
    # records made elsewhere than the trainer); images a resumed run trained before it started are unseen.
    train_dynamics: EpochDynamics | None = None

    @property
    def sample_probabilities(self) -> np.ndarray:
        return self.test_probabilities[self.sample_indices]

    @property
    def sample_predictions(self) -> np.ndarray:
        return self.sample_probabilities.argmax(axis=1)

    def summary(self) -> EpochSummary:
        """The epoch's metrics without the per-image arrays: what history and checkpoints keep."""
        return EpochSummary(
            epoch=self.epoch,
            step=self.step,
            train_loss=float(self.train_loss),
            train_accuracy=float(self.train_accuracy),
            test_loss=float(self.test_loss),
            test_accuracy=float(self.test_accuracy),
            per_class_accuracy=tuple(float(v) for v in self.per_class_accuracy),
            confusion=tuple(tuple(int(n) for n in row) for row in self.confusion),
            lr=float(self.lr),
            seconds=float(self.seconds),
        )


@dataclass(frozen=True)
class EpochSummary:
    """One finished epoch's metrics as plain values: an entry of a run's and a checkpoint's history."""

    epoch: int
    step: int
    train_loss: float
    train_accuracy: float  # percent
    test_loss: float
    test_accuracy: float  # percent
    per_class_accuracy: tuple[float, ...]  # percent, NaN where a class had no test images
    confusion: tuple[tuple[int, ...], ...] | None  # rows are true classes; None when not kept
    lr: float
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """The JSON and checkpoint form: plain Python values, None for a missing class."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "test_loss": self.test_loss,
            "test_accuracy": self.test_accuracy,
            "per_class_accuracy": [None if math.isnan(v) else v for v in self.per_class_accuracy],
            "confusion": None if self.confusion is None else [list(row) for row in self.confusion],
            "lr": self.lr,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, raw: object) -> EpochSummary:
        """A summary from its stored form, every field checked; ValueError names the first bad one."""
        entry = checks.mapping(raw, "a history entry")
        missing = [name for name in _SUMMARY_FIELDS if name not in entry]
        if missing:
            raise ValueError(f"a history entry lacks {missing[0]}")
        per_class = checks.sequence(entry["per_class_accuracy"], "per_class_accuracy", NUM_CLASSES)
        return cls(
            epoch=checks.whole(entry["epoch"], "epoch", 1),
            step=checks.whole(entry["step"], "step"),
            train_loss=checks.finite(entry["train_loss"], "train_loss", 0.0),
            train_accuracy=checks.finite(entry["train_accuracy"], "train_accuracy", 0.0, 100.0),
            test_loss=checks.finite(entry["test_loss"], "test_loss", 0.0),
            test_accuracy=checks.finite(entry["test_accuracy"], "test_accuracy", 0.0, 100.0),
            per_class_accuracy=tuple(
                math.nan if v is None else checks.finite(v, "per_class_accuracy", 0.0, 100.0) for v in per_class
            ),
            confusion=_confusion_from(entry["confusion"]),
            lr=checks.finite(entry["lr"], "lr", 0.0),
            seconds=checks.finite(entry["seconds"], "seconds", 0.0),
        )

    def per_class_array(self) -> np.ndarray:
        """Per-class accuracy as a float array, NaN where a class had no test images."""
        return np.array(self.per_class_accuracy, dtype=np.float64)


_SUMMARY_FIELDS = tuple(f.name for f in fields(EpochSummary))


def _confusion_from(raw: object) -> tuple[tuple[int, ...], ...] | None:
    """A stored confusion matrix: None, or 10 rows of 10 non-negative counts."""
    if raw is None:
        return None
    rows = checks.sequence(raw, "confusion", NUM_CLASSES)
    return tuple(
        tuple(checks.whole(n, "a confusion count") for n in checks.sequence(row, "a confusion row", NUM_CLASSES))
        for row in rows
    )


EDITABLE_FIELDS = ("lr", "weight_decay", "momentum")  # the values a paused run can change
FIELD_LABELS = {"lr": "lr", "weight_decay": "weight decay", "momentum": "momentum"}


@dataclass(frozen=True)
class HyperparameterChange:
    """One value changed while a run was paused; it applies from the batch after `step`.

    `old` and `new` are the config's values: for one-cycle and cosine the rate is the schedule's peak.
    """

    step: int  # batches trained before the change
    epoch: int  # the epoch the change happened in, 1-based
    batch: int  # batches of that epoch trained before the change
    field: str  # one of EDITABLE_FIELDS
    old: float
    new: float

    @property
    def label(self) -> str:
        """For people: "lr 1e-3→3e-4"."""
        return f"{FIELD_LABELS[self.field]} {short_number(self.old)}→{short_number(self.new)}"

    def to_dict(self) -> dict[str, Any]:
        return {"step": self.step, "epoch": self.epoch, "batch": self.batch, "field": self.field,
                "old": self.old, "new": self.new}

    @classmethod
    def from_dict(cls, raw: object) -> HyperparameterChange:
        """A change from its stored form, every field checked; ValueError names the first bad one."""
        entry = checks.mapping(raw, "a change")
        missing = [name for name in _CHANGE_FIELDS if name not in entry]
        if missing:
            raise ValueError(f"a change lacks its {missing[0]}")
        field = entry["field"]
        if field not in EDITABLE_FIELDS:
            raise ValueError(f"a change's field is {checks.shown(field)}, not one of {', '.join(EDITABLE_FIELDS)}")
        old, new = (checks.finite(entry[key], f"a change's {key}") for key in ("old", "new"))
        problem = value_problem(field, old) or value_problem(field, new)
        if problem:
            raise ValueError(problem.rstrip("."))
        return cls(step=checks.whole(entry["step"], "a change's step"), epoch=checks.whole(entry["epoch"], "a change's epoch", 1),
                   batch=checks.whole(entry["batch"], "a change's batch"), field=field, old=old, new=new)


_CHANGE_FIELDS = tuple(f.name for f in fields(HyperparameterChange))


def value_problem(field: str, value: object) -> str | None:
    """Why `value` is not allowed for the config field `field`, in TrainConfig's own words; None when it is."""
    try:
        TrainConfig().replace(**{field: value})
    except UserFacingError as exc:
        return str(exc)
    return None


def short_number(value: float) -> str:
    """A rate as people write it: 0.9, 0.01, 3e-4."""
    if value != 0 and not 0.01 <= abs(value) < 10_000:
        mantissa, exponent = f"{value:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{value:.3g}"


@dataclass(frozen=True)
class RunFinished:
    reason: FinishReason
    message: str  # one sentence for people
    epochs_completed: int  # the epoch count the model has reached
    elapsed: float
    error_details: str | None = None  # the traceback of a failed run

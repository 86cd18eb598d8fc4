"""Several runs side by side, for the comparison room: any one metric as (x, y) per run, and what their configs differ in.

Epoch metrics come from metrics.csv (`read_metrics`, per-class accuracy included), batch metrics from
batches.csv (`read_batches`); x is always in epochs, so the two kinds share an axis.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_gui.config import TrainConfig
from fmnist_gui.data import CLASS_NAMES, FULL_COUNTS
from fmnist_gui.engine.events import EpochSummary


@dataclass(frozen=True)
class Metric:
    key: str  # "test_accuracy", "batch_loss", "class_3", …
    label: str  # as the room's menu names it
    unit: str  # the y axis's
    per_batch: bool = False  # read from batches.csv
    log: bool = False  # drawn on a log axis


EPOCH_METRICS: dict[str, Callable[[EpochSummary], float]] = {
    "test_accuracy": lambda entry: entry.test_accuracy,
    "test_loss": lambda entry: entry.test_loss,
    "train_accuracy": lambda entry: entry.train_accuracy,
    "train_loss": lambda entry: entry.train_loss,
}
CLASS_PREFIX = "class_"
# The fields two configs are compared by (the preset they started from is not one: it only names them).
CONFIG_FIELDS = tuple(field.name for field in dataclasses.fields(TrainConfig) if field.compare)


def metrics(class_names: Sequence[str] = CLASS_NAMES) -> list[Metric]:
    """Every metric the room offers, in its menu's order."""
    return [Metric("test_accuracy", "Test accuracy", "%"), Metric("test_loss", "Test loss", "cross-entropy"),
            Metric("train_accuracy", "Train accuracy", "%"), Metric("train_loss", "Train loss", "cross-entropy"),
            Metric("batch_loss", "Batch loss", "cross-entropy", per_batch=True),
            Metric("lr", "Learning rate", "lr", per_batch=True, log=True),
            *(Metric(f"{CLASS_PREFIX}{index}", f"Accuracy of {name}", "%") for index, name in enumerate(class_names))]


def metric_series(metric: Metric, history: Sequence[EpochSummary], batches: Mapping[str, np.ndarray] | None,
                  batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(x in epochs, y) of one run; empty arrays for what the run has not written (or a batch metric without `batches`)."""
    if metric.per_batch:
        if batches is None or not len(batches.get("step", ())):
            return np.zeros(0), np.zeros(0)
        steps = np.asarray(batches["step"], dtype=float)
        values = np.asarray(batches["loss" if metric.key == "batch_loss" else "lr"], dtype=float)
        return steps / _steps_per_epoch(history, batch_size, steps), values
    epochs = np.array([entry.epoch for entry in history], dtype=float)
    if metric.key.startswith(CLASS_PREFIX):
        index = int(metric.key[len(CLASS_PREFIX):])
        accuracies = [entry.per_class_accuracy[index] if index < len(entry.per_class_accuracy) else math.nan
                      for entry in history]
        return epochs, np.array(accuracies, dtype=float)
    return epochs, np.array([EPOCH_METRICS[metric.key](entry) for entry in history], dtype=float)


def differing_fields(configs: Sequence[TrainConfig | None]) -> list[str]:
    """The config fields whose values are not all the same over the runs (a run without a config differs in all)."""
    known = [dataclasses.asdict(config) for config in configs if config is not None]
    if len(known) < len(configs):
        return list(CONFIG_FIELDS)
    return [name for name in CONFIG_FIELDS if len({repr(values[name]) for values in known}) > 1]


def _steps_per_epoch(history: Sequence[EpochSummary], batch_size: int | None, steps: np.ndarray) -> float:
    """From the finished epochs when there are (their last step), else from the batch size, else the steps so far."""
    if history and history[-1].epoch > 0 and history[-1].step > 0:
        return history[-1].step / history[-1].epoch
    if batch_size:
        return float(math.ceil(FULL_COUNTS["train"] / batch_size))
    return max(1.0, float(steps.max()))

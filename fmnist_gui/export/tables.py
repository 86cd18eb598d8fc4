"""CSV tables: the metrics of several runs in one long-format file, and a confusion matrix."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.export.common import PathLike, save_text
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.engine.events import EpochSummary

METRICS_HEADER = ("run", "epoch", "metric", "value")
EPOCH_METRICS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds")
CONFUSION_CORNER = "true \\ predicted"
_FORMULA_STARTS = ("=", "+", "-", "@")  # what a spreadsheet would run as a formula (tabs are gone by then)


def write_metrics_csv(
    runs: Sequence[tuple[str, Sequence[EpochSummary]]], path: PathLike, class_names: Sequence[str] = CLASS_NAMES
) -> Path:
    """All runs' epochs in one file, one row per (run, epoch, metric): `run,epoch,metric,value`.

    Metrics are EPOCH_METRICS then `accuracy_<class>` per class (accuracies in percent); a class
    without test images has an empty value. Written atomically.
    """
    return save_text(path, csv_text([METRICS_HEADER, *metrics_rows(runs, class_names)]))


def metrics_rows(runs: Sequence[tuple[str, Sequence[EpochSummary]]], class_names: Sequence[str] = CLASS_NAMES) -> Iterator[tuple[str, ...]]:
    metric_names = [*EPOCH_METRICS, *(f"accuracy_{printable(name)}" for name in class_names)]
    for run, history in runs:
        run_name = spreadsheet_text(run)
        for entry in history:
            values = [getattr(entry, metric) for metric in EPOCH_METRICS]
            if len(entry.per_class_accuracy) != len(class_names):
                raise ValueError(f"epoch {entry.epoch} of {run_name} has {len(entry.per_class_accuracy)} class accuracies, not {len(class_names)}")
            values += entry.per_class_accuracy
            for metric, value in zip(metric_names, values):
                yield run_name, str(entry.epoch), metric, _number(value)


def write_confusion_csv(confusion: np.ndarray, class_names: Sequence[str], path: PathLike) -> Path:
    """A header row of predicted class names, then one row of counts per true class. Written atomically."""
    matrix = np.asarray(confusion)
    if matrix.shape != (len(class_names), len(class_names)):
        raise ValueError(f"a confusion matrix for {len(class_names)} classes must be square, not {matrix.shape}")
    names = [spreadsheet_text(name) for name in class_names]
    rows = [(CONFUSION_CORNER, *names), *((name, *(str(int(n)) for n in row)) for name, row in zip(names, matrix))]
    return save_text(path, csv_text(rows))


def spreadsheet_text(text: object) -> str:
    """Printable text that a spreadsheet shows as text rather than runs as a formula (quoted with ')."""
    clean = printable(text)
    return "'" + clean if clean.startswith(_FORMULA_STARTS) else clean


def _number(value: float) -> str:
    """The shortest text that reads back as the same float; empty for NaN (no measurement)."""
    return "" if isinstance(value, float) and math.isnan(value) else repr(float(value))


def csv_text(rows: Sequence[Sequence[str]] | Iterator[Sequence[str]]) -> str:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()

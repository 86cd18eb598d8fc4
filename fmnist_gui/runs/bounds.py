"""How much each file of a run folder can hold, from what a run writes: more is damage, refused before it is read.

A run has at most `config.epochs` epochs (MAX_EPOCHS at the most), so metrics.csv and confusion.jsonl have
at most that many rows; it reports a batch at most once per step, and an epoch has at most one step per
training image (a batch size of 1, on the largest data set: a resumed run may change its batch size and
data). Every line we write is far shorter than the caps below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fmnist_gui.config import MAX_EPOCHS
from fmnist_gui.data import FULL_COUNTS
from fmnist_gui.runs.layout import BATCHES_CSV, CHANGES_JSONL, CONFUSION_JSONL, METRICS_CSV

MAX_RUN_JSON = 1024 * 1024  # bytes; ours take about 2 kB
MAX_NESTING = 8  # of JSON in run files: ours nest 3 deep at most (a confusion matrix in its line)
MAX_CHANGES = 10_000  # values changed while paused: each a person's edit
LINE_BYTES = {METRICS_CSV: 1024, CONFUSION_JSONL: 2048, BATCHES_CSV: 256, CHANGES_JSONL: 512}  # ours: 450, 800, 70, 130


@dataclass(frozen=True)
class FileBound:
    """The most lines (a header included) and the longest line, newline included, a table can have."""

    lines: int
    line_bytes: int

    @property
    def bytes(self) -> int:
        return self.lines * self.line_bytes


@dataclass(frozen=True)
class RunBounds:
    """The most a run can have done: by the epochs its run.json asks for, or the most any run can where it does not say."""

    epochs: int = MAX_EPOCHS

    @classmethod
    def of(cls, raw: dict[str, Any]) -> RunBounds:
        config = raw.get("config")
        epochs = config.get("epochs") if isinstance(config, dict) else None
        if isinstance(epochs, int) and not isinstance(epochs, bool) and 1 <= epochs <= MAX_EPOCHS:
            return cls(epochs)
        return cls()

    def table(self, name: str) -> FileBound:
        """The bound of metrics.csv, confusion.jsonl, batches.csv or changes.jsonl."""
        lines = {METRICS_CSV: MAX_EPOCHS + 1, CONFUSION_JSONL: MAX_EPOCHS, CHANGES_JSONL: MAX_CHANGES,
                 BATCHES_CSV: self.epochs * FULL_COUNTS["train"] + 1}[name]
        return FileBound(lines, LINE_BYTES[name])

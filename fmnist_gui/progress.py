"""The command line's observer of a run: a live progress line and a summary per epoch."""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Iterable, Sequence
from typing import TextIO

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine.callbacks import Callback
from fmnist_gui.engine.events import BatchRecord, EpochRecord, RunFinished, RunStarted
from fmnist_gui.formats import counted, format_duration, format_loss
from fmnist_gui.names import JSON_SCHEMA
from fmnist_gui.safe_text import printable, say


def per_class_mapping(class_names: Sequence[str], values: Iterable[float]) -> dict[str, float | None]:
    """Per-class accuracy as `--json` prints it everywhere: class name -> percent, None for a class without test images."""
    return {name: None if math.isnan(value) else float(value) for name, value in zip(class_names, values)}


class ConsoleProgress(Callback):
    """Writes a live line to stderr (on a terminal) and one summary or JSON object per epoch to stdout.

    A stream that closes (`train --json | head -1`, a terminal that hung up) is left alone from
    then on: the run goes on and still saves. A stream that is None (no console, as under a
    Windows GUI launcher or pythonw) is never written to.
    """

    def __init__(self, json_lines: bool = False, out: TextIO | None = None, err: TextIO | None = None,
                 class_names: Sequence[str] = CLASS_NAMES) -> None:
        self.json_lines = json_lines
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.class_names = tuple(class_names)
        self.live = _is_terminal(self.err)
        self.closed: set[int] = set()  # ids of the streams that refused a write
        self._line_width = 0
        self._epochs = 0

    def on_fit_start(self, run: RunStarted) -> None:
        c = run.config
        self._epochs = c.epochs
        resumed = f", resuming after epoch {run.start_epoch}" if run.start_epoch else ""
        self._write(
            self.err,
            f"Training {c.model} ({run.parameter_count:,} parameters) on {printable(run.device_name)}, {run.execution}"
            f"{f' ({run.execution_chosen})' if run.execution_chosen else ''}: {c.optimizer} lr {c.lr:g}, "
            f"batch {c.batch_size}, {counted(c.epochs, 'epoch')}, {c.schedule} schedule{', augmented' if c.augment else ''}, "
            f"seed {c.seed}{resumed}; {run.train_size} training / {run.test_size} test images"
            + (f", training labels fixed by {c.labels}." if c.labels else "."),
        )

    def on_batch_end(self, record: BatchRecord) -> None:
        if not self.live:
            return
        line = (
            f"epoch {record.epoch}/{self._epochs} batch {record.batch}/{record.batches} "
            f"loss {format_loss(record.loss)} acc {record.accuracy:.1f}% {record.samples_per_second:,.0f} img/s "
            f"ETA {format_duration(record.eta_seconds)}"
        )
        self._write(self.err, "\r" + line.ljust(self._line_width), end="")
        self._line_width = len(line)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._clear_line()
        if self.json_lines:
            self._write(self.out, json.dumps(self._json_entry(record)))
            return
        self._write(
            self.out,
            f"epoch {record.epoch}/{record.epochs}: train loss {format_loss(record.train_loss)} acc {record.train_accuracy:.2f}% | "
            f"test loss {format_loss(record.test_loss)} acc {record.test_accuracy:.2f}% | lr {record.lr:.2e} | {record.seconds:.1f}s",
        )

    def _json_entry(self, record: EpochRecord) -> dict[str, object]:
        """One epoch as `train --json` prints it: the history entry without the confusion matrix, classes named."""
        entry = {key: value for key, value in record.summary().to_dict().items() if key != "confusion"}
        entry["per_class_accuracy"] = per_class_mapping(self.class_names, record.per_class_accuracy)
        return {"schema": JSON_SCHEMA, **entry}

    def on_fit_end(self, result: RunFinished) -> None:
        self._clear_line()
        self._write(self.err, f"{result.reason.value}: {result.message} ({format_duration(result.elapsed)})")

    def _clear_line(self) -> None:
        if self.live and self._line_width:
            self._write(self.err, "\r" + " " * self._line_width + "\r", end="")
            self._line_width = 0

    def _write(self, stream: TextIO | None, text: str, end: str = "\n") -> None:
        if stream is None:
            return
        if id(stream) not in self.closed and not say(text, stream, end):
            self.closed.add(id(stream))


def _is_terminal(stream: TextIO | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (OSError, ValueError):
        return False

"""The command line's observer of a run: a live progress line and a summary per epoch."""

from __future__ import annotations

import json
import sys
from typing import TextIO

from fmnist_gui.engine.callbacks import Callback
from fmnist_gui.engine.events import BatchRecord, EpochRecord, RunFinished, RunStarted


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ConsoleProgress(Callback):
    """Writes a live line to stderr (on a terminal) and one summary or JSON object per epoch to stdout."""

    def __init__(self, json_lines: bool = False, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.json_lines = json_lines
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.live = self.err.isatty()
        self._line_width = 0
        self._epochs = 0

    def on_fit_start(self, run: RunStarted) -> None:
        c = run.config
        self._epochs = c.epochs
        resumed = f", resuming after epoch {run.start_epoch}" if run.start_epoch else ""
        print(
            f"Training {c.model} ({run.parameter_count:,} parameters) on {run.device_name}: {c.optimizer} lr {c.lr:g}, "
            f"batch {c.batch_size}, {c.epochs} epochs, {c.schedule} schedule{', augmented' if c.augment else ''}, "
            f"seed {c.seed}{resumed}; {run.train_size} training / {run.test_size} test images.",
            file=self.err,
        )

    def on_batch_end(self, record: BatchRecord) -> None:
        if not self.live:
            return
        line = (
            f"epoch {record.epoch}/{self._epochs} batch {record.batch}/{record.batches} "
            f"loss {record.loss:.4f} acc {record.accuracy:.1f}% {record.samples_per_second:,.0f} img/s "
            f"ETA {format_duration(record.eta_seconds)}"
        )
        self.err.write("\r" + line.ljust(self._line_width))
        self.err.flush()
        self._line_width = len(line)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._clear_line()
        if self.json_lines:
            entry = {key: value for key, value in record.summary().to_dict().items() if key != "confusion"}
            print(json.dumps(entry), file=self.out, flush=True)
            return
        print(
            f"epoch {record.epoch}/{record.epochs}: train loss {record.train_loss:.4f} acc {record.train_accuracy:.2f}% | "
            f"test loss {record.test_loss:.4f} acc {record.test_accuracy:.2f}% | lr {record.lr:.2e} | {record.seconds:.1f}s",
            file=self.out,
            flush=True,
        )

    def on_fit_end(self, result: RunFinished) -> None:
        self._clear_line()
        print(f"{result.reason.value}: {result.message} ({format_duration(result.elapsed)})", file=self.err)

    def _clear_line(self) -> None:
        if self.live and self._line_width:
            self.err.write("\r" + " " * self._line_width + "\r")
            self._line_width = 0

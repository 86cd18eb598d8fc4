"""TensorBoard event files in a run folder, written beside its tables when the optional package is installed.

`tensorboard --logdir RUNS_DIR` then shows each run's batch loss and rate at their step, and its epoch
metrics and per-class accuracies at the epoch number. Nothing of tensorboard is imported until a run starts.

The records are written in the training thread with tensorboard's own RecordWriter and protos, not with
torch's SummaryWriter: its background thread re-raises a failed write (a full disk, a deleted folder) as
a traceback on stderr, and the tests count an error in a helper thread as a failure.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine.events import EpochSummary
from fmnist_gui.runs.layout import TENSORBOARD
from fmnist_gui.runs.reader import read_batches, read_metrics

EPOCH_SCALARS = ("train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr")
_FILE_NUMBERS = itertools.count()  # two writers of one process in one second: distinct files, in order


def available() -> bool:
    """Whether the tensorboard package is installed; imports nothing."""
    return importlib.util.find_spec("tensorboard") is not None


class EventWriter:
    """The scalars of one run folder as an event file in its tensorboard/ folder, one file per session.

    It only observes: the first error of any kind is handed to `on_error`, the file is closed and
    nothing more is written, so a run never fails for its event files.
    """

    def __init__(self, folder: Path, on_error: Callable[[BaseException], None]) -> None:
        self.folder = folder / TENSORBOARD
        self._on_error = on_error
        self._file: BinaryIO | None = None  # the open event file; None once closed or failed
        self._records: Any = None  # tensorboard's RecordWriter over it
        self._event: Any = None  # tensorboard's Event and Summary protos, once imported
        self._summary: Any = None

    def open(self, purge_step: int | None = None) -> None:
        """Start a new event file. A new events folder first gets what the run's tables already hold (a
        run branched from a checkpoint); in an existing one TensorBoard drops the events from `purge_step`
        on, which the resumed run trains again."""
        new = not self.folder.exists()
        try:
            self._start()
            if new:
                self._backfill()
            elif purge_step is not None:
                self._write(step=purge_step, session_log=self._event.SessionLog(status=self._event.SessionLog.START))
        except Exception as exc:  # noqa: BLE001 - an optional observer: whatever breaks it, training goes on
            self._fail(exc)

    def batch(self, step: int, loss: float, lr: float) -> None:
        self._call(self._batch, step, loss, lr)

    def epoch(self, summary: EpochSummary) -> None:
        """The epoch's scalars, then a flush to the disk: a viewer sees each epoch as it ends, a crash keeps it."""
        self._call(self._epoch, summary)
        self._call(self._flush)

    def close(self) -> None:
        self._call(self._flush)
        self._call(self._close)

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        self._write(step=step, summary=self._summary.Summary(value=[self._summary.Summary.Value(tag=tag, simple_value=value)]))

    def _start(self) -> None:
        from tensorboard.compat.proto import event_pb2, summary_pb2
        from tensorboard.summary.writer.record_writer import RecordWriter

        self._event, self._summary = event_pb2, summary_pb2
        self.folder.mkdir(exist_ok=True)
        name = f"events.out.tfevents.{int(time.time()):010d}.{socket.gethostname()}.{os.getpid()}.{next(_FILE_NUMBERS):04d}"
        self._file = open(self.folder / name, "xb")  # noqa: SIM115 - closed by close()
        self._records = RecordWriter(self._file)
        self._write(file_version="brain.Event:2")

    def _batch(self, step: int, loss: float, lr: float) -> None:
        self.add_scalar("batch/loss", loss, step)
        self.add_scalar("batch/lr", lr, step)

    def _epoch(self, summary: EpochSummary) -> None:
        for name in EPOCH_SCALARS:
            self.add_scalar(f"epoch/{name}", getattr(summary, name), summary.epoch)
        for name, accuracy in zip(CLASS_NAMES, summary.per_class_accuracy):
            if not math.isnan(accuracy):  # a class without test images has no accuracy
                self.add_scalar(f"class_accuracy/{name}", accuracy, summary.epoch)

    def _backfill(self) -> None:
        folder = self.folder.parent
        batches = read_batches(folder)
        for step, loss, lr in zip(batches["step"].tolist(), batches["loss"].tolist(), batches["lr"].tolist()):
            self._batch(step, loss, lr)
        for summary in read_metrics(folder):
            self._epoch(summary)
        self._flush()

    def _write(self, **fields: Any) -> None:
        self._records.write(self._event.Event(wall_time=time.time(), **fields).SerializeToString())

    def _flush(self) -> None:
        assert self._file is not None  # called through _call, or by open() right after _start
        self._file.flush()
        os.fsync(self._file.fileno())

    def _close(self) -> None:
        stream, self._file = self._file, None
        if stream is not None:
            stream.close()

    def _call(self, action: Callable[..., None], *args: Any) -> None:
        if self._file is None:
            return
        try:
            action(*args)
        except Exception as exc:  # noqa: BLE001 - as in open()
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        stream, self._file = self._file, None
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001, S110 - already failing: the first error is the one reported
                pass
        self._on_error(exc)

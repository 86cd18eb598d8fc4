"""A callback that keeps everything the engine reports, for assertions."""

from __future__ import annotations

from fmnist_gui.engine import BatchRecord, Callback, EpochRecord, RunFinished, RunStarted


class Recorder(Callback):
    def __init__(self) -> None:
        self.started: list[RunStarted] = []
        self.batches: list[BatchRecord] = []
        self.epochs: list[EpochRecord] = []
        self.finished: list[RunFinished] = []

    def on_fit_start(self, run: RunStarted) -> None:
        self.started.append(run)

    def on_batch_end(self, record: BatchRecord) -> None:
        self.batches.append(record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.epochs.append(record)

    def on_fit_end(self, result: RunFinished) -> None:
        self.finished.append(result)

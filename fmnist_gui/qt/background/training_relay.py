"""The thin adapter between the engine and the task layer: a run's records travel through its job.

An engine callback, run in the training thread, that sends each record it hears through the
run's `Job` (the task layer delivers them in the GUI thread, in order, only while the run is the
current request of its lane). No Qt here, no signals of its own: one channel, owned by the layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fmnist_gui.engine import BatchRecord, Callback, EpochRecord, RunStarted
from fmnist_gui.engine.events import HyperparameterChange
from fmnist_gui.qt.background.tasks import Job


@dataclass(frozen=True)
class Paused:
    """The loop really waits between two batches."""


@dataclass(frozen=True)
class Resumed:
    """The loop goes on after a pause."""


class TrainingRelay(Callback):
    """Sends every record through the job it is bound to.

    The engine already throttles batch reports to about 20 a second and sends numbers and numpy
    copies, so each is sent whole (none merged). The run's end is not sent: `Trainer.fit()`'s
    return value is the one RunFinished, delivered as the job's answer.
    """

    def __init__(self) -> None:
        self.job: Job[Any] | None = None  # bound in the training thread, before fit()

    def on_fit_start(self, run: RunStarted) -> None:
        self._send(run)

    def on_batch_end(self, record: BatchRecord) -> None:
        self._send(record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._send(record)

    def on_pause(self) -> None:
        self._send(Paused())

    def on_resume(self) -> None:
        self._send(Resumed())

    def on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        self._send(change)

    def _send(self, value: object) -> None:
        if self.job is not None:
            self.job.send(value)

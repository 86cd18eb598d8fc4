"""The thin adapter between the engine and Qt: engine callbacks become signals of plain data."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from fmnist_gui.engine import BatchRecord, Callback, EpochRecord, RunStarted
from fmnist_gui.engine.events import HyperparameterChange


class TrainingRelay(QObject, Callback):
    """An engine callback living in the GUI thread; its signals, emitted from the training
    thread, reach GUI-thread receivers queued.

    The engine already throttles batch reports to about 20 a second and sends numbers and
    numpy copies, so nothing here copies or rate-limits again. The run's end is not relayed
    here: `Trainer.fit()`'s return value is the one RunFinished, delivered by the task layer.
    """

    run_started = Signal(object)  # RunStarted
    batch_finished = Signal(object)  # BatchRecord
    epoch_finished = Signal(object)  # EpochRecord
    paused = Signal()  # the loop really waits
    resumed = Signal()
    hyperparameters_changed = Signal(object)  # HyperparameterChange

    def on_fit_start(self, run: RunStarted) -> None:
        self.run_started.emit(run)

    def on_batch_end(self, record: BatchRecord) -> None:
        self.batch_finished.emit(record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.epoch_finished.emit(record)

    def on_pause(self) -> None:
        self.paused.emit()

    def on_resume(self) -> None:
        self.resumed.emit()

    def on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        self.hyperparameters_changed.emit(change)

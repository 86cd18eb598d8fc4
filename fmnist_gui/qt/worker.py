"""Thin adapters between the engine and Qt: engine callbacks become signals of plain data."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fmnist_gui.engine import BatchRecord, Callback, EpochRecord, RunFinished, RunStarted, Trainer
from fmnist_gui.errors import UserFacingError


class TrainingWorker(QObject, Callback):
    """Runs `Trainer.fit` in its thread; each engine hook is re-emitted as a queued signal.

    The engine already throttles batch reports to about 20 a second and sends numbers and
    numpy copies, so nothing here needs to copy or rate-limit again.
    """

    run_started = Signal(object)  # RunStarted
    batch_finished = Signal(object)  # BatchRecord
    epoch_finished = Signal(object)  # EpochRecord
    run_finished = Signal(object)  # RunFinished

    def __init__(self, trainer: Trainer) -> None:
        super().__init__()
        self.trainer = trainer
        trainer.callbacks.callbacks.append(self)

    @Slot()
    def run(self) -> None:
        self.trainer.fit()  # fit() never raises: every failure arrives as a RunFinished

    def on_fit_start(self, run: RunStarted) -> None:
        self.run_started.emit(run)

    def on_batch_end(self, record: BatchRecord) -> None:
        self.batch_finished.emit(record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.epoch_finished.emit(record)

    def on_fit_end(self, result: RunFinished) -> None:
        self.run_finished.emit(result)


class FunctionWorker(QObject):
    """Runs one function in its thread and reports its result or its error, never both."""

    succeeded = Signal(object)  # whatever the function returned
    failed = Signal(str, str)  # message for people, details (traceback or "")

    def __init__(self, function: Callable[[], Any]) -> None:
        super().__init__()
        self.function = function

    @Slot()
    def run(self) -> None:
        try:
            result = self.function()
        except UserFacingError as exc:
            self.failed.emit(str(exc), "")
        except Exception as exc:  # noqa: BLE001 - no exception may die in a thread
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.succeeded.emit(result)


def start_in_thread(worker: QObject, parent: QObject, done_signals: list[Any]) -> QThread:
    """Move `worker` to a new QThread, start `worker.run` there, and quit the thread when any done signal fires."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    for signal in done_signals:
        signal.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.start()
    return thread


class Task(QObject):
    """Runs a function in a worker thread; its callbacks run in the thread that created the task.

    Plain Python callables connected straight to a worker's signal would run in the worker's
    thread, so the task, a QObject of the GUI thread, receives the results and calls them.
    """

    ended = Signal()  # the thread has ended: the task may be deleted

    def __init__(
        self,
        function: Callable[[], Any],
        on_success: Callable[[Any], None],
        on_failure: Callable[[str, str], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._on_success, self._on_failure = on_success, on_failure
        self._worker = FunctionWorker(function)
        self._worker.succeeded.connect(self._on_succeeded)
        self._worker.failed.connect(self._on_failed)
        self.thread = start_in_thread(self._worker, self, [self._worker.succeeded, self._worker.failed])
        self.thread.finished.connect(self._on_thread_finished)

    def wait(self) -> None:
        self.thread.quit()
        self.thread.wait()

    @Slot()
    def _on_thread_finished(self) -> None:
        # QThread.finished comes just before the thread has really ended; wait for that, so a
        # receiver may delete the task (and its QThread) at once.
        self.thread.wait()
        self.ended.emit()

    @Slot(object)
    def _on_succeeded(self, result: Any) -> None:
        self._on_success(result)

    @Slot(str, str)
    def _on_failed(self, message: str, details: str) -> None:
        self._on_failure(message, details)

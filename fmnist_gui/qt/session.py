"""The training controller: owns the worker thread of a run, relays its signals in the GUI thread."""

from __future__ import annotations

from enum import Enum

from PySide6.QtCore import QObject, QThread, Signal

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.engine import FinishReason, RunFinished, Trainer
from fmnist_gui.qt.worker import TrainingWorker, start_in_thread


class RunState(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class TrainingSession(QObject):
    """Starts, pauses and stops runs; every signal here is emitted in the GUI thread."""

    run_started = Signal(object)  # RunStarted
    batch_finished = Signal(object)  # BatchRecord
    epoch_finished = Signal(object)  # EpochRecord
    run_finished = Signal(object)  # RunFinished, once the thread has ended
    state_changed = Signal(object)  # RunState

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._state = RunState.IDLE
        self._trainer: Trainer | None = None
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None
        self._result: RunFinished | None = None

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def active(self) -> bool:
        return self._state is not RunState.IDLE

    def start(self, config: TrainConfig, data: FashionMNIST, resume_from: Checkpoint | None = None) -> None:
        """Start a run in a new thread; raises UserFacingError for a config the engine refuses."""
        if self.active:
            raise RuntimeError("a run is already in progress")
        self._trainer = Trainer(config, data, resume_from=resume_from)
        self._worker = TrainingWorker(self._trainer)
        self._result = None
        self._worker.run_started.connect(self.run_started)
        self._worker.batch_finished.connect(self.batch_finished)
        self._worker.epoch_finished.connect(self.epoch_finished)
        self._worker.run_finished.connect(self._on_run_finished)
        self._thread = start_in_thread(self._worker, self, [self._worker.run_finished])
        self._thread.finished.connect(self._on_thread_finished)
        self._set_state(RunState.RUNNING)

    def pause(self) -> None:
        if self._trainer is not None and self._state is RunState.RUNNING:
            self._trainer.pause()
            self._set_state(RunState.PAUSED)

    def resume(self) -> None:
        if self._trainer is not None and self._state is RunState.PAUSED:
            self._trainer.resume()
            self._set_state(RunState.RUNNING)

    def stop(self) -> None:
        if self._trainer is not None and self._state in (RunState.RUNNING, RunState.PAUSED):
            self._trainer.stop()
            self._set_state(RunState.STOPPING)

    def checkpoint(self) -> Checkpoint | None:
        """The run's latest consistent state: the last finished epoch while it runs."""
        return self._trainer.checkpoint() if self._trainer is not None else None

    def shutdown(self) -> None:
        """Stop any run and wait for its thread, so Qt never destroys a running QThread."""
        thread = self._thread
        if self._trainer is not None:
            self._trainer.stop()
        if thread is not None:
            thread.quit()
            thread.wait()
            self._on_thread_finished()

    def _on_run_finished(self, result: RunFinished) -> None:
        self._result = result

    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        self._thread.wait()  # finished is emitted just before the thread has really ended
        self._thread.deleteLater()
        self._thread = self._worker = None
        result = self._result or RunFinished(FinishReason.FAILED, "The training thread ended without a result.", 0, 0.0)
        self._set_state(RunState.IDLE)
        self.run_finished.emit(result)

    def _set_state(self, state: RunState) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)

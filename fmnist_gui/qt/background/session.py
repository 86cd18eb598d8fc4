"""The training session: runs `Trainer.fit` on the training lane and relays its records to the GUI thread."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.engine import BatchRecord, EpochRecord, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.events import HyperparameterChange
from fmnist_gui.runs import RunRecorder
from fmnist_gui.qt.background.tasks import BackgroundWork, Job
from fmnist_gui.qt.background.training_relay import Paused, Resumed, TrainingRelay
from fmnist_gui.qt.state.run_state import RunState

if TYPE_CHECKING:
    from fmnist_gui.engine.trainer import Trainer

LANE = "training"


class TrainingSession(QObject):
    """Starts, pauses and stops runs; every signal here is emitted in the GUI thread."""

    run_started = Signal(RunStarted)
    batch_finished = Signal(BatchRecord)
    epoch_finished = Signal(EpochRecord)
    run_finished = Signal(RunFinished)  # exactly one per run
    state_changed = Signal(RunState)
    hyperparameters_changed = Signal(HyperparameterChange)  # a value changed while paused took effect

    def __init__(self, work: BackgroundWork, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lane = work.lane(LANE)
        work.shut_down.connect(lambda: self._set_state(RunState.IDLE))
        self._state = RunState.IDLE
        self._trainer: Trainer | None = None
        # The training labels of the last run started when a label fix set changed them (else None): what its
        # per-image records are of. Plain numpy, set before the run starts.
        self.train_labels: np.ndarray | None = None

    @property
    def state(self) -> RunState:
        return self._state

    @property
    def active(self) -> bool:
        return self._state.active

    def start(self, config: TrainConfig, data: FashionMNIST, resume_from: Checkpoint | None = None,
              recorder: RunRecorder | None = None) -> None:
        """Start a run, watched by the window and recorded by `recorder`; raises UserFacingError
        for a config the engine refuses."""
        if self.active:
            raise RuntimeError("a run is already in progress")
        relay = TrainingRelay()
        # The recorder before the relay: when the window hears that the run started, its folder exists,
        # and when it hears of an epoch, that epoch is on disk.
        observers = ([recorder] if recorder is not None else []) + [relay]
        from fmnist_gui.engine.trainer import Trainer  # loaded by now: a run waits for torch

        trainer = Trainer(config, data, observers, resume_from=resume_from)
        self._trainer = trainer
        self.train_labels = data.train_labels.cpu().numpy().astype(np.uint8) if data.label_fixes else None

        def run(job: Job[RunFinished]) -> RunFinished:
            relay.job = job
            job.on_cancel(trainer.stop)  # quitting stops the run at its next batch, also a paused one
            return trainer.fit()

        self._set_state(RunState.RUNNING)
        self._lane.submit(LANE, run, self._on_fit_returned, self._on_fit_raised, self._on_record)

    def pause(self) -> None:
        if self._trainer is not None and self._state is RunState.RUNNING:
            self._trainer.pause()
            self._set_state(RunState.PAUSING)

    def resume(self) -> None:
        if self._trainer is not None and self._state in (RunState.PAUSING, RunState.PAUSED):
            self._trainer.resume()
            if self._state is RunState.PAUSING:  # the loop never stopped
                self._set_state(RunState.RUNNING)

    def change_hyperparameters(self, values: dict[str, float]) -> None:
        """New lr, weight_decay or momentum for the run, from its next batch; ConfigError for a value it refuses."""
        if self._trainer is not None and self.active:
            self._trainer.change_hyperparameters(**values)

    def stop(self) -> None:
        if self._trainer is not None and self._state in (RunState.RUNNING, RunState.PAUSING, RunState.PAUSED):
            self._trainer.stop()
            self._set_state(RunState.STOPPING)

    @property
    def config(self) -> TrainConfig | None:
        """The config of the current (or last) run."""
        return self._trainer.config if self._trainer is not None else None

    def checkpoint(self) -> Checkpoint | None:
        """The run's latest consistent state: the last finished epoch while it runs."""
        return self._trainer.checkpoint() if self._trainer is not None else None

    def best_checkpoint(self) -> Checkpoint | None:
        """The best finished epoch of the last run (by test accuracy), or None."""
        return self._trainer.best_checkpoint() if self._trainer is not None else None

    def _on_record(self, record: object) -> None:
        """A record the run sent, in the GUI thread, in the order the engine reported it."""
        if isinstance(record, BatchRecord):
            self.batch_finished.emit(record)
        elif isinstance(record, EpochRecord):
            self.epoch_finished.emit(record)
        elif isinstance(record, RunStarted):
            self.run_started.emit(record)
        elif isinstance(record, HyperparameterChange):
            self.hyperparameters_changed.emit(record)
        elif isinstance(record, Paused):
            self._on_paused()
        elif isinstance(record, Resumed):
            self._on_resumed()

    def _on_paused(self) -> None:
        if self._state is RunState.PAUSING:
            self._set_state(RunState.PAUSED)

    def _on_resumed(self) -> None:
        if self._state is RunState.PAUSED:
            self._set_state(RunState.RUNNING)

    def _on_fit_returned(self, result: RunFinished) -> None:
        self._set_state(RunState.IDLE)
        self.run_finished.emit(result)

    def _on_fit_raised(self, message: str, details: str) -> None:
        # fit() reports every failure as a RunFinished; this is a bug in the engine, shown as one.
        self._on_fit_returned(RunFinished(FinishReason.FAILED, message, 0, 0.0, details or None))

    def _set_state(self, state: RunState) -> None:
        if state is not self._state:
            self._state = state
            self.state_changed.emit(state)

"""The worker loop: ask the study for a trial, train it with our own Trainer, tell the study how it went.

A trial is an ordinary training run recorded in its own run folder (run.json carries `sweep` and
`trial`); its hyperparameters come from the sampler through `trial.suggest_*`. Each epoch's test
accuracy is reported to the pruner; a pruned trial stops at the end of that epoch, as a Stop does,
and its folder says `pruned`. A worker asks until the budget is met (fmnist_gui.sweeps.budget), or
until it is stopped: then its trial ends at the next batch and is marked FAIL with the reason.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmnist_gui.config import ConfigError
from fmnist_gui.engine.callbacks import Callback, RunContext
from fmnist_gui.engine.events import EpochRecord, FinishReason
from fmnist_gui.sweeps import budget
from fmnist_gui.sweeps.definition import SweepDefinition
from fmnist_gui.sweeps.liveness import MESSAGE, RUN, WORKER, keep_alive, reap_dead_trials, worker_identity
from fmnist_gui.sweeps.storage import SweepError, SweepStore, database_errors, opened_study

if TYPE_CHECKING:
    import optuna

    from fmnist_gui.data import FashionMNIST
    from fmnist_gui.engine.trainer import Trainer
    from fmnist_gui.runs.recorder import RunRecorder

WAIT_SECONDS = 1.0  # how often a worker looks again while other workers run the last trials
FAILURES_IN_A_ROW = 5  # a worker whose trials all fail stops, rather than fail the whole budget away


@dataclass(frozen=True)
class TrialOutcome:
    """How one trial ended, as the worker that ran it saw it."""

    number: int
    state: str  # Optuna's name: "COMPLETE", "PRUNED", "FAIL"
    params: dict[str, Any]
    value: float | None  # the best test accuracy in percent (pruned: the last epoch's)
    epochs: int  # finished epochs
    run: Path | None
    message: str


class ReportToPruner(Callback):
    """Reports each epoch's test accuracy to the trial; when the pruner says so, stops the run at that
    epoch's end and has the recorder end it as `pruned`. The last epoch is never pruned: nothing is saved."""

    def __init__(self, trial: optuna.Trial, recorder: RunRecorder | None, pruner: str) -> None:
        self.trial, self.recorder, self.pruner = trial, recorder, pruner
        self.pruned_message: str | None = None
        self._run: RunContext | None = None

    def setup(self, run: RunContext) -> None:
        self._run = run

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.trial.report(record.test_accuracy, record.epoch)
        if record.epoch >= record.epochs or not self.trial.should_prune():
            return
        self.pruned_message = (f"Pruned after epoch {record.epoch}: test accuracy {record.test_accuracy:.2f}% "
                               f"was below what the {self.pruner} pruner lets through at that epoch.")
        if self.recorder is not None:
            self.recorder.finish_as("pruned", self.pruned_message)
        if self._run is not None:
            self._run.stop()


class SweepWorker:
    """Trains the sweep's trials one after another until its budget is met or `stop()` is called.

    `on_trial_end` hears each trial's outcome; `critical` wraps what must not be cut short (telling
    the study), e.g. StopOnSignals.saving. Call `run()` in one thread; `stop()` from any.
    """

    def __init__(self, store: SweepStore, runs_dir: Path, data_dir: str | None = None, device: str | None = None,
                 on_trial_end: Callable[[TrialOutcome], None] | None = None,
                 on_warning: Callable[[str], None] | None = None,
                 critical: Callable[[], AbstractContextManager[Any]] = contextlib.nullcontext) -> None:
        self.store, self.runs_dir, self.data_dir, self.device = store, Path(runs_dir), data_dir, device
        self.on_trial_end = on_trial_end or (lambda outcome: None)
        self.on_warning = on_warning
        self.critical = critical
        self.outcomes: list[TrialOutcome] = []
        self._stopped = threading.Event()
        self._stop_reason = ""
        self._trainer: Trainer | None = None
        self._lock = threading.RLock()  # re-entered when a signal handler calls stop() while run() holds it

    def stop(self, reason: str = "stopped by request") -> None:
        """End the current trial at its next batch (it is marked FAIL with `reason`) and ask for no more."""
        with self._lock:
            if not self._stopped.is_set():
                self._stop_reason = reason
            self._stopped.set()
            if self._trainer is not None:
                self._trainer.stop()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def run(self) -> budget.Tally:
        """Work until the budget is met (returns the final tally) or a stop (returns the tally then).
        SweepError when the sweep cannot be read, UserFacingError when the data cannot be loaded, and
        SweepError when FAILURES_IN_A_ROW trials in a row failed here."""
        with opened_study(self.store) as study:
            return self._work(study)

    def _work(self, study: optuna.Study) -> budget.Tally:
        from fmnist_gui.data import load_fashion_mnist

        with database_errors(self.store):
            definition = SweepDefinition.from_attrs(self.store.name, study.user_attrs)
        study.sampler, study.pruner = definition.make_sampler(), definition.make_pruner()
        data = load_fashion_mnist(self.data_dir or definition.data_dir)
        failures: list[str] = []
        while True:
            with database_errors(self.store):
                reap_dead_trials(study, self.store.is_database)
                tally = budget.tally(_states(study), definition.trials)
            if tally.met or self.stopped:
                return tally
            if not tally.may_ask:
                self._stopped.wait(WAIT_SECONDS)  # others run the last trials; one may still fail and leave room
                continue
            outcome = self._one_trial(study, definition, data)
            if outcome is None:
                continue
            self.outcomes.append(outcome)
            self.on_trial_end(outcome)
            failures = failures + [outcome.message] if outcome.state == "FAIL" and not self.stopped else []
            if len(failures) >= FAILURES_IN_A_ROW:
                raise SweepError(f"{len(failures)} trials in a row failed in this worker, so it stops; "
                                 f"the last: {failures[-1]}")

    def _one_trial(self, study: optuna.Study, definition: SweepDefinition, data: FashionMNIST) -> TrialOutcome | None:
        """Ask, check the budget again, train. None for a trial asked in a race and not needed."""
        with database_errors(self.store), warnings.catch_warnings():
            # Optuna says the heartbeat is meant for study.optimize; keep_alive beats it for ask-and-tell.
            warnings.filterwarnings("ignore", message="Heartbeat of storage")
            trial = study.ask()
        with database_errors(self.store), keep_alive(study, trial):
            trial.set_user_attr(WORKER, worker_identity())
            if not budget.needed(_states(study), trial.number, definition.trials):
                trial.set_user_attr(budget.NOT_NEEDED, True)
                self._tell(study, trial, "FAIL", None, budget.NOT_NEEDED_MESSAGE)
                return None
            try:
                return self._train(study, trial, definition, data)
            except BaseException as exc:  # the worker itself fails (or a second Ctrl+C quits it): not the trial's doing
                with contextlib.suppress(Exception):
                    self._tell(study, trial, "FAIL", None, f"Its worker stopped: {_reason(exc)}")
                raise

    def _train(self, study: optuna.Study, trial: optuna.Trial, definition: SweepDefinition,
               data: FashionMNIST) -> TrialOutcome:
        from fmnist_gui.engine.trainer import Trainer
        from fmnist_gui.runs.lock import FolderBusy
        from fmnist_gui.runs.recorder import RecordingError, RunRecorder

        params = {spec.name: spec.suggest(trial) for spec in definition.space}
        try:
            config = definition.trial_config(params, self.device)
        except ConfigError as exc:
            return self._tell(study, trial, "FAIL", None, str(exc), params)
        recorder = RunRecorder(self.runs_dir, name=f"{self.store.name} trial {trial.number}",
                               fields={"sweep": self.store.name, "trial": trial.number}, on_warning=self.on_warning)
        pruning = ReportToPruner(trial, recorder, definition.pruner)
        trainer = Trainer(config, data, [recorder, pruning])
        try:
            folder = recorder.prepare(config, None, data)
        except (RecordingError, FolderBusy) as exc:
            return self._tell(study, trial, "FAIL", None, str(exc), params)
        trial.set_user_attr(RUN, str(folder))
        with self._lock:
            self._trainer = trainer
            if self.stopped:
                trainer.stop()  # a stop that came before this trainer existed
        result = trainer.fit()
        with self._lock:
            self._trainer = None
        epochs = len(trainer.history)
        # A stop that came after the last epoch's end stopped nothing: the trial trained whole.
        if result.reason is FinishReason.COMPLETED or (result.reason is FinishReason.STOPPED and epochs == config.epochs
                                                       and pruning.pruned_message is None):
            best = max(entry.test_accuracy for entry in trainer.history)
            return self._tell(study, trial, "COMPLETE", best, "", params, folder, epochs)
        if result.reason is FinishReason.STOPPED and pruning.pruned_message is not None:
            return self._tell(study, trial, "PRUNED", None, pruning.pruned_message, params, folder, epochs)
        if result.reason is FinishReason.STOPPED:
            message = f"{self._stop_reason[:1].upper()}{self._stop_reason[1:]} after {epochs} of {config.epochs} epochs."
            return self._tell(study, trial, "FAIL", None, message, params, folder, epochs)
        return self._tell(study, trial, "FAIL", None, result.message, params, folder, epochs)

    def _tell(self, study: optuna.Study, trial: optuna.Trial, state: str, value: float | None, message: str,
              params: dict[str, Any] | None = None, run: Path | None = None, epochs: int = 0) -> TrialOutcome:
        """End the trial in the study; if another process ended it first (it took this worker for dead),
        the outcome says so."""
        import optuna

        with self.critical(), database_errors(self.store):
            try:
                if message:
                    trial.set_user_attr(MESSAGE, message)
                study.tell(trial, value, state=optuna.trial.TrialState[state])
            except (optuna.exceptions.UpdateFinishedTrialError, ValueError):
                state = study.get_trials(deepcopy=False)[trial.number].state.name
                message = f"another process ended this trial first ({state}): it took this worker for dead. {message}"
                value = None
        return TrialOutcome(trial.number, state, dict(params or {}), value, epochs, run, message)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted."
    return str(exc) or type(exc).__name__


def _states(study: optuna.Study) -> list[budget.TrialState]:
    return [budget.TrialState(trial.number, trial.state.name, bool(trial.user_attrs.get(budget.NOT_NEEDED)))
            for trial in study.get_trials(deepcopy=False)]


"""Reading a sweep: its definition and its trials as plain, frozen records, for `show`, `export` and the window.

Reading also fails the RUNNING trials whose worker is gone (fmnist_gui.sweeps.liveness), so what it
returns never shows a dead trial as running; a reader that must never write (the window) asks with
`reap=False` and is shown those trials as FAIL with the same reason, the storage left as it was. One
pass over the study's trials, without copying them: a study of 10,000 trials reads in about the time
the storage takes to load it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps import budget
from fmnist_gui.sweeps.definition import SweepDefinition
from fmnist_gui.sweeps.liveness import MESSAGE, RUN, dead_workers, lost_reason, reap_dead_trials
from fmnist_gui.sweeps.storage import SweepStore, database_errors, opened_study

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True)
class TrialRecord:
    """One trial as a reader sees it; `state` is Optuna's name for it."""

    number: int
    state: str  # "COMPLETE", "PRUNED", "FAIL", "RUNNING" (or "WAITING")
    params: dict[str, Any]
    value: float | None  # the run's best test accuracy in percent (a pruned trial: its last epoch's)
    intermediate: dict[int, float]  # epoch -> test accuracy in percent, as reported to the pruner
    started: datetime | None
    completed: datetime | None
    run_folder: str | None  # the trial's run folder, as the study holds it (see `run`)
    message: str  # how a FAIL or PRUNED trial ended; "" otherwise

    @property
    def run(self) -> Path | None:
        """The trial's run folder. Made on demand: 10,000 Paths would take a third of reading a big sweep."""
        return Path(self.run_folder) if self.run_folder is not None else None

    @property
    def epochs_done(self) -> int:
        return max(self.intermediate, default=0)

    @property
    def duration(self) -> float | None:
        """Seconds from start to end (to now for a running trial); None before it started."""
        if self.started is None:
            return None
        return ((self.completed or datetime.now()) - self.started).total_seconds()


@dataclass(frozen=True)
class SweepSnapshot:
    """A sweep at one moment: its definition and trials (the ones not needed left out), in number order."""

    name: str
    where: str  # the journal's path or the database URL without its password
    definition: SweepDefinition
    trials: tuple[TrialRecord, ...]
    tally: budget.Tally

    @property
    def best(self) -> TrialRecord | None:
        """The COMPLETE trial with the highest value; the first of equal ones."""
        complete = [trial for trial in self.trials if trial.state == "COMPLETE" and trial.value is not None]
        return max(complete, key=lambda trial: trial.value or 0.0, default=None)

    @property
    def finished(self) -> bool:
        return self.tally.met


def read_sweep(store: SweepStore, reap: bool = True) -> SweepSnapshot:
    """The sweep `store` names, read now; SweepError (one line) when it is missing or cannot be reached.

    `reap=False` writes nothing: a trial whose worker is known to be gone reads as FAIL with the reason
    the next worker or `sweep show` will write (a database's silent heartbeat is theirs to judge)."""
    with opened_study(store) as study, database_errors(store):
        definition = SweepDefinition.from_attrs(store.name, study.user_attrs)
        if reap:
            reap_dead_trials(study, store.is_database)
        frozen = study.get_trials(deepcopy=False)
    lost = {} if reap else dead_workers(frozen, store.is_database)
    trials = tuple(record_of(trial, lost.get(trial.number)) for trial in frozen if not trial.user_attrs.get(budget.NOT_NEEDED))
    states = (budget.TrialState(trial.number, trial.state) for trial in trials)
    return SweepSnapshot(store.name, store.describe(), definition, trials, budget.tally(states, definition.trials))


def record_of(trial: optuna.trial.FrozenTrial, lost: str | None = None) -> TrialRecord:
    """A TrialRecord from Optuna's trial; plain values only, so the record can cross threads and processes.
    `lost`: why its worker is gone, for a RUNNING trial shown as the FAIL it will be."""
    attrs = trial.user_attrs
    state = "FAIL" if lost is not None else trial.state.name
    message = lost if lost is not None else attrs.get(MESSAGE)
    if not isinstance(message, str):
        message = lost_reason(trial) if state == "FAIL" else ""
    run = attrs.get(RUN)
    return TrialRecord(
        number=trial.number,
        state=state,
        params=dict(trial.params),
        value=trial.value if trial.values else None,
        intermediate={int(step): float(value) for step, value in trial.intermediate_values.items()},
        started=trial.datetime_start,
        completed=trial.datetime_complete,
        run_folder=run if isinstance(run, str) else None,
        message=printable(message),
    )

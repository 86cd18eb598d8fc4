"""Dead workers: a RUNNING trial whose worker is gone is marked FAIL, with the reason, by the next `work` or `show`.

A worker writes who it is (`worker`: pid, its start time, host) into its trial right after asking.
For the journal, the trial's run folder then tells whether that process still runs (run.json's pid
on this host, its heartbeat from another: fmnist_gui.runs.reader.process_alive). For a database,
Optuna's own heartbeat does (`fail_stale_trials`); a worker keeps it beating with `keep_alive`.
A trial that never got its worker's name within a minute of being asked lost its worker at once.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmnist_gui.runs.reader import load_run_json, process_alive, process_start
from fmnist_gui.runs.tables import RunDamaged
from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps.storage import HEARTBEAT_SECONDS

if TYPE_CHECKING:
    import optuna

WORKER = "worker"  # the trial's user attribute naming its worker process
RUN = "run"  # the trial's user attribute holding its run folder
MESSAGE = "message"  # the trial's user attribute saying how it ended, when not plainly
UNNAMED_GRACE = timedelta(seconds=60)


def worker_identity() -> dict[str, Any]:
    pid = os.getpid()
    return {"pid": pid, "pid_start": process_start(pid), "host": socket.gethostname()}


def describe_worker(worker: Any) -> str:
    """"process 123 on host", for messages."""
    if not isinstance(worker, dict):
        return "its worker"
    return f"process {printable(worker.get('pid'))} on {printable(worker.get('host'))}"


def reap_dead_trials(study: optuna.Study, is_database: bool) -> list[int]:
    """Mark FAIL every RUNNING trial whose worker is gone; returns their numbers."""
    import optuna

    running = optuna.trial.TrialState.RUNNING
    reaped = [trial.number for trial in study.get_trials(deepcopy=False, states=(running,))
              if _fail_if_dead(study, trial, is_database)]
    if is_database:
        before = {trial.number for trial in study.get_trials(deepcopy=False, states=(running,))}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # since Optuna 2.9, and relied on
            optuna.storages.fail_stale_trials(study)
        reaped += [trial.number for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.FAIL,))
                   if trial.number in before and MESSAGE not in trial.user_attrs]
    return sorted(reaped)


def dead_workers(trials: list[optuna.trial.FrozenTrial], is_database: bool) -> dict[int, str]:
    """Each RUNNING trial whose worker is known to be gone, with the reason: what reaping would write, read only."""
    reasons = {trial.number: _death(trial, is_database) for trial in trials if trial.state.name == "RUNNING"}
    return {number: reason for number, reason in reasons.items() if reason is not None}


def lost_reason(trial: optuna.trial.FrozenTrial) -> str:
    """Why a FAIL trial without a message failed: Optuna's heartbeat check failed it (its worker fell silent)."""
    return (f"{describe_worker(trial.user_attrs.get(WORKER))} stopped sending heartbeats: it was killed, "
            "or its machine or network went away")


@contextlib.contextmanager
def keep_alive(study: optuna.Study, trial: optuna.Trial) -> Iterator[None]:
    """While inside, record the trial's heartbeat in a database storage every HEARTBEAT_SECONDS.

    Optuna beats only inside `study.optimize`; ask-and-tell must do it itself.
    """
    storage = study._storage  # noqa: SLF001 - the heartbeat API is the storage's; Study has no public handle on it
    record = getattr(storage, "record_heartbeat", None)  # storages with a heartbeat (RDBStorage, and its cache) have it
    if record is None or getattr(storage, "get_heartbeat_interval", lambda: None)() is None:
        yield
        return
    trial_id = trial._trial_id  # noqa: SLF001 - the storage's id of this trial, which record_heartbeat takes
    record(trial_id)
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(HEARTBEAT_SECONDS):
            with contextlib.suppress(Exception):  # a missed beat is retried; the grace period allows a few
                record(trial_id)

    thread = threading.Thread(target=beat, name=f"heartbeat of trial {trial.number}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def fail_trial(study: optuna.Study, trial_id: int, message: str) -> bool:
    """Mark a RUNNING trial FAIL with `message`; False when another process ended it first."""
    import optuna

    storage = study._storage  # noqa: SLF001 - ending a trial by id, as fail_stale_trials does
    try:
        storage.set_trial_user_attr(trial_id, MESSAGE, message)
        return bool(storage.set_trial_state_values(trial_id, optuna.trial.TrialState.FAIL))
    except (optuna.exceptions.UpdateFinishedTrialError, RuntimeError):
        return False


def _fail_if_dead(study: optuna.Study, trial: optuna.trial.FrozenTrial, is_database: bool) -> bool:
    reason = _death(trial, is_database)
    return reason is not None and fail_trial(study, trial._trial_id, reason)  # noqa: SLF001 - see fail_trial


def _death(trial: optuna.trial.FrozenTrial, is_database: bool) -> str | None:
    """Why the trial's worker is known to be gone, or None while it may be alive."""
    worker = trial.user_attrs.get(WORKER)
    if not isinstance(worker, dict):
        started = trial.datetime_start
        if started is not None and datetime.now() - started > UNNAMED_GRACE:
            return "its worker ended before it could start the trial"
        return None
    if is_database:
        return None  # the heartbeat decides, above
    process = _run_process(trial) or worker
    if process.get("host") != socket.gethostname() and "heartbeat" not in process:
        return None  # another machine's process, and nothing that beats: it cannot be told from here
    if process_alive(process):
        return None
    return f"{describe_worker(worker)} ended without finishing it (killed, or its machine restarted)"


def _run_process(trial: optuna.trial.FrozenTrial) -> dict[str, Any] | None:
    """run.json of the trial's run folder: its pid and heartbeat are the worker's."""
    run = trial.user_attrs.get(RUN)
    if not isinstance(run, str):
        return None
    try:
        return load_run_json(Path(run))
    except RunDamaged:
        return None

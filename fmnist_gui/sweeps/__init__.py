"""Hyperparameter sweeps with Optuna: ask-and-tell around our own Trainer, each trial a run folder (Qt-free).

space.py parses `--param`, definition.py is what the study keeps of a sweep, storage.py opens the
journal file or the PostgreSQL database, budget.py makes the trial count exact across workers,
liveness.py fails the trials of dead workers, worker.py is the loop, processes.py starts several,
reading.py gives the window and the command line plain records, export.py writes them as CSV.
"""

from __future__ import annotations

from fmnist_gui.sweeps.budget import Tally
from fmnist_gui.sweeps.definition import PRUNERS, SAMPLERS, SweepDefinition
from fmnist_gui.sweeps.export import trials_csv, write_trials_csv
from fmnist_gui.sweeps.processes import WorkerProcesses, threads_per_worker, worker_command, worker_environment
from fmnist_gui.sweeps.reading import SweepSnapshot, TrialRecord, read_sweep
from fmnist_gui.sweeps.space import ParamSpec, SpaceError, parse_space
from fmnist_gui.sweeps.storage import SweepError, SweepExists, SweepStore, create_study, list_sweeps
from fmnist_gui.sweeps.worker import SweepWorker, TrialOutcome

__all__ = [
    "PRUNERS",
    "SAMPLERS",
    "ParamSpec",
    "SpaceError",
    "SweepDefinition",
    "SweepError",
    "SweepExists",
    "SweepSnapshot",
    "SweepStore",
    "SweepWorker",
    "Tally",
    "TrialOutcome",
    "TrialRecord",
    "WorkerProcesses",
    "create_study",
    "list_sweeps",
    "parse_space",
    "read_sweep",
    "threads_per_worker",
    "trials_csv",
    "worker_command",
    "worker_environment",
    "write_trials_csv",
]

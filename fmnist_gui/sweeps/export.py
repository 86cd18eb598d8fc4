"""A sweep's trials as one CSV: one row per trial, its hyperparameters as columns, written atomically."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from fmnist_gui import atomic
from fmnist_gui.sweeps.reading import SweepSnapshot, TrialRecord

FIXED_COLUMNS = ("number", "state", "value", "epochs", "duration", "started", "completed", "run", "message")


def param_columns(snapshot: SweepSnapshot) -> list[str]:
    """The varied hyperparameters in the order the sweep defines them, then any other a trial holds."""
    names = [spec.name for spec in snapshot.definition.space]
    extra = sorted({name for trial in snapshot.trials for name in trial.params} - set(names))
    return names + extra


def trials_csv(snapshot: SweepSnapshot) -> str:
    columns = param_columns(snapshot)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*FIXED_COLUMNS, *columns])
    for trial in snapshot.trials:
        writer.writerow([*_fixed_cells(trial), *(_cell(trial.params.get(name)) for name in columns)])
    return out.getvalue()


def write_trials_csv(snapshot: SweepSnapshot, path: str | Path) -> Path:
    """Write the CSV to `path` atomically (a failure keeps the file that was there); SaveError says why not."""
    return atomic.write_bytes(path, trials_csv(snapshot).encode("utf-8"))


def _fixed_cells(trial: TrialRecord) -> list[str]:
    duration = trial.duration
    return [str(trial.number), trial.state, _cell(trial.value), str(trial.epochs_done),
            "" if duration is None else f"{duration:.1f}",
            trial.started.isoformat() if trial.started else "", trial.completed.isoformat() if trial.completed else "",
            trial.run_folder or "", trial.message]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)  # every digit: the CSV reads back to the same number
    return str(value)

"""How trials are written in the terminal: the line each trial ends with, and the sweep's summary."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.sweeps import SweepSnapshot, TrialOutcome


def format_params(params: dict[str, Any]) -> str:
    """"lr=0.00123 batch_size=128 optimizer=adamw"."""
    return " ".join(f"{name}={format_param(value)}" for name, value in params.items())


def format_param(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:.3g}" if isinstance(value, float) else printable(value)


def format_value(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}%"


def outcome_line(outcome: TrialOutcome) -> str:
    """One trial as it ends: number, state, value, epochs, params, run folder, and why for a failure."""
    epochs = f"{outcome.epochs} epoch{'' if outcome.epochs == 1 else 's'}"
    run = f"  {printable(outcome.run)}" if outcome.run is not None else ""
    why = f"  ({outcome.message})" if outcome.state == "FAIL" and outcome.message else ""
    return (f"trial {outcome.number}  {outcome.state:<8}  {format_value(outcome.value):>7}  {epochs:<9}  "
            f"{format_params(outcome.params)}{run}{why}")


def summary_lines(snapshot: SweepSnapshot) -> list[str]:
    """Where the sweep stands, and its best trial."""
    tally = snapshot.tally
    complete = sum(trial.state == "COMPLETE" for trial in snapshot.trials)
    pruned = sum(trial.state == "PRUNED" for trial in snapshot.trials)
    counts = f"{complete} complete, {pruned} pruned" + (f", {tally.running} running" if tally.running else "")
    failed = f"; {tally.failed} failed (not counted)" if tally.failed else ""
    lines = [f"Sweep {snapshot.name}: {tally.counted} of {tally.budget} trials done ({counts}){failed}."]
    best = snapshot.best
    if best is not None:
        run = f" in {printable(best.run)}" if best.run is not None else ""
        lines.append(f"Best: trial {best.number}, {format_value(best.value)} with {format_params(best.params)}{run}")
    return lines


def folder_name(run_folder: str | None) -> str:
    """The run folder's own name (its parent is the runs folder), or "-"."""
    return printable(os.path.basename(run_folder)) if run_folder is not None else "-"

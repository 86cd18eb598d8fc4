"""`runs`: the recorded runs, newest first; with `--csv FILE [RUN ...]` their metrics in one long table."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmnist_gui.cli.options import FOLDER, add_json, complete_as, runs_folder
from fmnist_gui.cli.status import UsageError, say_error
from fmnist_gui.cli.table import print_table

if TYPE_CHECKING:
    from fmnist_gui.runs import RunInfo

PARENTS = (runs_folder("the runs folder"),)
RUN_FIELDS = ("id", "name", "created", "status", "model", "optimizer", "lr", "epochs_done", "epochs_asked", "best_accuracy",
              "best_epoch", "duration", "message", "note", "device", "seed", "damage")  # of each run in --json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    output = parser.add_mutually_exclusive_group()
    add_json(output, "print one JSON object with every run")
    complete_as(output.add_argument("--csv", metavar="FILE", help="write the metrics of the runs named (default: all) to FILE, "
                                    "one row per run, epoch and metric"))
    complete_as(parser.add_argument("names", nargs="*", metavar="RUN", help="with --csv: a run's folder, folder name or name"), FOLDER)


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.runs import SCHEMA, default_runs_dir, list_runs

    if args.csv:
        return _write_csv(args)
    if args.names:
        raise UsageError("naming runs needs --csv FILE")
    runs_dir = _readable_folder(default_runs_dir(args.runs_dir))
    runs = list_runs(runs_dir)
    if args.json:
        print(json.dumps({"schema": SCHEMA, "runs_dir": str(runs_dir), "runs": [_run_entry(run) for run in runs]}))
    else:
        _print_runs(runs, runs_dir)
    return 0


def _write_csv(args: argparse.Namespace) -> int:
    """`runs --csv FILE [RUN ...]`: the named runs' metrics, or every run's, in one long table; damaged runs are skipped."""
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.export import write_metrics_csv
    from fmnist_gui.export.common import check_target
    from fmnist_gui.formats import counted
    from fmnist_gui.runs import RunDamaged, default_runs_dir, find_run, list_runs, read_metrics, read_run
    from fmnist_gui.safe_text import printable

    check_target(args.csv)
    runs_dir = default_runs_dir(args.runs_dir)
    if args.names:
        folders = [find_run(runs_dir, name) for name in args.names]
    else:
        folders = [run.folder for run in list_runs(_readable_folder(runs_dir))]
    if not folders:
        raise UserFacingError(f"There are no runs in {printable(runs_dir)}, so {printable(args.csv)} was not written.")
    runs = []
    for folder in dict.fromkeys(folders):  # a run named twice is written once
        try:
            damage = read_run(folder).damage
            if damage is None:
                runs.append((folder.name, read_metrics(folder)))
        except RunDamaged as exc:  # damaged since read_run looked
            damage = str(exc)
        if damage is not None:
            say_error(f"{folder.name} is skipped: {damage}", "warning")
    if not runs:
        raise UserFacingError(f"No run could be read, so {printable(args.csv)} was not written.")
    path = write_metrics_csv(runs, args.csv)
    epochs = sum(len(history) for _, history in runs)
    print(f"Wrote {printable(path.name)}: {counted(len(runs), 'run')}, {counted(epochs, 'epoch')}.")
    return 0


def _readable_folder(path: Path) -> Path:
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.safe_text import printable

    if not path.exists():
        raise UserFacingError(f"There is no runs folder at {printable(path)}: no run was recorded there.")
    if not path.is_dir():
        raise UserFacingError(f"{printable(path)} is not a folder, so it cannot hold runs.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UserFacingError(f"The runs folder {printable(path)} cannot be read: permission denied.")
    return path


def _run_entry(run: RunInfo) -> dict[str, Any]:
    entry = {name: getattr(run, name) for name in RUN_FIELDS}
    entry["lr"] = None if math.isnan(run.lr) else run.lr
    return {"folder": str(run.folder), **entry}


def _print_runs(runs: list[RunInfo], runs_dir: Path) -> None:
    from fmnist_gui.formats import counted, format_duration
    from fmnist_gui.safe_text import printable, say

    if not runs:
        say(f"No runs in {printable(runs_dir)}.", sys.stderr)
        return
    rows = [("NAME", "CREATED", "MODEL", "OPTIMIZER", "LR", "EPOCHS", "BEST", "TIME", "STATUS")]
    for run in runs:
        best = f"{run.best_accuracy:.2f}% @{run.best_epoch}" if run.best_accuracy is not None else "-"
        status = f"{run.status}: {run.damage}" if run.damage else run.status
        rows.append((_clip(run.name, 32), run.created[:16].replace("T", " "), run.model or "?", run.optimizer or "?",
                     "?" if math.isnan(run.lr) else f"{run.lr:g}", f"{run.epochs_done}/{run.epochs_asked}", best,
                     format_duration(run.duration), status))  # status last: a damaged run's reason is long
    print_table(rows)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"

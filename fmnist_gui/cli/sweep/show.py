"""`sweep show NAME [--json]`, `sweep list`, `sweep export NAME --csv FILE`: reading sweeps, never changing them
(but for failing the trials of workers that are gone)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from fmnist_gui.cli.options import csv_option, json_output
from fmnist_gui.cli.sweep.options import add_name, locate, usage_errors, where
from fmnist_gui.cli.table import print_table

if TYPE_CHECKING:
    from fmnist_gui.sweeps import SweepSnapshot, TrialRecord

PARENTS = (json_output("print one JSON object: schema, trials (number, state, params, value, run) and best"), where())
TRIAL_FIELDS = ("number", "state", "params", "value", "run")  # of each trial in --json
BEST_FIELDS = ("number", "params", "value")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_name(parser)


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.cli.sweep.lines import summary_lines
    from fmnist_gui.names import JSON_SCHEMA
    from fmnist_gui.safe_text import say
    from fmnist_gui.sweeps import read_sweep

    snapshot = read_sweep(locate(args))
    if args.json:
        best = snapshot.best
        print(json.dumps({"schema": JSON_SCHEMA, "trials": [_fields(trial, TRIAL_FIELDS) for trial in snapshot.trials],
                          "best": _fields(best, BEST_FIELDS) if best is not None else None}))
        return 0
    if snapshot.trials:
        _print_trials(snapshot)
    else:
        say(f"Sweep {snapshot.name} has no trials yet: `fmnist-gui sweep work {snapshot.name}` runs them.", sys.stderr)
    for line in summary_lines(snapshot):
        print(line)
    return 0


class List:
    """`sweep list`: each sweep's name, how far it is and its best value."""

    PARENTS = (where(),)

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        pass

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.cli.sweep.lines import format_value
        from fmnist_gui.runs import default_runs_dir
        from fmnist_gui.safe_text import printable, say
        from fmnist_gui.sweeps import SweepError, SweepStore, list_sweeps, read_sweep
        from fmnist_gui.sweeps.storage import check_url

        runs_dir = default_runs_dir(args.runs_dir)
        if args.storage is not None:
            with usage_errors():
                check_url(args.storage)
        names = list_sweeps(args.storage, runs_dir)
        if not names:
            where_ = "in the database" if args.storage else f"in {printable(runs_dir / 'sweeps')}"
            say(f"No sweeps {where_}.", sys.stderr)
            return 0
        rows = [("NAME", "DONE", "BEST", "SAMPLER", "PRUNER")]
        for name in names:
            try:
                snapshot = read_sweep(SweepStore.locate(name, args.storage, runs_dir))
            except SweepError as exc:
                rows.append((printable(name), "-", "-", "-", f"cannot be read: {exc}"))
                continue
            best = snapshot.best
            rows.append((snapshot.name, f"{snapshot.tally.counted}/{snapshot.tally.budget}",
                         format_value(best.value if best else None), snapshot.definition.sampler, snapshot.definition.pruner))
        print_table(rows)
        return 0


class Export:
    """`sweep export NAME --csv FILE`: one row per trial, the hyperparameters as columns."""

    PARENTS = (where(),)

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)
        csv_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.atomic import check_save_target
        from fmnist_gui.formats import counted
        from fmnist_gui.safe_text import printable
        from fmnist_gui.sweeps import read_sweep, write_trials_csv

        store = locate(args)
        check_save_target(args.csv)  # before reading: a file that cannot be written is said at once
        snapshot = read_sweep(store)
        path = write_trials_csv(snapshot, args.csv)
        count = len(snapshot.trials)
        print(f"Wrote {printable(path.name)}: {counted(count, 'trial')} of sweep {snapshot.name}.")
        return 0


def _fields(trial: TrialRecord, names: tuple[str, ...]) -> dict[str, Any]:
    entry = {name: getattr(trial, name) for name in names}
    if "run" in entry:
        entry["run"] = trial.run_folder
    return entry


def _print_trials(snapshot: SweepSnapshot) -> None:
    from fmnist_gui.cli.sweep.lines import folder_name, format_params, format_value
    from fmnist_gui.formats import counted, format_duration

    rows = [("TRIAL", "STATE", "VALUE", "EPOCHS", "TIME", "PARAMS", "RUN", "NOTE")]
    for trial in snapshot.trials:
        duration = trial.duration
        note = trial.message if trial.state in ("FAIL", "PRUNED") else ""
        rows.append((str(trial.number), trial.state, format_value(trial.value), f"{trial.epochs_done}/{snapshot.definition.epochs}",
                     "-" if duration is None else format_duration(duration), format_params(trial.params),
                     folder_name(trial.run_folder), note))  # the note last: a failure's reason is long
    print_table(rows)


"""`sweep work NAME [--workers K]`: train the sweep's trials until its budget is met; `sweep run`: create, then work.

With K = 1 the worker runs in this process; with more, K worker processes share the cores and this
process passes Ctrl+C, SIGTERM and SIGHUP on to them. A stopped worker's trial ends at the next batch
and is marked FAIL with the reason; its run folder says `stopped`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.cli.status import EXIT_FAILURE, say_error
from fmnist_gui.cli.sweep import create
from fmnist_gui.cli.sweep.options import add_name, locate, work_options, workers

if TYPE_CHECKING:
    from fmnist_gui.sweeps import SweepSnapshot, SweepStore

PARENTS = work_options()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_name(parser)


def run(args: argparse.Namespace) -> int:
    return work(args, locate(args))


class CreateAndWork:
    """`sweep run`: the options of both."""

    PARENTS = (*create.PARENTS, workers())

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        return work(args, create.create(args))


def work(args: argparse.Namespace, store: SweepStore) -> int:
    from fmnist_gui.runs import default_runs_dir
    from fmnist_gui.sweeps import read_sweep

    runs_dir = default_runs_dir(args.runs_dir)
    code = _in_processes(args, store, runs_dir) if args.workers > 1 else _in_this_process(args, store, runs_dir)
    if code == 0 and not args.child:  # the processes of --workers K leave the summary to their parent
        _print_summary(read_sweep(store))
    return code


def _in_this_process(args: argparse.Namespace, store: SweepStore, runs_dir: Path) -> int:
    from fmnist_gui.cli.sweep.lines import outcome_line
    from fmnist_gui.signals import StopOnSignals
    from fmnist_gui.sweeps import SweepWorker
    from fmnist_gui.sweeps.processes import stop_signal_name

    if args.threads is not None:
        import torch

        torch.set_num_threads(args.threads)
    worker = SweepWorker(store, runs_dir, args.data_dir, args.device,
                         on_trial_end=lambda outcome: print_line(outcome_line(outcome)),
                         on_warning=lambda message: say_error(message, "warning"))
    with StopOnSignals(lambda: worker.stop(f"stopped by {stop_signal_name(signals.received)}"), sys.stderr) as signals:
        worker.critical = signals.saving
        worker.run()
    return signals.exit_code or 0


def _in_processes(args: argparse.Namespace, store: SweepStore, runs_dir: Path) -> int:
    """K worker processes; this one waits for them and passes stop signals on (a second one: they quit at once)."""
    from fmnist_gui.data import find_data_dir
    from fmnist_gui.signals import Interrupted, StopOnSignals
    from fmnist_gui.sweeps import WorkerProcesses, read_sweep

    snapshot = read_sweep(store)  # a missing sweep or unreachable database: one line here, not one per worker
    find_data_dir(args.data_dir or snapshot.definition.data_dir)
    processes = WorkerProcesses(store, runs_dir, args.data_dir, args.device, args.workers)
    with open(os.devnull, "w", encoding="utf-8") as quiet, \
            StopOnSignals(lambda: processes.send(signals.received or 0), quiet) as signals:
        processes.start()
        try:
            codes = processes.wait()
        except Interrupted as again:
            processes.send(again.signum)
            processes.wait()
            return 128 + again.signum
    if signals.exit_code is not None:
        return signals.exit_code
    failed = [code for code in codes if code != 0]
    if failed:
        say_error(f"{len(failed)} of {len(codes)} workers failed (exit codes {', '.join(map(str, failed))}); "
                  "their errors are above.")
        return EXIT_FAILURE
    return 0


def _print_summary(snapshot: SweepSnapshot) -> None:
    from fmnist_gui.cli.sweep.lines import summary_lines

    for line in summary_lines(snapshot):
        print_line(line)


def print_line(line: str) -> None:
    """A line on stdout, flushed at once: the workers of --workers K share it, and a reader follows it live."""
    from fmnist_gui.safe_text import say

    say(line, sys.stdout)

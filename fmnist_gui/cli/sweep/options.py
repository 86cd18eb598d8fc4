"""The option groups the sweep sub-commands share, and how a sweep's name and storage become a SweepStore.

Torch- and optuna-free at the top, like every module the parser is built from.
"""

from __future__ import annotations

import argparse
import contextlib
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import data_folder, device_option, positive, runs_folder
from fmnist_gui.cli.status import as_usage_error

if TYPE_CHECKING:
    from fmnist_gui.sweeps import SweepStore

SAMPLERS = ("tpe", "random", "grid")  # as fmnist_gui.sweeps.definition names them; a test keeps them equal
PRUNERS = ("median", "hyperband", "none")
STORAGE_HELP = ("a PostgreSQL database shared by workers on many machines, postgresql://USER@HOST/DATABASE "
                "(default: the journal file RUNS_DIR/sweeps/NAME/journal.log, for one machine)")


def add_name(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="the sweep's name (letters, digits, '.', '_', '-')")


def where() -> argparse.ArgumentParser:
    """--storage and --runs-dir: where the sweep's study lives, and where its trials' run folders go."""
    group = runs_folder("where the trials' run folders go, and the sweeps' journals (RUNS_DIR/sweeps)")
    group.add_argument("--storage", metavar="URL", help=STORAGE_HELP)
    return group


def definition() -> argparse.ArgumentParser:
    """What `create` (and `run`) define besides the training options: the space, the budget, the search."""
    group = argparse.ArgumentParser(add_help=False)
    group.add_argument("--param", action="append", required=True, metavar="NAME=SPEC",
                       help="a hyperparameter that varies: a range low:high (low:high:log for a log scale), or a "
                            "list a,b,c; e.g. lr=1e-4:0.1:log, batch_size=64,128,256, optimizer=sgd,adamw (repeat for each)")
    group.add_argument("--trials", type=positive, metavar="N",
                       help="trials to complete or prune, over all workers (default 20; with grid, the grid's size)")
    group.add_argument("--sampler", choices=SAMPLERS, default="tpe", help="how trials are chosen (default tpe)")
    group.add_argument("--pruner", choices=PRUNERS, default="median",
                       help="which trials stop early, epoch by epoch (default median)")
    return group


def workers() -> argparse.ArgumentParser:
    """--workers K (and the hidden options each of its worker processes is started with)."""
    group = argparse.ArgumentParser(add_help=False)
    group.add_argument("--workers", type=positive, default=1, metavar="K",
                       help="worker processes on this machine, sharing its cores (default 1: in this process)")
    group.add_argument("--threads", type=positive, help=argparse.SUPPRESS)  # torch threads: the worker's share of the cores
    group.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # one of --workers K: the parent sums up
    return group


def work_options() -> tuple[argparse.ArgumentParser, ...]:
    """What a worker takes besides the sweep's definition: its device, data and processes."""
    return (workers(), device_option(what="the device this machine's trials train on (default: the sweep's)"),
            data_folder(), where())


def locate(args: argparse.Namespace) -> SweepStore:
    """The sweep NAME in --storage, or in the journal under the runs folder; a bad name or URL is a usage error."""
    from fmnist_gui.runs import default_runs_dir
    from fmnist_gui.sweeps import SweepStore

    with usage_errors():
        return SweepStore.locate(args.name, args.storage, default_runs_dir(args.runs_dir))


def usage_errors() -> contextlib.AbstractContextManager[None]:
    """A SweepError as a usage error (exit 2): the command line itself is wrong (a bad name or URL)."""
    from fmnist_gui.sweeps import SweepError

    return as_usage_error(SweepError)


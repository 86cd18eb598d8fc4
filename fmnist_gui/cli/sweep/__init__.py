"""`sweep`: hyperparameter sweeps with Optuna. create, work, run, show, list, export, each a sub-command.

The sub-commands are listed once, below, as the top-level commands are in fmnist_gui.cli.commands;
building their parsers imports neither torch nor optuna, so `fmnist-gui sweep --help` answers at once.
"""

from __future__ import annotations

import argparse

from fmnist_gui.cli.commands import CommandInfo, add_subcommands, load_command

PARENTS: tuple[argparse.ArgumentParser, ...] = ()
SUBCOMMANDS: dict[str, CommandInfo] = {
    "create": CommandInfo("fmnist_gui.cli.sweep.create", "define a sweep: what varies, how many trials, the sampler and pruner"),
    "work": CommandInfo("fmnist_gui.cli.sweep.work", "train the sweep's trials until its budget is met, here, in K processes"),
    "run": CommandInfo("fmnist_gui.cli.sweep.work:CreateAndWork", "create a sweep and work on it, in one command"),
    "show": CommandInfo("fmnist_gui.cli.sweep.show", "the sweep's trials and the best one"),
    "list": CommandInfo("fmnist_gui.cli.sweep.show:List", "the sweeps in the runs folder, or in a database"),
    "export": CommandInfo("fmnist_gui.cli.sweep.show:Export", "the sweep's trials as a CSV, one row per trial"),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_subcommands(parser, SUBCOMMANDS, "sweep_command")


def run(args: argparse.Namespace) -> int:
    return load_command(args.sweep_command, SUBCOMMANDS).run(args)

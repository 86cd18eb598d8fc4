"""`labels`: label fix sets. list, show, apply (the mislabel finder's suspects in bulk), fix (one image), export.

The sub-commands are listed once, below, as the top-level commands are in fmnist_gui.cli.commands;
building their parsers imports no torch, so `fmnist-gui labels --help` answers at once.
"""

from __future__ import annotations

import argparse

from fmnist_gui.cli.commands import CommandInfo, add_subcommands, load_command

PARENTS: tuple[argparse.ArgumentParser, ...] = ()
SUBCOMMANDS: dict[str, CommandInfo] = {
    "list": CommandInfo("fmnist_gui.cli.labels.read:List", "the fix sets, with what each changes"),
    "show": CommandInfo("fmnist_gui.cli.labels.read:Show", "one fix set's fixes"),
    "apply": CommandInfo("fmnist_gui.cli.labels.change:Apply",
                         "accept a run's top K likely mislabelled images in bulk: relabel each to the model's class, or set it aside"),
    "fix": CommandInfo("fmnist_gui.cli.labels.change:FixOne", "relabel, set aside, keep or forget one image"),
    "export": CommandInfo("fmnist_gui.cli.labels.read:Export", "a fix set as a CSV file elsewhere (to train with on another machine)"),
}
DESCRIPTION = ("A fix set is a small CSV file of decisions about single images (relabel, exclude, keep), kept in "
               "labels/NAME.csv; `train --labels NAME` trains with it. The data files are never changed, and neither "
               "is the test set a run is measured on: test-label fixes (--test) live apart, in labels/test/, and only "
               "`evaluate --labels NAME` reads them.")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = DESCRIPTION
    add_subcommands(parser, SUBCOMMANDS, "labels_command")


def run(args: argparse.Namespace) -> int:
    return load_command(args.labels_command, SUBCOMMANDS).run(args)

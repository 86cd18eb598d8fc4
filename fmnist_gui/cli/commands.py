"""The one table of commands: name -> the module that defines it and its line in --help, in display order.

The parser, the list of commands a mistyped first word is told, and dispatch all read this table, so a
command is added in one place (pip's commands_dict). Each module is imported only when the parser is
built or the command runs.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import NamedTuple, Protocol, cast


class CommandInfo(NamedTuple):
    module: str  # "package.module", or "package.module:Object" where one module defines several commands
    help: str  # the command's line in `fmnist-gui --help`


class Command(Protocol):
    """What a command module (or the object the table names in it) offers."""

    PARENTS: Sequence[argparse.ArgumentParser]  # the shared option groups it takes (fmnist_gui.cli.options)

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


COMMANDS_TABLE: dict[str, CommandInfo] = {
    "gui": CommandInfo("fmnist_gui.cli.gui", "open the app (the default)"),
    "train": CommandInfo("fmnist_gui.cli.train", "train headless, recorded in a run folder"),
    "lr-find": CommandInfo("fmnist_gui.cli.lr_find", "suggest a learning rate: a short run with a rising rate (Smith's range test)"),
    "runs": CommandInfo("fmnist_gui.cli.runs", "list the recorded runs, or write their metrics as CSV"),
    "datamap": CommandInfo("fmnist_gui.cli.datamap", "a run's training images whose labels look wrong, from its training dynamics"),
    "labels": CommandInfo("fmnist_gui.cli.labels", "label fix sets: accept the data map's suspects, relabel or set aside images, list them"),
    "present": CommandInfo("fmnist_gui.cli.present", "demo a saved model (or two side by side) full screen, to a room"),
    "evaluate": CommandInfo("fmnist_gui.cli.evaluate", "test loss and accuracy of a checkpoint"),
    "compare": CommandInfo("fmnist_gui.cli.compare", "two checkpoints on the test set: which is better, and is the difference real?"),
    "predict": CommandInfo("fmnist_gui.cli.predict", "the top 3 classes for image files"),
    "devices": CommandInfo("fmnist_gui.cli.devices", "the devices torch can use here"),
    "data": CommandInfo("fmnist_gui.cli.data", "where Fashion-MNIST is found, after checking it"),
    "export": CommandInfo("fmnist_gui.cli.export", "a checkpoint as ONNX (checked against PyTorch) and/or a Markdown model card"),
    "sweep": CommandInfo("fmnist_gui.cli.sweep", "hyperparameter sweeps with Optuna: create, work (many processes, many machines), show"),
    "completion": CommandInfo("fmnist_gui.cli.completion", "print a shell completion script"),
    "install-desktop": CommandInfo("fmnist_gui.cli.desktop:Install",
                                   "add the app, its icon and the checkpoint file type to your desktop"),
    "uninstall-desktop": CommandInfo("fmnist_gui.cli.desktop:Uninstall", "remove what install-desktop added"),
}
COMMANDS = tuple(COMMANDS_TABLE)


def add_subcommands(parser: argparse.ArgumentParser, table: dict[str, CommandInfo], dest: str) -> None:
    """A command's sub-commands (`sweep create`, `labels apply` …), from its own table, as the top level's are built."""
    sub = parser.add_subparsers(dest=dest, metavar="SUBCOMMAND", required=True)
    for name, info in table.items():
        command = load_command(name, table)
        command.add_arguments(sub.add_parser(name, help=info.help, description=info.help, parents=[*command.PARENTS]))


def load_command(name: str, table: dict[str, CommandInfo] | None = None) -> Command:
    """The command's module, or the object named in it, imported now; `table` holds sub-commands (`sweep`'s)."""
    module_name, _, attribute = (COMMANDS_TABLE if table is None else table)[name].module.partition(":")
    module = importlib.import_module(module_name)
    return cast(Command, getattr(module, attribute) if attribute else module)

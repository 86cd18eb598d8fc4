"""`gui [CHECKPOINT]`: the window, optionally opening a checkpoint or a run folder (the default command)."""

from __future__ import annotations

import argparse

from fmnist_gui.cli.options import complete_as

PARENTS: tuple[argparse.ArgumentParser, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("checkpoint", nargs="?", help="a checkpoint or run folder to open"))


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.qt.shell.app import run_app  # Qt only here, once the window is asked for

    return run_app(getattr(args, "checkpoint", None))  # `fmnist-gui --` names no command, so has no checkpoint

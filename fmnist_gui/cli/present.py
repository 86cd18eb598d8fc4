"""`present MODEL [OTHER]`: the presenter, full screen, straight from a terminal or a launcher."""

from __future__ import annotations

import argparse

from fmnist_gui.cli.options import complete_as, data_folder
from fmnist_gui.cli.status import UsageError

PARENTS = (data_folder(),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("models", nargs="+", metavar="MODEL",
                                    help="a checkpoint to present; a second one answers beside it, to compare"))
    parser.add_argument("--theme", choices=("dark", "light"), default="dark",
                        help="dark for screens, light for projectors that wash out dark greys (L switches)")


def run(args: argparse.Namespace) -> int:
    if len(args.models) > 2:
        raise UsageError("present shows one model, or two side by side; not three or more")
    from fmnist_gui.checkpoint import load_checkpoint  # every file is checked before a window opens

    checkpoints = [load_checkpoint(path) for path in args.models]
    from fmnist_gui.qt.shell.present_app import run_presenter  # Qt only here

    return run_presenter(checkpoints, args.models, args.data_dir, args.theme)

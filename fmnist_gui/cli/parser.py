"""The argument parser, built from the table of commands; torch-free, so `fmnist-gui --help` answers at once."""

from __future__ import annotations

import argparse
import re
from typing import Any, NoReturn

from fmnist_gui import __version__
from fmnist_gui.cli.commands import COMMANDS_TABLE, load_command
from fmnist_gui.cli.status import EXIT_USAGE

EPILOG = """\
With no command, or with a checkpoint or run folder, the window opens; the commands run headless.

environment:
  FMNIST_DATA         folder holding the Fashion-MNIST IDX files, looked in after --data-dir
  FMNIST_ALLOW_SMALL  set to 1 to accept data sets smaller than Fashion-MNIST (tests, quick trials)
  FMNIST_RUNS         where runs are recorded, after --runs-dir (default ~/.local/share/fmnist-gui/runs)
  FMNIST_LABELS       where label fix sets are kept, after --labels-dir (default: labels/ beside the runs folder)
  FMNIST_PATH_CACHE   the file that keeps the training path measured on this machine
                      (default ~/.cache/fmnist-gui/training-paths.json)

exit codes:
  0  done;  1  the command failed (a bad file, a missing device, a full disk …);
  2  the command line is wrong;  130, 143, 129  stopped by SIGINT (Ctrl+C), SIGTERM, SIGHUP
"""


NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$", re.IGNORECASE)


class Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit code 2, and `--lr -1e-3` or `--lr -inf`
    are values (refused for what they are), not options: argparse alone only knows -3 and -.5 as numbers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = NEGATIVE_NUMBER

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"fmnist-gui: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The whole command line: every command of the table with its shared option groups and its own arguments."""
    parser = Parser(prog="fmnist-gui", description="Train, watch and demo Fashion-MNIST models.", epilog=EPILOG,
                    formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fmnist-gui {__version__}")
    subparsers = parser.add_subparsers(dest="command", parser_class=Parser, metavar="COMMAND")
    for name, info in COMMANDS_TABLE.items():
        command = load_command(name)
        command.add_arguments(subparsers.add_parser(name, help=info.help, parents=[*command.PARENTS]))  # type: ignore[list-item]  # typeshed wants the subparser's class
    return parser

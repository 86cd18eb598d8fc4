"""`install-desktop` and `uninstall-desktop`: the app's launcher, icon and checkpoint file type on the desktop.

Two commands of one module, so the table names each object here; each offers what a command module does.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fmnist_gui.cli.options import FOLDER, complete_as
from fmnist_gui.cli.status import say_error


class Install:
    """`install-desktop [--data-home DIR]`."""

    PARENTS: tuple[argparse.ArgumentParser, ...] = ()

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        complete_as(parser.add_argument("--data-home", help="install under this folder instead of $XDG_DATA_HOME "
                                        "(~/.local/share)"), FOLDER)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.desktop import install_desktop

        for path in install_desktop(_data_home(args), say=_note):
            print(f"Installed {path}")
        return 0


class Uninstall:
    """`uninstall-desktop [--data-home DIR]`."""

    PARENTS: tuple[argparse.ArgumentParser, ...] = ()

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        complete_as(parser.add_argument("--data-home", help="the folder install-desktop used"), FOLDER)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.desktop import uninstall_desktop

        removed = uninstall_desktop(_data_home(args), say=_note)
        for path in removed:
            print(f"Removed {path}")
        if not removed:
            print("Nothing to remove: the desktop entry was not installed.")
        return 0


def _data_home(args: argparse.Namespace) -> Path | None:
    return Path(args.data_home).expanduser() if args.data_home else None


def _note(message: str) -> None:
    say_error(message, "note")

"""The command line: the GUI by default; train, evaluate, predict, devices, data and the rest headless.

The commands are listed once, in fmnist_gui.cli.commands; each lives in its own module of this package.
Here: the entry points, the default command, and how a failure becomes one line and an exit code.
"""

from __future__ import annotations

import argparse
import difflib
import errno
import os
import signal
import sys
from collections.abc import Sequence

# Only torch-free modules here and in building the parser: `fmnist-gui --help` must answer at once.
from fmnist_gui.cli.commands import COMMANDS, load_command
from fmnist_gui.cli.parser import build_parser
from fmnist_gui.cli.status import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UsageError, say_error

__all__ = ["COMMANDS", "EXIT_FAILURE", "EXIT_INTERRUPTED", "EXIT_USAGE", "UsageError", "build_parser", "main",
           "main_window", "prefer_sleeping_threads", "say_error"]


def prefer_sleeping_threads() -> None:
    """Make torch's OpenMP threads sleep, not spin, while they wait for work.

    Spinning threads fight the GUI thread for the cores; on a 2-core machine that made a run
    in the app three times slower. It must be set before torch is first imported.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: Sequence[str] | None = None) -> int:
    """The `fmnist-gui` console command: the window with no command or with a file, else a headless command."""
    from fmnist_gui.errors import UserFacingError

    _give_missing_streams_a_sink()
    parser = build_parser()
    arguments = _with_default_command(list(sys.argv[1:] if argv is None else argv), parser)
    if arguments[0] == "gui":
        prefer_sleeping_threads()
    args = parser.parse_args(arguments)
    try:
        return load_command(args.command or "gui").run(args)  # None: `fmnist-gui --`
    except UsageError as exc:
        parser.error(str(exc))  # one line, exit code 2
    except UserFacingError as exc:
        say_error(str(exc))
        return EXIT_FAILURE
    except OSError as exc:  # writing the output failed: a full disk, a closed pipe
        if exc.errno == errno.EPIPE:
            return 0  # the reader left early, as `| head` does
        say_error(f"cannot write the output: {exc.strerror or exc}.")
        return EXIT_FAILURE
    except KeyboardInterrupt as exc:  # Ctrl+C outside training, or twice during it: no traceback
        say_error("interrupted; nothing was saved." if args.command == "train" else "interrupted.")
        return 128 + getattr(exc, "signum", signal.SIGINT)
    finally:
        _quiet_closed_stdout()


def main_window(argv: Sequence[str] | None = None) -> int:
    """The `fmnist-gui-window` GUI launcher: always the window, optionally opening one checkpoint or run folder.

    On Windows a GUI launcher starts without a console (sys.stdout and sys.stderr are None), so it
    never runs the headless commands; `fmnist-gui` is their console entry point.
    """
    return main(["gui", *(sys.argv[1:] if argv is None else argv)])


def _with_default_command(arguments: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """The command line with `gui` put first where no command is named.

    `fmnist-gui` alone and `fmnist-gui model.pt` (as a file manager or the .desktop entry runs it)
    open the window; a first word that is neither a command nor an existing file is a usage error,
    so `fmnist-gui devics` names the commands instead of opening a window on a missing file.
    """
    if not arguments:
        return ["gui"]
    first = arguments[0]
    if first.startswith("-") or first in COMMANDS:
        return arguments
    if os.path.exists(first):
        return ["gui", *arguments]
    from fmnist_gui.safe_text import printable

    close = difflib.get_close_matches(first, COMMANDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    parser.error(f"{printable(first)!r} is neither a command nor an existing file{hint}; the commands are {', '.join(COMMANDS)}")


def _give_missing_streams_a_sink() -> None:
    """A process without a console (a Windows GUI launcher, pythonw) has None for sys.stdout and sys.stderr:
    writes to them go nowhere instead of raising."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process


def _quiet_closed_stdout() -> None:
    """A reader that left early (`| head`) is not an error: send what is still buffered nowhere."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass

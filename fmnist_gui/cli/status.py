"""How a command reports failure: its exit codes, the usage error, and the one line it prints on stderr."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

EXIT_FAILURE = 1  # the command ran and failed: a bad file, a missing device, a full disk …
EXIT_USAGE = 2  # the command line itself is wrong, as argparse reports it
EXIT_INTERRUPTED = 130  # 128 + SIGINT; SIGTERM and SIGHUP give 143 and 129


class UsageError(Exception):
    """An option value the command cannot use: reported like argparse's own errors, exit code 2."""


@contextlib.contextmanager
def as_usage_error(kind: type[Exception]) -> Iterator[None]:
    """An error of `kind` raised inside as a usage error (exit 2): it says the command line itself is wrong."""
    try:
        yield
    except kind as exc:
        raise UsageError(str(exc)) from None


def say_error(message: str, kind: str = "error") -> None:
    """The one line a failure (or, with kind "warning", a warning) prints on stderr, whatever the message holds."""
    from fmnist_gui.safe_text import printable, say

    say(f"fmnist-gui: {kind}: {printable(message)}", sys.stderr)

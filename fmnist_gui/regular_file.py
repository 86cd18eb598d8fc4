"""Opening a file that may be anything: only a regular file of a size it can have is opened, and never by waiting.

A fifo in place of a run file or a checkpoint would make a plain open() wait forever for a writer (and a
window that waits on it cannot quit); a device may act when opened; a huge file would be read whole.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import BinaryIO

Refusal = Callable[[str], Exception]  # makes the caller's own one-line error from a message
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)  # POSIX: opening a fifo returns at once instead of waiting for a writer
_FLAGS = os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def open_regular(path: str | os.PathLike[str], name: str, refuse: Refusal, most_bytes: int | None = None) -> BinaryIO:
    """`path` open for binary reading, when it is a regular file (symbolic links followed) of at most `most_bytes`.

    Anything else raises `refuse(message)`, the message one line naming the file as `name`; a missing file raises
    FileNotFoundError, so the caller says what its absence means. The path is checked before it is opened, and
    what was opened is checked again, without blocking, should the path have changed in between.
    """
    with _refused_as(name, refuse):
        info = os.stat(path)  # first without opening it
    _check(info, name, refuse, most_bytes)
    with _refused_as(name, refuse):
        descriptor = os.open(path, _FLAGS)
    try:
        _check(os.fstat(descriptor), name, refuse, most_bytes)
        if _NONBLOCK:
            os.set_blocking(descriptor, True)  # a regular file's reads never wait; clear the flag all the same
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


@contextmanager
def _refused_as(name: str, refuse: Refusal) -> Iterator[None]:
    """An OSError as `refuse`'s one line; a missing file stays FileNotFoundError."""
    try:
        yield
    except FileNotFoundError:
        raise
    except PermissionError:
        raise refuse(f"{name} cannot be read: permission denied.") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL in the path
        raise refuse(f"{name} cannot be opened: {getattr(exc, 'strerror', None) or exc}.") from None


def _check(info: os.stat_result, name: str, refuse: Refusal, most_bytes: int | None) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise refuse(f"{name} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        raise refuse(f"{name} is not a regular file.")
    if most_bytes is not None and info.st_size > most_bytes:
        raise refuse(f"{name} is too large: {info.st_size:,} bytes, more than such a file can hold ({most_bytes:,}).")

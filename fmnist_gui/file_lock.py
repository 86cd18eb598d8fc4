"""An exclusive advisory lock (`flock`) held for one read-modify-write of a file that several processes share.

The kernel drops the lock when its process dies, even by SIGKILL, so none is ever left behind. Where a
file system cannot lock (some network mounts, Windows), the edit goes on unlocked: the write itself
then says why it fails, if it does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here
    fcntl = None  # type: ignore[assignment]


@contextmanager
def exclusive_lock(lock_file: Path) -> Iterator[None]:
    """Hold `lock_file`'s lock (the file is made if missing and stays: deleting it would race a new holder)."""
    try:
        stream = open(lock_file, "a", encoding="utf-8")  # noqa: SIM115 - closed below
    except OSError:
        yield  # a folder that cannot take a lock file cannot take the edit either: the write reports why
        return
    try:
        if fcntl is not None:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX)
            except OSError:
                pass
        yield
    finally:
        stream.close()  # closing the descriptor drops the flock

"""One writer per run folder, and one read-modify-write of run.json at a time.

The writer lock is an advisory lock (`flock`) on `.writer.lock` in the folder, held from the
moment a recorder takes the folder until its run ends; the kernel lets it go when the process
dies, even by SIGKILL, so a lock is never left behind. The file also says who holds it (pid,
host, since when), for the message a second writer gets. run.json's own lock is held only for
the few milliseconds of one edit, so that a rename from the window and the recorder's heartbeat
never write over each other.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from fmnist_gui.errors import UserFacingError
from fmnist_gui.file_lock import exclusive_lock
from fmnist_gui.safe_text import printable

try:
    import fcntl
except ImportError:  # Windows: no advisory locks here; one writer is then the user's to keep
    fcntl = None  # type: ignore[assignment]

WRITER_LOCK = ".writer.lock"
RUN_JSON_LOCK = ".run.json.lock"


class FolderBusy(UserFacingError):
    """Another process records into the run folder; the message says which."""


class WriterLock:
    """The right to write one run folder, until `release()` (or the process ends)."""

    def __init__(self, folder: Path, stream: IO[str] | None) -> None:
        self.folder = folder
        self._stream = stream

    @classmethod
    def take(cls, folder: Path) -> WriterLock:
        """Take the folder's writer lock, or raise FolderBusy naming its holder; OSError when the folder
        cannot hold a lock file at all."""
        folder = Path(folder)
        stream = open(folder / WRITER_LOCK, "a+", encoding="utf-8")  # noqa: SIM115 - held until release()
        if fcntl is not None:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _holder(stream)
                stream.close()
                raise FolderBusy(f"{printable(folder.name)} is being recorded by {holder}; "
                                 "two runs cannot write one folder.") from None
            except OSError:
                pass  # a file system without locks (some network mounts): go on unlocked, as before
        stream.seek(0)
        stream.truncate()
        stream.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}) + "\n")
        stream.flush()
        return cls(folder, stream)

    @property
    def held(self) -> bool:
        return self._stream is not None

    def release(self) -> None:
        """Let another writer in; idempotent. The file stays: deleting it would race with a new holder."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.close()  # closing the descriptor drops the flock
            except OSError:
                pass


def is_being_written(folder: Path) -> bool:
    """Whether some process holds the folder's writer lock now (False where locks are unknown)."""
    if fcntl is None:
        return False
    try:
        with open(Path(folder) / WRITER_LOCK, encoding="utf-8") as stream:
            try:
                fcntl.flock(stream.fileno(), fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            except OSError:
                return False
            return False
    except OSError:
        return False


@contextmanager
def run_json_edit(folder: Path) -> Iterator[None]:
    """Hold run.json's edit lock for one read-modify-write; without a lock file system, go on unlocked."""
    with exclusive_lock(Path(folder) / RUN_JSON_LOCK):
        yield


def _holder(stream: IO[str]) -> str:
    """Who holds a writer lock, in words, from what the holder wrote into the lock file."""
    try:
        stream.seek(0)
        owner: Any = json.loads(stream.read(4096) or "{}")
    except (OSError, ValueError):
        owner = {}
    if not isinstance(owner, dict):
        owner = {}
    pid, host = owner.get("pid"), owner.get("host")
    who = f"process {pid}" if isinstance(pid, int) else "another process"
    if isinstance(host, str) and host != socket.gethostname():
        who += f" on {printable(host)}"
    return who

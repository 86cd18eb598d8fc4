"""Writing a file so that a failed or interrupted save never destroys the file that was there."""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from fmnist_gui.errors import UserFacingError
from fmnist_gui.safe_text import printable


_TORCH_PREFIX = re.compile(r"^\[enforce fail at [^\]]*\][ .]*")  # c10's source location, not a reason
FOREIGN_TEMPORARY_AGE = 24 * 3600.0  # seconds: another host's temporary file older than this is left over


class SaveError(UserFacingError):
    """A file that cannot be written where asked; the message gives the one-line reason."""


def check_save_target(path: str | os.PathLike[str]) -> Path:
    """The real file a save to `path` writes (a symlink's target), refused unless it can be written.

    Checked before work whose result would be lost: the folder must exist and be writable, and
    the file must be absent or a regular file (never a folder, device or fifo).
    """
    target = Path(path).expanduser()
    real = Path(os.path.realpath(target))  # a link is kept: the file it points to is replaced
    try:
        mode = os.stat(real).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise SaveError(f"Cannot save to {printable(target)}: {_reason(exc)}.") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise SaveError(f"Cannot save to {printable(target)}: it is a folder.")
    if mode is not None and not stat.S_ISREG(mode):
        raise SaveError(f"Cannot save to {printable(target)}: it is not a regular file.")
    if not real.parent.is_dir():
        raise SaveError(f"Cannot save to {printable(target)}: the folder {printable(real.parent)} does not exist.")
    if not os.access(real.parent, os.W_OK | os.X_OK):
        raise SaveError(f"Cannot save to {printable(target)}: the folder {printable(real.parent)} is not writable.")
    return real


def write_atomically(path: str | os.PathLike[str], write: Callable[[BinaryIO], object]) -> Path:
    """Call `write` on a temporary file beside the target, then os.replace it over the target.

    On any failure the temporary file is removed and the old file is left as it was; temporary
    files that an earlier, killed save left behind are removed first. The temporary file's name
    says which process on which host writes it, so that no process removes another's live one.
    """
    target = Path(path).expanduser()
    real = check_save_target(target)
    remove_stale_temporaries(real)
    try:
        handle, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.{os.getpid()}-{_host_tag()}.",
                                             suffix=".tmp")
    except OSError as exc:
        raise SaveError(f"Cannot save to {printable(target)}: {_reason(exc)}.") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(real))  # mkstemp makes it private; a saved file is an ordinary one
        os.replace(temporary, real)
    except BaseException as exc:  # KeyboardInterrupt too: never leave a half-written temporary file
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, Exception):
            raise SaveError(f"Cannot save to {printable(target)}: {_reason(exc)}.") from None
        raise
    _sync_folder(real.parent)
    return target


def write_bytes(path: str | os.PathLike[str], content: bytes) -> Path:
    """Write `content` to `path` atomically, as write_atomically does."""
    return write_atomically(path, lambda stream: stream.write(content))


def remove_stale_temporaries(real: Path) -> list[Path]:
    """Delete the temporary files a killed save of `real` left beside it; never one a live process writes.

    `.NAME.PID-HOST.xxxxxxxx.tmp` is left over when its process on this host has ended (or, for
    another host, when it is a day old); `.NAME.xxxxxxxx.tmp`, as older versions named them, always.
    """
    name = re.escape(real.name)
    owned = re.compile(rf"\.{name}\.(\d+)-([0-9a-f]{{8}})\.[A-Za-z0-9_]{{8}}\.tmp")
    anonymous = re.compile(rf"\.{name}\.[A-Za-z0-9_]{{8}}\.tmp")
    removed: list[Path] = []
    try:
        candidates = list(real.parent.iterdir())
    except OSError:
        return removed
    for candidate in candidates:
        match = owned.fullmatch(candidate.name)
        if match is None and not anonymous.fullmatch(candidate.name):
            continue
        try:
            info = candidate.lstat()
            if not stat.S_ISREG(info.st_mode):
                continue
            if match is not None and not _left_over(int(match.group(1)), match.group(2), info.st_mtime):
                continue
            candidate.unlink()
            removed.append(candidate)
        except OSError:
            pass  # another process's file, or already gone: not ours to insist on
    return removed


def _left_over(pid: int, host: str, modified: float) -> bool:
    """Whether a temporary file written by `pid` on the host tagged `host` can no longer be finished."""
    if host != _host_tag():
        return time.time() - modified > FOREIGN_TEMPORARY_AGE
    if pid == os.getpid():
        return False  # this process saves in several threads: never its own
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False  # it exists, as another user's process
    return False


def _host_tag() -> str:
    """Eight hex digits for this host, so that a file names its writer's host without naming it."""
    return hashlib.sha1(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def _reason(exc: BaseException) -> str:
    """An exception as a short clause: the OS's words for an OSError, else its first line."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = _TORCH_PREFIX.sub("", str(exc).strip())
    return printable(text.splitlines()[0]) if text else type(exc).__name__


def _file_mode(target: Path) -> int:
    """The mode an overwritten file had, or what a newly created file gets under the umask."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable; best effort, as some file systems refuse it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)

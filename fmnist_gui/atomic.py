"""Writing a file so that a failed or interrupted save never destroys the file that was there."""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from fmnist_gui.errors import UserFacingError
from fmnist_gui.safe_text import printable


_TORCH_PREFIX = re.compile(r"^\[enforce fail at [^\]]*\][ .]*")  # c10's source location, not a reason


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
    files that an earlier, killed save left behind are removed first.
    """
    target = Path(path).expanduser()
    real = check_save_target(target)
    remove_stale_temporaries(real)
    try:
        handle, temporary = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.", suffix=".tmp")
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
    """Delete the temporary files a killed save of `real` left beside it (`.NAME.xxxxxxxx.tmp`)."""
    pattern = re.compile(rf"\.{re.escape(real.name)}\.[A-Za-z0-9_]{{8}}\.tmp")
    removed: list[Path] = []
    try:
        candidates = [p for p in real.parent.iterdir() if pattern.fullmatch(p.name)]
    except OSError:
        return removed
    for candidate in candidates:
        try:
            if stat.S_ISREG(candidate.lstat().st_mode):
                candidate.unlink()
                removed.append(candidate)
        except OSError:
            pass  # another process's file, or already gone: not ours to insist on
    return removed


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

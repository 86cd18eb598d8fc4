"""The export error and the one way every export is written: atomically, errors as ExportError."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from fmnist_gui import atomic
from fmnist_gui.errors import UserFacingError

PathLike = str | os.PathLike[str]


class ExportError(UserFacingError):
    """An export that cannot be made or written; the message gives the one-line reason."""


@contextlib.contextmanager
def as_export_error() -> Iterator[None]:
    """Save failures (unwritable folder, full disk …) surface as ExportError, one family for callers."""
    try:
        yield
    except atomic.SaveError as exc:
        raise ExportError(str(exc)) from None


def check_target(path: PathLike) -> Path:
    """Refuse a target that cannot be written before doing the work (see atomic.check_save_target)."""
    with as_export_error():
        return atomic.check_save_target(path)


def save_bytes(path: PathLike, payload: bytes) -> Path:
    """Write `payload` atomically: a failure leaves no partial file and keeps the one that was there."""
    with as_export_error():
        return atomic.write_bytes(path, payload)


def save_text(path: PathLike, text: str) -> Path:
    return save_bytes(path, text.encode("utf-8"))

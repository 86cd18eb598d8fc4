"""Opening a PyTorch file that may be hostile: size limits first, no code, only plain data back."""

from __future__ import annotations

import functools
import os
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO


from fmnist_gui.errors import UserFacingError
from fmnist_gui.lazy import lazy_module
from fmnist_gui.models import MODELS
from fmnist_gui.regular_file import open_regular

if TYPE_CHECKING:
    import torch
else:
    torch = lazy_module("torch")

MAX_DEPTH = 32  # our own files nest 5 deep; more is a crafted file
MAX_ITEMS = 20_000_000  # values in all containers together; a long run's batch history holds a few 100,000
SCALARS = (type(None), bool, int, float, str)


class UnreadableFile(UserFacingError):
    """A file that cannot be opened as plain PyTorch data; the message gives the one-line reason."""


@functools.cache
def max_unpacked_bytes() -> int:
    """The most a checkpoint of the largest model can hold: its weights 8 times over, plus 64 MiB.

    Adam's two moments, a copy for the schedule and a long history fit well within it; a file
    that unpacks to more is refused before torch allocates anything.
    """
    largest = max(
        sum(t.numel() * t.element_size() for t in spec.build().state_dict().values()) for spec in MODELS.values()
    )
    return largest * 8 + 64 * 2**20


def load_plain(source: Path, name: str) -> Any:
    """What `source` holds, loaded with weights_only after its size and kind are checked."""
    with _open(source, name) as stream:
        _check_archive(stream, name)
        stream.seek(0)
        content = _load(stream, name)
    check_plain(content, name)
    return content


def _open(source: Path, name: str) -> BinaryIO:
    """The file, when it is a non-empty regular file: a fifo or device is refused without waiting on it."""
    try:
        stream = open_regular(source, name, UnreadableFile)
    except FileNotFoundError:
        raise UnreadableFile(f"{name} does not exist.") from None
    if os.fstat(stream.fileno()).st_size == 0:
        stream.close()
        raise UnreadableFile(f"{name} is empty: it holds no model weights.")
    return stream


def _load(stream: BinaryIO, name: str) -> Any:
    try:
        with warnings.catch_warnings():  # torch warns in its own words about files it refuses
            warnings.simplefilter("ignore")
            # weights_only refuses any object but tensors and plain containers, so loading runs no code.
            return torch.load(stream, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if "GLOBAL" in str(exc) or "Unsupported class" in str(exc):  # a reference to code, refused
            raise UnreadableFile(
                f"{name} was refused: it holds Python objects that could run code when loaded, not only weights."
            ) from None
        raise UnreadableFile(f"{name} is not a PyTorch checkpoint, or it is truncated or damaged.") from None
    except PermissionError:
        raise UnreadableFile(f"{name} cannot be read: permission denied.") from None
    except MemoryError:
        raise UnreadableFile(f"{name} is too large to load.") from None
    except RecursionError:
        raise UnreadableFile(f"{name} is nested too deeply to be a checkpoint.") from None
    except Exception:  # noqa: BLE001 - whatever a damaged file makes torch raise, the user gets one line
        raise UnreadableFile(f"{name} is not a PyTorch checkpoint, or it is truncated or damaged.") from None


def _check_archive(source: BinaryIO, name: str) -> None:
    """Refuse a zip that unpacks to more than any checkpoint can hold, and TorchScript programs."""
    limit = max_unpacked_bytes()
    try:
        if not zipfile.is_zipfile(source):  # the legacy format: a plain stream, bounded by its size
            declared = os.fstat(source.fileno()).st_size
            records: list[str] = []
        else:
            with zipfile.ZipFile(source) as archive:
                infos = archive.infolist()
            declared = sum(info.file_size for info in infos)
            records = [info.filename.partition("/")[2] for info in infos]
    except Exception:  # noqa: BLE001 - a damaged archive is torch.load's to report
        return
    if declared > limit:
        raise UnreadableFile(
            f"{name} was refused: it unpacks to {declared / 2**20:,.0f} MiB, more than a checkpoint of these "
            f"models can hold ({limit / 2**20:,.0f} MiB)."
        )
    if "constants.pkl" in records:
        raise UnreadableFile(f"{name} is a TorchScript program, not a checkpoint; save the model's state_dict instead.")


def check_plain(content: Any, name: str) -> None:
    """Refuse structures a checkpoint never holds: other types, deep nesting, cycles, or too many values."""
    budget = [MAX_ITEMS]
    _walk(content, name, 0, set(), budget)


def _walk(value: Any, name: str, depth: int, path: set[int], budget: list[int]) -> None:
    if isinstance(value, SCALARS):
        return
    if isinstance(value, torch.Tensor):
        if value.layout is not torch.strided or value.is_quantized:
            raise UnreadableFile(f"{name} holds a {value.layout} tensor; a checkpoint holds only dense tensors.")
        if value.numel() * value.element_size() > value.untyped_storage().nbytes():
            # Zero or overlapping strides: a few stored bytes posing as a huge tensor, which any check would expand.
            raise UnreadableFile(f"{name} is damaged: a tensor claims more values than the file holds for it.")
        return
    if not isinstance(value, (dict, list, tuple)):
        raise UnreadableFile(f"{name} holds a {type(value).__name__}, which no checkpoint holds.")
    if id(value) in path:
        raise UnreadableFile(f"{name} is damaged: a part of it contains itself.")
    if depth >= MAX_DEPTH:
        raise UnreadableFile(f"{name} is nested too deeply to be a checkpoint.")
    items = [*value.keys(), *value.values()] if isinstance(value, dict) else list(value)
    budget[0] -= len(items)
    if budget[0] < 0:
        raise UnreadableFile(f"{name} holds too many values to be a checkpoint.")
    if all(type(item) in SCALARS for item in items):
        return  # the common case, a list of numbers, without a call per value
    path.add(id(value))
    for item in items:
        _walk(item, name, depth + 1, path, budget)
    path.discard(id(value))

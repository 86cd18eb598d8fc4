"""Reading a dynamics.npz without trusting it: each member's declared type and shape, and the size it unpacks to,
are checked against what a run of its epochs and data set sizes writes before any array is read.

The epochs and the two label arrays declare how many epochs (E), training (N) and test images (M) the
file is of, each at most what a real run has; every other member must then be of exactly its shape.
"""

from __future__ import annotations

import math
import zipfile
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy

from fmnist_gui.config import MAX_EPOCHS
from fmnist_gui.data import FULL_COUNTS

HEADER_BYTES = 4096  # of an .npy header; numpy writes 128
INTEGER = "integer"  # any whole-number type: schema and epochs are int64 on Linux, int32 on Windows
SIZES = ("epochs", "train_labels", "test_labels")  # the members that declare E, N and M
MEMBERS = {  # name: (type, shape in terms of E, N, M), for the members the reader uses
    "schema": (INTEGER, ()),
    "epochs": (INTEGER, ("E",)),
    "train_labels": (np.dtype(np.uint8), ("N",)),
    "test_labels": (np.dtype(np.uint8), ("M",)),
    "train_probability": (np.dtype(np.float16), ("E", "N")),
    "train_predicted": (np.dtype(np.uint8), ("E", "N")),
    "test_probability": (np.dtype(np.float16), ("E", "M")),
    "test_predicted": (np.dtype(np.uint8), ("E", "M")),
    "unfinished_epoch": (INTEGER, ()),
    "unfinished_probability": (np.dtype(np.float16), ("N",)),
    "unfinished_predicted": (np.dtype(np.uint8), ("N",)),
}
OPTIONAL = ("unfinished_epoch", "unfinished_probability", "unfinished_predicted")  # only after a stop mid-epoch


def largest_file_bytes() -> int:
    """The most a dynamics.npz of a real run can take: MAX_EPOCHS epochs of Fashion-MNIST, and its zip's own records."""
    per_image = 2 + 1 + 1 / 8  # probability, predicted class, correctness bit
    arrays = MAX_EPOCHS * (FULL_COUNTS["train"] + FULL_COUNTS["test"]) * per_image + 3 * FULL_COUNTS["train"]
    return math.ceil(arrays) + 2**20


def read_arrays(stream: BinaryIO, run_epochs: int | None) -> dict[str, np.ndarray]:
    """The members the reader uses, each checked before it is read; ValueError says what is wrong.

    `run_epochs` is how many epochs the file's run asked for, when known: the file may hold no more.
    """
    if not zipfile.is_zipfile(stream):
        raise ValueError("it is not a NumPy archive")
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        raise ValueError("it is not a NumPy archive") from None
    with archive:
        infos = {info.filename.removesuffix(".npy"): info for info in archive.infolist() if info.filename.endswith(".npy")}
        missing = [name for name in MEMBERS if name not in infos and name not in OPTIONAL]
        if missing:
            raise ValueError(f"it lacks {missing[0]}")
        present = [name for name in MEMBERS if name in infos]
        headers = {name: _header(archive, infos[name]) for name in present}
        sizes = _sizes(headers, run_epochs)
        for name in present:
            _check(name, infos[name], *headers[name], sizes)
        return {name: _array(archive, infos[name]) for name in present}


def _header(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> tuple[tuple[int, ...], np.dtype, int]:
    """A member's declared shape and type and the length of its header, read without its data."""
    with archive.open(info) as member:
        try:
            version = npy.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = npy.read_array_header_1_0(member, max_header_size=HEADER_BYTES)
            else:
                shape, _, dtype = npy.read_array_header_2_0(member, max_header_size=HEADER_BYTES)
        except (ValueError, SyntaxError, EOFError):
            raise ValueError(f"{info.filename} is not an array") from None
        return shape, dtype, member.tell()


def _sizes(headers: dict[str, tuple[tuple[int, ...], np.dtype, int]], run_epochs: int | None) -> dict[str, int]:
    """E, N and M as the file declares them, each at most what a real run has."""
    most = {"E": run_epochs or MAX_EPOCHS, "N": FULL_COUNTS["train"], "M": FULL_COUNTS["test"]}
    sizes = {}
    for name, letter in zip(SIZES, "ENM"):
        shape = headers[name][0]
        if len(shape) != 1:
            raise ValueError(f"{name} is {shape}, not a list")
        count = shape[0]
        if letter == "E" and count > most["E"]:
            raise ValueError(f"it holds {count:,} epochs; its run asked for {run_epochs}" if run_epochs else
                             f"it holds {count:,} epochs, more than a run can have ({MAX_EPOCHS:,})")
        if not 0 <= count <= most[letter]:
            raise ValueError(f"{name} holds {count:,} labels; Fashion-MNIST has {most[letter]:,}")
        sizes[letter] = count
    return sizes


def _check(name: str, info: zipfile.ZipInfo, shape: tuple[int, ...], dtype: np.dtype, header: int,
           sizes: dict[str, int]) -> None:
    """A member's type and shape as the sizes say, and its unpacked size that of its header and array."""
    want_type, want_shape = MEMBERS[name]
    if dtype.hasobject or (dtype != want_type if want_type != INTEGER else dtype.kind not in "iu" or dtype.itemsize > 8):
        raise ValueError(f"{name} holds {dtype} values, not {want_type}")
    expected = tuple(sizes[letter] for letter in want_shape)
    if shape != expected:
        raise ValueError(f"{name} has the wrong shape: {shape}, not {expected}")
    length = header + math.prod(shape) * dtype.itemsize
    if info.file_size != length:
        raise ValueError(f"{info.filename} unpacks to {info.file_size:,} bytes, not the {length:,} its array takes")


def _array(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    with archive.open(info) as member:
        return npy.read_array(member, allow_pickle=False, max_header_size=HEADER_BYTES)

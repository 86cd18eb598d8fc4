"""Reading the append-only files of a run folder: whole, or only what was appended since the last read."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
from fmnist_gui.errors import UserFacingError
from fmnist_gui.regular_file import open_regular
from fmnist_gui.runs.bounds import MAX_NESTING, FileBound
from fmnist_gui.runs.layout import BATCH_COLUMNS, CONFUSION_JSONL, METRICS_COLUMNS, METRICS_HEADER
from fmnist_gui.safe_text import printable


class RunDamaged(UserFacingError):
    """A run file that cannot be read; the message names the file, the line and the reason."""


def open_run_file(path: Path, most_bytes: int) -> BinaryIO:
    """A run file open for reading: RunDamaged (its message made printable) for anything but a regular file of at
    most `most_bytes`."""
    return open_regular(path, path.name, RunDamaged, most_bytes)


@dataclass
class LineTail:
    """The complete lines appended to a file since the last read; a torn last line waits for its end.

    Lines are read one at a time, each only up to the longest a run writes, and no more of them than
    `bound` allows: a file beyond it raises RunDamaged before it costs memory. `restarted` tells that the
    file was replaced or shortened since (a resumed run rewrites it): the lines then start from the top again.
    """

    path: Path
    bound: FileBound
    offset: int = 0
    lines_read: int = 0
    identity: tuple[int, int] | None = None
    restarted: bool = field(default=False, init=False)

    def read(self, most: int | None = None) -> list[str]:
        """The complete lines appended since the last read (only the first `most` of them, when given)."""
        self.restarted = False
        try:
            stream = open_run_file(self.path, self.bound.bytes)
        except FileNotFoundError:
            if self.identity is not None:
                self.offset, self.lines_read, self.identity, self.restarted = 0, 0, None, True
            return []
        with stream:
            info = os.fstat(stream.fileno())
            identity = (info.st_dev, info.st_ino)
            if self.identity is not None and (identity != self.identity or info.st_size < self.offset):
                self.offset, self.lines_read, self.restarted = 0, 0, True
            self.identity = identity
            try:
                stream.seek(self.offset)
                lines = self._lines(stream, most)
            except OSError as exc:  # a failing disk, a file on a network share gone
                raise RunDamaged(f"{self.path.name} cannot be read: {exc.strerror or exc}.") from None
        self.offset += sum(len(line) for line in lines)
        self.lines_read += len(lines)
        return [line.decode("utf-8", errors="replace").rstrip("\r\n") for line in lines]

    def _lines(self, stream: BinaryIO, most: int | None) -> list[bytes]:
        lines: list[bytes] = []
        name = self.path.name
        while most is None or len(lines) < most:
            line = stream.readline(self.bound.line_bytes + 1)
            if len(line) > self.bound.line_bytes:
                raise RunDamaged(f"{name} line {self.lines_read + len(lines) + 1} is longer than any line a run writes.")
            if not line.endswith(b"\n"):
                return lines  # the end, or a torn last line whose end is still being written
            if self.lines_read + len(lines) >= self.bound.lines:
                raise RunDamaged(f"{name} holds more lines than any run writes ({self.bound.lines:,} at most).")
            lines.append(line)
        return lines


def json_line(line: str, where: str) -> Any:
    """A line of a .jsonl file parsed; RunDamaged (naming `where`) when it is not JSON or nests too deep."""
    check_nesting(line, where)
    try:
        return json.loads(line)
    except ValueError:
        raise RunDamaged(f"{where}: it is not JSON.") from None


def check_nesting(text: str | bytes, where: str) -> None:
    """Refuse JSON that nests deeper than run files do, before a parser recurses into it (and raises RecursionError)."""
    if nesting(text) > MAX_NESTING:
        raise RunDamaged(f"{where} is nested deeper than a run writes.")


def nesting(text: str | bytes) -> int:
    """How deep the brackets of JSON text nest, brackets inside strings aside; counted without recursion."""
    data = text.encode("utf-8", errors="replace") if isinstance(text, str) else text
    brackets = _STRINGS.sub(b"", data).translate(None, _NOT_BRACKETS)
    return max(accumulate(1 if code in b"[{" else -1 for code in brackets), default=0)


_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def parse_metrics(lines: list[str], first_number: int, confusion: dict[int, Any], name: str) -> list[EpochSummary]:
    """Rows of metrics.csv (line 1 is the header); `confusion` maps epochs to stored matrices."""
    summaries = []
    for number, line in enumerate(lines, start=first_number):
        if number == 1:
            if _cells(line) != list(METRICS_HEADER):
                raise RunDamaged(f"{name}: its header is not {','.join(METRICS_COLUMNS)},<class names>.")
            continue
        summaries.append(_summary(_cells(line), confusion, f"{name} line {number}"))
    return summaries


def _summary(cells: list[str], confusion: dict[int, Any], where: str) -> EpochSummary:
    if len(cells) != len(METRICS_HEADER):
        raise RunDamaged(f"{where} has {len(cells)} cells, not {len(METRICS_HEADER)}.")
    try:
        values = [_number(cell) for cell in cells]
        entry: dict[str, Any] = dict(zip(METRICS_COLUMNS, values))
        entry["per_class_accuracy"] = values[len(METRICS_COLUMNS) :]
        entry["confusion"] = confusion.get(entry["epoch"])
        return EpochSummary.from_dict(entry)
    except ValueError as exc:
        raise RunDamaged(f"{where}: {exc}.") from None


def _number(cell: str) -> int | float | None:
    """An empty cell is None (a class without test images); whole numbers stay ints."""
    if not cell:
        return None
    try:
        return int(cell)
    except ValueError:
        return float(cell)


def _cells(line: str) -> list[str]:
    """A line's comma-separated cells; class names are plain words, so no quoting is needed."""
    return [cell.strip() for cell in line.split(",")]


def parse_confusion(lines: list[str], first_number: int, into: dict[int, Any]) -> None:
    """confusion.jsonl lines into `into` ({epoch: matrix}); the matrices are checked with the metrics row of their epoch."""
    for number, line in enumerate(lines, start=first_number):
        entry = json_line(line, f"{CONFUSION_JSONL} line {number}")
        if not isinstance(entry, dict) or isinstance(entry.get("epoch"), bool) or not isinstance(entry.get("epoch"), int):
            raise RunDamaged(f"{CONFUSION_JSONL} line {number}: it is not an epoch's confusion matrix.")
        into[entry["epoch"]] = entry.get("confusion")


def parse_changes(lines: list[str], first_number: int, name: str) -> list[HyperparameterChange]:
    """Lines of changes.jsonl, each a change made while the run was paused."""
    changes = []
    for number, line in enumerate(lines, start=first_number):
        try:
            changes.append(HyperparameterChange.from_dict(json_line(line, f"{name} line {number}")))
        except ValueError as exc:
            raise RunDamaged(f"{name} line {number}: {printable(exc)}.") from None
    return changes


def parse_batches(lines: list[str], first_number: int, name: str) -> np.ndarray:
    """Rows of batches.csv (line 1 is the header) as an (N, 4) float array."""
    if first_number == 1 and lines:
        if _cells(lines[0]) != list(BATCH_COLUMNS):
            raise RunDamaged(f"{name}: its header is not {','.join(BATCH_COLUMNS)}.")
        lines, first_number = lines[1:], 2
    rows = np.empty((len(lines), len(BATCH_COLUMNS)))
    for index, line in enumerate(lines):
        cells = _cells(line)
        try:
            if len(cells) != len(BATCH_COLUMNS):
                raise ValueError(f"it has {len(cells)} cells, not {len(BATCH_COLUMNS)}")
            rows[index] = [float(cell) for cell in cells]
        except ValueError as exc:
            raise RunDamaged(f"{name} line {first_number + index}: {printable(exc)}.") from None
    if not np.isfinite(rows[:, [0, 1, 3]]).all():
        raise RunDamaged(f"{name} holds a step, epoch or rate that is not a number.")
    return rows


def batch_arrays(rows: np.ndarray) -> dict[str, np.ndarray]:
    """{"step", "epoch", "loss", "lr"} from parsed rows: whole numbers as int64."""
    return {
        name: rows[:, i].astype(np.int64) if name in ("step", "epoch") else rows[:, i].copy()
        for i, name in enumerate(BATCH_COLUMNS)
    }


def empty_batches() -> dict[str, np.ndarray]:
    return batch_arrays(np.empty((0, len(BATCH_COLUMNS))))

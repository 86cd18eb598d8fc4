"""Reading the append-only files of a run folder: whole, or only what was appended since the last read."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs.layout import BATCH_COLUMNS, METRICS_COLUMNS, METRICS_HEADER
from fmnist_gui.safe_text import printable

MAX_LINE = 64 * 1024  # characters; no line we write comes near it


class RunDamaged(UserFacingError):
    """A run file that cannot be read; the message names the file, the line and the reason."""


@dataclass
class LineTail:
    """The complete lines appended to a file since the last read; a torn last line waits for its end.

    `restarted` tells that the file was replaced or shortened since (a resumed run rewrites it):
    the lines then start from the top again.
    """

    path: Path
    offset: int = 0
    lines_read: int = 0
    identity: tuple[int, int] | None = None
    restarted: bool = field(default=False, init=False)

    def read(self) -> list[str]:
        self.restarted = False
        try:
            with open(self.path, "rb") as stream:
                info = os.fstat(stream.fileno())
                identity = (info.st_dev, info.st_ino)
                if self.identity is not None and (identity != self.identity or info.st_size < self.offset):
                    self.offset, self.lines_read, self.restarted = 0, 0, True
                self.identity = identity
                stream.seek(self.offset)
                chunk = stream.read(max(0, info.st_size - self.offset))
        except FileNotFoundError:
            if self.identity is not None:
                self.offset, self.lines_read, self.identity, self.restarted = 0, 0, None, True
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self.offset += len(complete)
        lines = complete.decode("utf-8", errors="replace").splitlines()
        self.lines_read += len(lines)
        return lines


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
    if len(line) > MAX_LINE:
        return []
    return [cell.strip() for cell in line.split(",")]


def parse_confusion(lines: list[str], into: dict[int, Any]) -> None:
    """confusion.jsonl lines into `into` ({epoch: matrix}); a line that cannot be read is skipped:
    the matrices only complete what metrics.csv holds."""
    for line in lines:
        try:
            entry = json.loads(line) if len(line) <= MAX_LINE else None
        except ValueError:
            continue
        if isinstance(entry, dict) and isinstance(entry.get("epoch"), int):
            into[entry["epoch"]] = entry.get("confusion")


def parse_changes(lines: list[str], first_number: int, name: str) -> list[HyperparameterChange]:
    """Lines of changes.jsonl, each a change made while the run was paused."""
    changes = []
    for number, line in enumerate(lines, start=first_number):
        try:
            if len(line) > MAX_LINE:
                raise ValueError("it is too long")
            changes.append(HyperparameterChange.from_dict(json.loads(line)))
        except (ValueError, RecursionError) as exc:
            reason = "it is not JSON" if isinstance(exc, (json.JSONDecodeError, RecursionError)) else printable(exc)
            raise RunDamaged(f"{name} line {number}: {reason}.") from None
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

"""Following a run folder that another process writes: only what was appended since the last poll."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
from fmnist_gui.runs.bounds import RunBounds
from fmnist_gui.runs.layout import BATCHES_CSV, CHANGES_JSONL, CONFUSION_JSONL, METRICS_CSV, RUN_JSON
from fmnist_gui.runs.reader import RunInfo, load_run_json, run_info
from fmnist_gui.runs.tables import (
    LineTail,
    RunDamaged,
    batch_arrays,
    empty_batches,
    parse_batches,
    parse_changes,
    parse_confusion,
    parse_metrics,
)


@dataclass(frozen=True)
class FollowUpdate:
    """What a poll found: the run's state and the epochs and batch reports new since the last poll."""

    info: RunInfo | None  # None while the folder or its run.json does not exist (yet)
    epochs: list[EpochSummary]
    batches: dict[str, np.ndarray]  # "step", "epoch", "loss", "lr"
    vanished: bool  # the folder was there and is gone
    restarted: bool = False  # the files were rewritten (a resumed run): these rows replace all before
    changes: list[HyperparameterChange] = field(default_factory=list)  # values changed while paused, new since the last poll


class RunFollower:
    """Reads a run folder incrementally as another process writes it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._present = False
        self._restart_next = False
        self._start()

    def poll(self) -> FollowUpdate:
        """New rows since the last poll; never raises (a damaged file shows in info.status)."""
        try:
            return self._poll()
        except Exception as exc:  # noqa: BLE001 - a follower must outlive whatever the other process leaves
            return FollowUpdate(self._info(self._meta(), f"it cannot be followed: {type(exc).__name__}"), [], empty_batches(), False)

    def _start(self) -> None:
        self._tails = {name: LineTail(self.folder / name, RunBounds().table(name))
                       for name in (METRICS_CSV, CONFUSION_JSONL, BATCHES_CSV, CHANGES_JSONL)}
        self._confusion: dict[int, Any] = {}
        self._epochs: list[EpochSummary] = []
        self._damage: str | None = None

    def _poll(self) -> FollowUpdate:
        if not self.folder.is_dir():
            vanished, self._present = self._present, False
            if vanished:
                self._start()
                self._restart_next = True
            return FollowUpdate(None, [], empty_batches(), vanished)
        self._present = True
        meta = self._meta()  # first: a run.json that says the run ended comes after its last rows
        try:
            lines = self._read(meta)
            restarted = self._restart_next or any(tail.restarted for tail in self._tails.values())
            if restarted:
                self._start()
                lines = self._read(meta)
                self._restart_next = False
        except RunDamaged as exc:
            self._damage, restarted = str(exc), False
        epochs, batches, changes = [], empty_batches(), []
        if self._damage is None:
            try:
                parse_confusion(lines[CONFUSION_JSONL], self._first_line(CONFUSION_JSONL, lines), self._confusion)
                epochs = parse_metrics(lines[METRICS_CSV], self._first_line(METRICS_CSV, lines), self._confusion, METRICS_CSV)
                batches = batch_arrays(parse_batches(lines[BATCHES_CSV], self._first_line(BATCHES_CSV, lines), BATCHES_CSV))
                changes = parse_changes(lines[CHANGES_JSONL], self._first_line(CHANGES_JSONL, lines), CHANGES_JSONL)
            except RunDamaged as exc:
                self._damage, epochs = str(exc), []
        self._epochs += epochs
        return FollowUpdate(self._info(meta, self._damage), epochs, batches, False, restarted, changes)

    def _read(self, meta: dict[str, Any] | RunDamaged | None) -> dict[str, list[str]]:
        self._tails[BATCHES_CSV].bound = RunBounds.of(meta if isinstance(meta, dict) else {}).table(BATCHES_CSV)
        # metrics.csv before confusion.jsonl: the writer appends in the other order, so every row read has its matrix.
        return {name: tail.read() for name, tail in self._tails.items()}

    def _first_line(self, name: str, lines: dict[str, list[str]]) -> int:
        return self._tails[name].lines_read - len(lines[name]) + 1

    def _meta(self) -> dict[str, Any] | RunDamaged | None:
        """run.json's content; None while it is not written yet."""
        try:
            return load_run_json(self.folder)
        except RunDamaged as exc:
            return None if not (self.folder / RUN_JSON).exists() else exc

    def _info(self, meta: dict[str, Any] | RunDamaged | None, damage: str | None) -> RunInfo | None:
        if meta is None:
            return None
        if isinstance(meta, RunDamaged):
            return run_info(self.folder, {}, [], damage=str(meta))
        return run_info(self.folder, meta, [] if damage else self._epochs, damage)

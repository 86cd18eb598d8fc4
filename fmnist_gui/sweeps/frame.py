"""A sweep's trials as numpy columns: what every view of the Sweeps workspace draws from, built once per read.

Built off the GUI thread, right after `read_sweep`, so that a brush or a filter is a few numpy masks
and 10,000 trials never cost the window a loop in Python. Values are the trials' best test accuracy
in percent; a choice is stored as its index into the spec's choices.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

import numpy as np

from fmnist_gui.sweeps.reading import SweepSnapshot
from fmnist_gui.sweeps.space import ParamSpec

STATES = ("COMPLETE", "PRUNED", "RUNNING", "FAIL", "WAITING")  # Optuna's names, in the order the filter offers them


@dataclass(frozen=True)
class ParamColumn:
    """One varied hyperparameter's value in every trial (NaN where a trial has none yet)."""

    spec: ParamSpec
    values: np.ndarray  # float; a choice's index into spec.choices

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def log(self) -> bool:
        return self.spec.log and self.spec.kind != "choice"

    @functools.cached_property
    def choices(self) -> tuple[str, ...]:
        """The choices as the axes label them (none for a range); worked out once, the table asks for every cell."""
        return tuple(format_value(choice) for choice in self.spec.choices)

    def text(self, row: int) -> str:
        """The value of trial `row` as the table shows it."""
        value = self.values[row]
        if not math.isfinite(value):
            return ""
        if self.spec.kind == "choice":
            return self.choices[int(value)]
        return format_value(int(value) if self.spec.kind == "int" else float(value))


@dataclass(frozen=True)
class TrialsFrame:
    """Every trial of one snapshot, in number order; row i is snapshot.trials[i]."""

    numbers: np.ndarray  # (N,) int64
    states: np.ndarray  # (N,) str
    values: np.ndarray  # (N,) float, NaN without a value (running, failed)
    curves: np.ndarray  # (N, E) float: test accuracy after each epoch, NaN where not reached
    params: tuple[ParamColumn, ...]

    @classmethod
    def of(cls, snapshot: SweepSnapshot) -> TrialsFrame:
        trials = snapshot.trials
        epochs = max([snapshot.definition.epochs, *(max(t.intermediate, default=0) for t in trials)])
        curves = np.full((len(trials), epochs), np.nan)
        for row, trial in enumerate(trials):
            for epoch, accuracy in trial.intermediate.items():
                if 1 <= epoch <= epochs:
                    curves[row, epoch - 1] = accuracy
        return cls(numbers=np.array([t.number for t in trials], dtype=np.int64),
                   states=np.array([t.state for t in trials], dtype=str).reshape(len(trials)),
                   values=np.array([np.nan if t.value is None else t.value for t in trials], dtype=float),
                   curves=curves, params=tuple(_column(spec, snapshot) for spec in snapshot.definition.space))

    def __len__(self) -> int:
        return len(self.numbers)

    @property
    def epochs(self) -> int:
        return self.curves.shape[1]

    def rows_of(self, numbers: Collection[int] | np.ndarray) -> np.ndarray:
        """A mask of the rows of these trial numbers."""
        return np.isin(self.numbers, np.asarray(list(numbers) if not isinstance(numbers, np.ndarray) else numbers))

    def state_mask(self, states: Collection[str] | None) -> np.ndarray:
        """The trials in one of `states` (None: every trial)."""
        if states is None:
            return np.ones(len(self), dtype=bool)
        return np.isin(self.states, list(states))

    def top_mask(self, percent: float) -> np.ndarray:
        """The best `percent`% of the COMPLETE trials by value (at least one); every trial at 100.

        Pruned trials are left out below 100: their value is an unfinished run's, not comparable."""
        if percent >= 100:
            return np.ones(len(self), dtype=bool)
        complete = (self.states == "COMPLETE") & np.isfinite(self.values)
        count = int(complete.sum())
        if count == 0:
            return np.zeros(len(self), dtype=bool)
        keep = max(1, math.ceil(count * percent / 100))
        threshold = np.sort(self.values[complete])[::-1][keep - 1]
        return complete & (self.values >= threshold)

    def best_so_far(self) -> tuple[np.ndarray, np.ndarray]:
        """The best COMPLETE value after each trial number, from the first complete trial on: (numbers, best)."""
        complete = (self.states == "COMPLETE") & np.isfinite(self.values)
        if not complete.any():
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        values = np.where(complete, self.values, -np.inf)
        best = np.maximum.accumulate(values)
        start = int(np.argmax(complete))
        return self.numbers[start:], best[start:]

    def value_range(self) -> tuple[float, float] | None:
        """The span of the values the plots are scaled to: COMPLETE trials' (and running curves'), so that a
        pruned trial stopped at a low accuracy never squashes the others; None before any."""
        complete = self.states == "COMPLETE"
        values = self.values[complete & np.isfinite(self.values)]
        if not len(values):
            finite = self.values[np.isfinite(self.values)]
            return (float(finite.min()), float(finite.max())) if len(finite) else None
        return float(values.min()), float(values.max())

    def curve_range(self) -> tuple[float, float] | None:
        """The span of the curves of COMPLETE and RUNNING trials (the ones drawn in full), as value_range."""
        drawn = self.curves[np.isin(self.states, ["COMPLETE", "RUNNING"])]
        finite = drawn[np.isfinite(drawn)]
        if not len(finite):
            finite = self.curves[np.isfinite(self.curves)]
        return (float(finite.min()), float(finite.max())) if len(finite) else None


def format_value(value: Any) -> str:
    """A hyperparameter's value as the workspace writes it: 0.00123, 128, adamw, true."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _column(spec: ParamSpec, snapshot: SweepSnapshot) -> ParamColumn:
    if spec.kind == "choice":
        index = {_key(choice): position for position, choice in enumerate(spec.choices)}
        values = [index.get(_key(trial.params.get(spec.name)), np.nan) for trial in snapshot.trials]
    else:
        values = [_number(trial.params.get(spec.name)) for trial in snapshot.trials]
    return ParamColumn(spec, np.array(values, dtype=float).reshape(len(snapshot.trials)))


def _key(value: Any) -> tuple[str, Any]:
    """A choice as a dict key: True and 1 are equal in Python, not as choices."""
    return type(value).__name__, value


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else np.nan

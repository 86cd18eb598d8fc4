"""The sweep on screen: its latest snapshot and frame, and which of its trials the filters and brushes keep.

Three filters compose: the trials' states and the top k% by value choose what the parallel coordinates
draw (`listed`); their brushes narrow that to what the table, the curves and the per-parameter plots
show (`shown`). Masks over the frame's rows, so that filtering 10,000 trials is a few numpy operations.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.sweeps import SweepSnapshot
from fmnist_gui.sweeps.frame import TrialsFrame
from fmnist_gui.sweeps.importance import Importances


class SweepState(QObject):
    changed = Signal()  # a new snapshot (its frame too)
    listed_changed = Signal()  # a new snapshot or filter: the parallel coordinates are drawn anew, and brush again
    filtered = Signal()  # the brushes kept other trials: what the table and the plots show changed
    selected_changed = Signal()  # the trials picked in the table
    importances_changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.snapshot: SweepSnapshot | None = None
        self.frame: TrialsFrame | None = None
        self.importances: Importances | None = None
        self.states: frozenset[str] | None = None  # None: every state
        self.top_percent = 100.0
        self.brushed: np.ndarray | None = None  # trial numbers the brushes keep; None: no brush
        self.selected: tuple[int, ...] = ()
        self._listed = np.zeros(0, dtype=bool)
        self._shown = np.zeros(0, dtype=bool)

    # What the controller tells it
    def set_snapshot(self, snapshot: SweepSnapshot | None, frame: TrialsFrame | None) -> None:
        self.snapshot, self.frame = snapshot, frame
        if snapshot is None:
            self.importances, self.brushed, self.selected = None, None, ()
        self._refilter()
        self.changed.emit()
        self.listed_changed.emit()

    def set_states(self, states: Collection[str] | None) -> None:
        self.states = None if states is None else frozenset(states)
        self._refilter()
        self.listed_changed.emit()

    def set_top(self, percent: float) -> None:
        self.top_percent = float(percent)
        self._refilter()
        self.listed_changed.emit()

    def set_brushed(self, numbers: np.ndarray | None) -> None:
        """The trials every brush keeps (None: no brush). Told after each listed_changed, once the parallel
        coordinates have drawn the listed trials, so the views redraw once per change."""
        self.brushed = numbers
        self._refilter()
        self.filtered.emit()

    def set_selected(self, numbers: Collection[int]) -> None:
        self.selected = tuple(numbers)
        self.selected_changed.emit()

    def set_importances(self, importances: Importances | None) -> None:
        self.importances = importances
        self.importances_changed.emit()

    # What the views read
    @property
    def listed(self) -> np.ndarray:
        """Rows the state and top-k% filters keep: what the parallel coordinates draw."""
        return self._listed

    @property
    def shown(self) -> np.ndarray:
        """Rows listed and kept by every brush: what the table and the plots show."""
        return self._shown

    @property
    def counted(self) -> int:
        """COMPLETE and PRUNED trials: the budget's count."""
        return 0 if self.snapshot is None else self.snapshot.tally.counted

    def _refilter(self) -> None:
        frame = self.frame
        if frame is None:
            self._listed = self._shown = np.zeros(0, dtype=bool)
            return
        self._listed = frame.state_mask(self.states) & frame.top_mask(self.top_percent)
        brushed = np.ones(len(frame), dtype=bool) if self.brushed is None else frame.rows_of(self.brushed)
        self._shown = self._listed & brushed

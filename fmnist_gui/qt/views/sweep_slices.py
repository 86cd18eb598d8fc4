"""A slice plot per varied hyperparameter: every trial's value against that parameter, side by side."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.trial_points import TrialPoints, positions
from fmnist_gui.sweeps.frame import TrialsFrame

COLUMNS = 3  # plots in a row; a sweep of four parameters takes two rows


class SliceGrid(RedrawWhenShown, QWidget):
    """Redrawn only while its tab is shown."""

    trial_clicked = Signal(int)  # a trial's number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.grid = QGridLayout(self)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.plots: dict[str, TrialPoints] = {}
        self.empty = QLabel("No trials yet")
        self.grid.addWidget(self.empty, 0, 0)
        self._frame: TrialsFrame | None = None
        self._mask = np.zeros(0, dtype=bool)

    def set_trials(self, frame: TrialsFrame | None, shown: np.ndarray) -> None:
        """The trials `shown` masks, one plot per parameter (made once per sweep, then only refilled)."""
        self._frame, self._mask = frame, shown
        self.refresh()

    def _redraw(self) -> None:
        frame, shown = self._frame, self._mask
        names = [column.name for column in frame.params] if frame is not None else []
        if names != list(self.plots):
            self._make_plots(names)
        if frame is None:
            return
        rows = np.flatnonzero(shown)
        for column in frame.params:
            self.plots[column.name].show_points(frame, rows, positions(column, rows), frame.values[rows],
                                                frame.value_range(), x_column=column, x_all=positions(column))

    def _make_plots(self, names: list[str]) -> None:
        for plot in self.plots.values():
            self.grid.removeWidget(plot)
            plot.deleteLater()
        self.plots = {}
        self.empty.setVisible(not names)
        for index, name in enumerate(names):
            plot = TrialPoints(name, name)
            plot.trial_clicked.connect(self.trial_clicked)
            self.grid.addWidget(plot, index // COLUMNS, index % COLUMNS)
            self.plots[name] = plot

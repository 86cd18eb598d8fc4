"""Any hyperparameter against the value (or against another hyperparameter, coloured by value)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.trial_points import TrialPoints, positions
from fmnist_gui.sweeps.frame import TrialsFrame

VALUE = "value"


class ParamScatter(RedrawWhenShown, QWidget):
    """Redrawn only while its tab is shown."""

    trial_clicked = Signal(int)  # a trial's number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.x_choice, self.y_choice = QComboBox(), QComboBox()
        self.x_choice.setToolTip("The hyperparameter along the bottom")
        self.y_choice.setToolTip("The value, or a second hyperparameter (the points keep the value's colour)")
        self.plot = TrialPoints()
        self.plot.trial_clicked.connect(self.trial_clicked)
        choices = QHBoxLayout()
        for label, combo in (("Across", self.x_choice), ("Up", self.y_choice)):
            choices.addWidget(QLabel(label))
            choices.addWidget(combo)
        choices.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(choices)
        layout.addWidget(self.plot, 1)
        self._frame: TrialsFrame | None = None
        self._mask = np.zeros(0, dtype=bool)
        self.x_choice.currentIndexChanged.connect(self.refresh)
        self.y_choice.currentIndexChanged.connect(self.refresh)

    def set_trials(self, frame: TrialsFrame | None, shown: np.ndarray) -> None:
        self._frame, self._mask = frame, shown
        names = [column.name for column in frame.params] if frame is not None else []
        if names != [self.x_choice.itemText(i) for i in range(self.x_choice.count())]:
            for combo, items in ((self.x_choice, names), (self.y_choice, [VALUE, *names])):
                combo.blockSignals(True)
                combo.clear()
                combo.addItems(items)
                combo.blockSignals(False)
        self.refresh()

    def choose(self, x: str, y: str = VALUE) -> None:
        self.y_choice.setCurrentText(y)
        self.x_choice.setCurrentText(x)

    def _redraw(self) -> None:
        frame = self._frame
        if frame is None or not frame.params:
            self.plot.clear_points()
            return
        columns = {column.name: column for column in frame.params}
        x_column = columns.get(self.x_choice.currentText(), frame.params[0])
        y_column = columns.get(self.y_choice.currentText())
        rows = np.flatnonzero(self._mask)
        y = frame.values[rows] if y_column is None else positions(y_column, rows)
        self.plot.getPlotItem().setLabel("bottom", x_column.name)
        self.plot.getPlotItem().setLabel("left", "value (%)" if y_column is None else y_column.name)
        self.plot.show_points(frame, rows, positions(x_column, rows), y, frame.value_range(), x_column=x_column,
                              y_column=y_column, x_all=positions(x_column),
                              y_all=None if y_column is None else positions(y_column))

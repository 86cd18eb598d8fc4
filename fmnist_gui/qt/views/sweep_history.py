"""Each trial's value by trial number, with the best value so far as a rising step line."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.trial_points import TrialPoints
from fmnist_gui.sweeps.frame import TrialsFrame

BEST_COLOUR = (198, 40, 40)


class ValueHistory(RedrawWhenShown, QWidget):
    """Redrawn only while its tab is shown."""

    trial_clicked = Signal(int)  # a trial's number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = TrialPoints("Each trial's value, and the best so far", "trial")
        self.best = pg.PlotDataItem(pen=pg.mkPen(BEST_COLOUR, width=2), name="best so far")
        self.plot.add_item(self.best)
        self.plot.trial_clicked.connect(self.trial_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self._frame: TrialsFrame | None = None

    def set_frame(self, frame: TrialsFrame | None) -> None:
        self._frame = frame
        self.refresh()

    def _redraw(self) -> None:
        frame = self._frame
        if frame is None or not len(frame):
            self.plot.clear_points()
            self.best.setData([], [])
            return
        rows = np.arange(len(frame))
        self.plot.show_points(frame, rows, frame.numbers.astype(float), frame.values, frame.value_range())
        numbers, best = frame.best_so_far()
        # steps: the best holds until the trial that beats it
        x = np.repeat(numbers.astype(float), 2)[1:]
        y = np.repeat(best, 2)[:-1]
        self.best.setData(x, y)

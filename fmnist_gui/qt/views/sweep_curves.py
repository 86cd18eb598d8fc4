"""Every trial's learning curve: test accuracy after each epoch, as reported to the pruner.

Complete trials are coloured by value (the parallel coordinates' colours), running ones blue, pruned
and failed ones faint grey, under the others; the axis is scaled to the complete and running curves,
so a pruned trial's low start never squashes them. The curves of one colour are one item (NaN between
trials), so 500 trials are a dozen items, not 500. Hovering names the nearest trial and its
hyperparameters; a click picks it in the table; trials selected there are drawn thick and dark.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.parallel_coordinates import viridis
from fmnist_gui.qt.views.trial_points import FAINT, RUNNING, describe
from fmnist_gui.sweeps.frame import TrialsFrame

BINS = 8  # colours of the complete curves
PICK_PX = 12  # a hover or click this close to a point names its trial
HIGHLIGHT = (20, 20, 20)


def _polyline(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of several curves in one array each, a NaN between two curves (pyqtgraph's connect="finite");
    a trial with no epoch reported yet is left out (all NaN, its symbols would make pyqtgraph warn)."""
    curves = curves[np.isfinite(curves).any(axis=1)]
    count, epochs = curves.shape
    x = np.tile(np.append(np.arange(1, epochs + 1, dtype=float), np.nan), count)
    y = np.concatenate([curves, np.full((count, 1), np.nan)], axis=1).ravel()
    return x, y


class TrialCurves(RedrawWhenShown, QWidget):
    """Redrawn only while its tab is shown (RedrawWhenShown): a brush costs a hidden tab nothing."""

    trial_clicked = Signal(int)  # a trial's number

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(background="w", foreground="k")  # as the main window's plots
        self.view = pg.PlotWidget(title="Test accuracy after each epoch (pruned and failed trials faint)")
        self.view.setMinimumSize(240, 160)
        plot = self.plot = self.view.getPlotItem()
        for name in ("left", "bottom"):
            axis = plot.getAxis(name)
            axis.setGrid(40)
            axis.setStyle(maxTickLevel=0)
            axis.enableAutoSIPrefix(False)
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", "test accuracy (%)")
        plot.hideButtons()
        self.faint = plot.plot(pen=pg.mkPen(FAINT, width=1), connect="finite")
        self.bins = [plot.plot(pen=pg.mkPen(colour, width=1.5), connect="finite")
                     for colour in viridis((np.arange(BINS) + 0.5) / BINS)]
        self.running = plot.plot(pen=pg.mkPen(RUNNING, width=2), connect="finite")
        self.highlight = plot.plot(pen=pg.mkPen(HIGHLIGHT, width=3), connect="finite", symbol="o", symbolSize=6,
                                   symbolBrush=HIGHLIGHT, symbolPen=None)
        self.hover = QLabel()
        self.hover.setStyleSheet("color: palette(placeholder-text);")
        self.hover.setText("Hover over a curve to see its trial's values; click it to pick the trial.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.hover)
        self._frame: TrialsFrame | None = None
        self._mask = np.zeros(0, dtype=bool)  # the frame rows to draw
        self._selected: tuple[int, ...] = ()
        self._rows = np.zeros(0, dtype=np.int64)  # the frame rows drawn
        self._hovered: int | None = None
        self.view.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view.scene().sigMouseClicked.connect(self._on_mouse_clicked)

    def set_trials(self, frame: TrialsFrame | None, shown: np.ndarray, selected: tuple[int, ...] = ()) -> None:
        self._frame, self._mask, self._selected = frame, shown, selected
        self.refresh()

    def _redraw(self) -> None:
        frame, shown = self._frame, self._mask
        if frame is None or not len(frame):
            self._rows = np.zeros(0, dtype=np.int64)
            for item in (self.faint, self.running, self.highlight, *self.bins):
                item.setData([], [])
            return
        self._rows = np.flatnonzero(shown)
        states = frame.states
        complete = shown & (states == "COMPLETE")
        symbols = {"symbol": "o", "symbolSize": 5, "symbolPen": None} if frame.epochs == 1 else {"symbol": None}
        self.faint.setData(*_polyline(frame.curves[shown & np.isin(states, ["PRUNED", "FAIL"])]), **symbols,
                           symbolBrush=FAINT)
        self.running.setData(*_polyline(frame.curves[shown & (states == "RUNNING")]), **symbols, symbolBrush=RUNNING)
        finite = frame.values[complete & np.isfinite(frame.values)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        fraction = np.nan_to_num((frame.values - low) / (high - low if high > low else 1.0), nan=0.0)
        bins = np.clip((fraction * BINS).astype(int), 0, BINS - 1)
        colours = viridis((np.arange(BINS) + 0.5) / BINS)
        for index, item in enumerate(self.bins):
            item.setData(*_polyline(frame.curves[complete & (bins == index)]), **symbols, symbolBrush=colours[index])
        self._draw_selected()
        span = frame.curve_range()
        if span is not None:
            pad = max(0.5, 0.05 * (span[1] - span[0]))
            self.plot.setYRange(span[0] - pad, span[1] + pad, padding=0)
        self.plot.setXRange(0.8, frame.epochs + 0.2, padding=0)
        step = max(1, frame.epochs // 10)
        self.plot.getAxis("bottom").setTickSpacing(step, step)  # whole epochs only

    def set_selected(self, numbers: tuple[int, ...]) -> None:
        """Draw these trials' curves thick and dark, over the others."""
        self._selected = numbers
        if self._shown:
            self._draw_selected()
        else:
            self._stale = True

    def _draw_selected(self) -> None:
        frame, numbers = self._frame, self._selected
        if frame is None or not numbers:
            self.highlight.setData([], [])
            return
        self.highlight.setData(*_polyline(frame.curves[frame.rows_of(numbers)]))

    def drawn_numbers(self) -> list[int]:
        """The trials whose curves are drawn (shown, with at least one epoch reported)."""
        frame = self._frame
        if frame is None:
            return []
        rows = self._rows[np.isfinite(frame.curves[self._rows]).any(axis=1)]
        return [int(number) for number in frame.numbers[rows]]

    def nearest(self, scene_position: QPointF) -> int | None:
        """The frame row of the drawn point nearest to a scene position, within PICK_PX pixels."""
        frame = self._frame
        if frame is None or not len(self._rows) or not self.plot.sceneBoundingRect().contains(scene_position):
            return None
        box = self.plot.getViewBox()
        point = box.mapSceneToView(scene_position)
        width, height = box.viewPixelSize()  # one pixel in data units
        curves = frame.curves[self._rows]
        epochs = np.arange(1, frame.epochs + 1)
        distance = ((epochs[None, :] - point.x()) / width) ** 2 + ((curves - point.y()) / height) ** 2
        distance = np.where(np.isfinite(distance), distance, np.inf)
        flat = int(np.argmin(distance))
        if distance.flat[flat] > PICK_PX ** 2:
            return None
        return int(self._rows[flat // frame.epochs])

    def _on_mouse_moved(self, position: QPointF) -> None:
        row = self.nearest(position)
        if row == self._hovered:
            return
        self._hovered = row
        if row is None or self._frame is None:
            self.hover.setText("Hover over a curve to see its trial's values; click it to pick the trial.")
        else:
            self.hover.setText(describe(self._frame, row).replace("\n", " · "))

    def _on_mouse_clicked(self, event: object) -> None:
        position = event.scenePos()  # type: ignore[attr-defined]
        row = self.nearest(position)
        if row is not None and self._frame is not None:
            self.trial_clicked.emit(int(self._frame.numbers[row]))

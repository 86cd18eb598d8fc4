"""Trials as points on a plot: what the history, slice and scatter views share.

Complete trials are coloured by value (the parallel coordinates' colours); pruned and failed ones are
faint, and one whose value lies below the complete trials' range is drawn as ▼ on the bottom edge
rather than stretching the axis: a trial pruned at 40% never squashes the ones that matter. A log
parameter is drawn against its logarithm, with the axis labelled in its own values; a choice at its
index, labelled with its name. Hovering a point names the trial and its values; a click picks it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtGui import QColor

from fmnist_gui.qt.views.parallel_coordinates import viridis
from fmnist_gui.sweeps.frame import ParamColumn, TrialsFrame

POINT_BINS = 8  # colours of the complete trials' points (each colour one item: fewer items, faster redraws)
FAINT = QColor(170, 170, 170)
RUNNING = QColor(21, 101, 192)
SIZE = 8
RUNNING_GROUP, FAINT_GROUP = POINT_BINS, POINT_BINS + 1
JITTER = 0.25  # of a choice's slot: points of one choice spread a little, so that they do not hide each other


class ValuesAxis(pg.AxisItem):
    """An axis that labels log10 positions with the values themselves (0.001, 0.01), or choices by name."""

    def __init__(self, orientation: str) -> None:
        super().__init__(orientation)
        self.log = False
        self.choices: tuple[str, ...] = ()
        self.enableAutoSIPrefix(False)

    def set_kind(self, log: bool, choices: tuple[str, ...]) -> None:
        if (log, choices) == (self.log, self.choices):
            return  # unchanged: the axis keeps the picture it drew (drawing it again took a third of a brush)
        self.log, self.choices = log, choices
        self.setTicks([[(float(index), name) for index, name in enumerate(choices)]] if choices else None)
        self.picture = None
        self.update()

    def tickStrings(self, values, scale, spacing):  # noqa: ANN001, ANN201, N802 - pyqtgraph's names
        if self.log:
            return [f"{10 ** value:.2g}" for value in values]
        return super().tickStrings(values, scale, spacing)


def positions(column: ParamColumn, rows: np.ndarray | None = None) -> np.ndarray:
    """Where a parameter's values go on an axis: log10 for a log range, the index (spread a little) for a choice."""
    values = column.values if rows is None else column.values[rows]
    if column.log:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log10(values)
    if column.choices:
        spread = np.random.default_rng(0).random(len(column.values)) - 0.5
        return values + JITTER * (spread if rows is None else spread[rows])
    return values


def describe(frame: TrialsFrame, row: int) -> str:
    """"Trial 12 · 88.10% · lr=0.0012 weight_decay=0.0003 optimizer=adamw": what hovering shows."""
    value = frame.values[row]
    text = f"Trial {frame.numbers[row]} · {frame.states[row].lower()}"
    if np.isfinite(value):
        text += f" · {value:.2f}%"
    params = " ".join(f"{column.name}={column.text(row)}" for column in frame.params)
    return f"{text}\n{params}"


class TrialPoints(pg.PlotWidget):
    """One plot of trials as points: `show_points` draws them; `trial_clicked` says which one was clicked.

    Points of one colour (a value bin, running, faint) are one scatter item with a single brush: pyqtgraph
    draws a uniform item from one cached symbol, while a brush per point cost 14 ms per 500 points. Only
    faint points can fall below the complete trials' range, so only they have a ▼ item."""

    trial_clicked = Signal(int)  # a trial's number

    def __init__(self, title: str = "", x_label: str = "", y_label: str = "value (%)") -> None:
        pg.setConfigOptions(background="w", foreground="k")  # as the main window's plots
        self.x_axis, self.y_axis = ValuesAxis("bottom"), ValuesAxis("left")
        super().__init__(title=title, axisItems={"bottom": self.x_axis, "left": self.y_axis})
        self.setMinimumSize(180, 140)
        plot = self.getPlotItem()
        for axis in (self.x_axis, self.y_axis):
            axis.setGrid(40)
            axis.setStyle(maxTickLevel=0)
        plot.setLabel("bottom", x_label)
        plot.setLabel("left", y_label)
        plot.hideButtons()
        plot.disableAutoRange()
        # (group, symbol): faint ones first, under the rest; a value bin's group is its number
        styles = [(FAINT_GROUP, "t"), (FAINT_GROUP, "o"), (RUNNING_GROUP, "o"), *((group, "o") for group in range(POINT_BINS))]
        colours = {**dict(enumerate(viridis((np.arange(POINT_BINS) + 0.5) / POINT_BINS))), RUNNING_GROUP: RUNNING,
                   FAINT_GROUP: FAINT}
        self.groups = [(group, symbol, pg.ScatterPlotItem(size=SIZE, pen=None, brush=pg.mkBrush(colours[group]),
                                                          symbol=symbol, hoverable=True, tip=self._tip, hoverSize=SIZE + 4))
                       for group, symbol in styles]
        for _, _, item in self.groups:
            plot.addItem(item)
            item.sigClicked.connect(self._on_clicked)
        self._frame: TrialsFrame | None = None
        self._row_of: dict[int, int] = {}

    def clear_points(self) -> None:
        for _, _, item in self.groups:
            item.clear()

    def show_points(self, frame: TrialsFrame, rows: np.ndarray, x: np.ndarray, y: np.ndarray,
                    y_range: tuple[float, float] | None, x_column: ParamColumn | None = None,
                    y_column: ParamColumn | None = None, x_all: np.ndarray | None = None,
                    y_all: np.ndarray | None = None) -> None:
        """Frame rows `rows` at (x, y) (already positioned); y below `y_range` is clamped to its bottom as ▼.
        `x_all`, `y_all`: the positions of every trial, which the axes span, so that a brush or a filter that
        keeps fewer trials does not move the axes under them (by default the axes span the points shown)."""
        self.x_axis.set_kind(x_column.log if x_column else False, x_column.choices if x_column else ())
        self.y_axis.set_kind(y_column.log if y_column else False, y_column.choices if y_column else ())
        finite = np.isfinite(x) & np.isfinite(y)
        rows, x, y = rows[finite], x[finite], y[finite]
        below = np.zeros(len(rows), dtype=bool)
        if y_range is not None and y_column is None:
            low, high = y_range
            pad = max(0.5, 0.06 * (high - low))
            below = y < low - pad
            y = np.where(below, low - pad, y)
            y_span = (low - pad, high + pad)
        else:
            y_span = _span(_finite(y_all) if y_all is not None else y, y_column)
        self._frame = frame
        self._row_of = {int(number): int(row) for number, row in zip(frame.numbers[rows], rows)}
        groups = _groups(frame, rows)
        for group, symbol, item in self.groups:
            chosen = (groups == group) & (below == (symbol == "t"))
            item.setVisible(bool(chosen.any()))  # an empty item still costs a paint and a bounds check
            item.setData(x=x[chosen], y=y[chosen], data=frame.numbers[rows[chosen]])
        # The ranges set once, here: pyqtgraph's auto-range painted each plot twice per update.
        x_span = _span(_finite(x_all) if x_all is not None else x, x_column)
        self.getPlotItem().getViewBox().setRange(xRange=x_span, yRange=y_span, padding=0.03)

    def add_item(self, item: pg.GraphicsObject) -> None:
        self.getPlotItem().addItem(item)

    def _tip(self, x: float, y: float, data: object) -> str:
        """Made when hovered: 500 trials' descriptions made at every redraw cost more than drawing them."""
        row = self._row_of.get(int(data)) if data is not None else None  # type: ignore[call-overload]
        return describe(self._frame, row) if self._frame is not None and row is not None else ""

    def _on_clicked(self, item: pg.ScatterPlotItem, points: Sequence[pg.SpotItem], event: object) -> None:
        if len(points):
            self.trial_clicked.emit(int(points[0].data()))


def _span(values: np.ndarray, column: ParamColumn | None) -> tuple[float, float]:
    """An axis's range: every choice, or the values' (a little around a single one)."""
    if column is not None and column.choices:
        return -0.5, len(column.choices) - 0.5
    if not len(values):
        return 0.0, 1.0
    low, high = float(values.min()), float(values.max())
    return (low, high) if high > low else (low - 0.5, high + 0.5)


def _finite(values: np.ndarray) -> np.ndarray:
    return values[np.isfinite(values)]


def _groups(frame: TrialsFrame, rows: np.ndarray) -> np.ndarray:
    """Each row's colour: its value bin (0 to POINT_BINS - 1) for a complete trial, RUNNING_GROUP or FAINT_GROUP."""
    complete = frame.values[np.isfinite(frame.values) & (frame.states == "COMPLETE")]
    low, high = (float(complete.min()), float(complete.max())) if len(complete) else (0.0, 1.0)
    fraction = np.nan_to_num((frame.values[rows] - low) / (high - low if high > low else 1.0), nan=0.0)
    bins = np.clip((fraction * POINT_BINS).astype(int), 0, POINT_BINS - 1)
    states = frame.states[rows]
    return np.where(states == "COMPLETE", bins, np.where(states == "RUNNING", RUNNING_GROUP, FAINT_GROUP))

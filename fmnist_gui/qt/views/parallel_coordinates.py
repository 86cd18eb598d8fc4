"""Parallel coordinates of a sweep's trials: one vertical axis per hyperparameter and one for the value, one line per trial.

Drag along an axis to brush a range (brushes on several axes must all hold; a click on an axis
clears its brush); drag an axis's title sideways to move it; lines are coloured by value, pruned
and failed trials faint. Numeric axes may be logarithmic; choices are spread evenly. Readable past
a few dozen trials: lines outside the brushes fade into a picture drawn once, and only the lines
kept are drawn over it; a brush or a redraw of 500 trials stays well under 50 ms
(packaging/sweep_workspace_speed.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QLineF, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFontMetrics, QImage, QMouseEvent, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 34, 26, 46
FADED = QColor(222, 222, 222)  # opaque: blending 2,000 translucent lines cost 30 ms
BRUSH_FILL = QColor(33, 113, 181, 50)
MIN_BRUSH_PX = 4  # a shorter drag is a click: it clears the axis's brush
COLOUR_BINS = 24  # lines of one bin share a colour and one drawLines call
SMOOTH_LINES = 120  # antialiased up to this many lines; past it the speed matters more (250 antialiased lines
# across a 1600-pixel window took 17 ms of each paint, a third of a brush at 500 trials)


@dataclass
class Axis:
    """One column: a hyperparameter (or the value) with the trials' positions on it, 0 at the bottom, 1 at the top."""

    name: str
    values: np.ndarray  # (N,) float; NaN where a trial has no value for it
    log: bool = False
    choices: tuple[str, ...] = ()  # a categorical axis: values are indices into these
    low: float = 0.0
    high: float = 1.0
    brush: tuple[float, float] | None = None  # in axis units (0..1), bottom to top

    def __post_init__(self) -> None:
        finite = self.values[np.isfinite(self.values)]
        if self.choices:
            self.low, self.high = -0.5, len(self.choices) - 0.5
        elif len(finite):
            low, high = float(finite.min()), float(finite.max())
            if self.log and low > 0:
                low, high = np.log10(low), np.log10(high)
            self.low, self.high = (low, high) if high > low else (low - 0.5, high + 0.5)

    def positions(self) -> np.ndarray:
        values = self.values
        if self.log and not self.choices:
            with np.errstate(divide="ignore", invalid="ignore"):
                values = np.log10(values)
        if self.choices:  # spread the lines of one choice a little, so that they do not all meet in one point
            values = values + 0.3 * (np.random.default_rng(len(values)).random(len(values)) - 0.5)
        return (values - self.low) / (self.high - self.low)

    def label(self, position: float) -> str:
        value = self.low + position * (self.high - self.low)
        if self.choices:
            index = int(round(value))
            return self.choices[index] if 0 <= index < len(self.choices) else ""
        if self.log:
            value = 10 ** value
        return f"{value:.3g}"


@dataclass
class Coordinates:
    """What the view draws: the axes in order and each trial's number, colour key and whether it finished."""

    axes: list[Axis]
    numbers: np.ndarray  # (N,) int
    colour_values: np.ndarray  # (N,) float: the value the lines are coloured by (NaN: none)
    finished: np.ndarray  # (N,) bool: False for pruned and failed trials, drawn faint
    kept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))  # set by the view: what the brushes keep


def _lines(segments: np.ndarray) -> list[QLineF]:
    """(…, 4) segment ends as QLineFs for one drawLines call; non-finite ones (a trial without a value) left out."""
    flat = segments.reshape(-1, 4)
    flat = flat[np.isfinite(flat).all(axis=1)]
    return [QLineF(x1, y1, x2, y2) for x1, y1, x2, y2 in flat.tolist()]


def _mix(colour: QColor, background: QColor, share: float) -> QColor:
    """`share` of `colour` over `background`, opaque (translucent lines cost several times as much to draw)."""
    return QColor(*(round(share * a + (1 - share) * b) for a, b in ((colour.red(), background.red()),
                                                                    (colour.green(), background.green()),
                                                                    (colour.blue(), background.blue()))))


def viridis(fraction: np.ndarray) -> list[QColor]:
    """A few stops of viridis, interpolated: dark purple (low) to yellow (high)."""
    stops = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=float)
    fraction = np.clip(np.nan_to_num(fraction, nan=0.0), 0, 1) * (len(stops) - 1)
    lower = np.floor(fraction).astype(int).clip(0, len(stops) - 2)
    mix = (fraction - lower)[:, None]
    rgb = stops[lower] * (1 - mix) + stops[lower + 1] * mix
    return [QColor(int(r), int(g), int(b)) for r, g, b in rgb]


class ParallelCoordinates(QWidget):
    """See the module's docstring. `brushed` says which trials every brush keeps."""

    brushed = Signal(object)  # np.ndarray of the trial numbers kept (all when no brush)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.data: Coordinates | None = None
        self._background: QImage | None = None  # every line, faded: drawn once per data and size
        self._segments = np.zeros((0, 0, 4))  # (trials, axes - 1, 4) line ends in pixels
        self._bins = np.zeros(0, dtype=int)  # each trial's colour bin
        self._bin_colours: list[QColor] = []
        self._batches: list[tuple[QColor, list[QLineF]]] | None = None  # the kept lines, made at the next paint
        self._drag: tuple[str, int, float] | None = None  # ("brush" | "move", axis, start) while the mouse is down
        self._drag_now = 0.0
        self.setMinimumSize(320, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMouseTracking(False)

    # What the controller gives
    def set_data(self, data: Coordinates | None) -> None:
        """New trials (or a new colouring); brushes on axes of the same name are kept."""
        if data is not None and self.data is not None:
            old = {axis.name: axis.brush for axis in self.data.axes}
            for axis in data.axes:
                axis.brush = old.get(axis.name)
        self.data = data
        self._rebuild()

    def clear_brushes(self) -> None:
        if self.data is not None:
            for axis in self.data.axes:
                axis.brush = None
            self._apply_brushes()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(720, 360)

    # Geometry
    def _axis_x(self, index: int) -> float:
        count = len(self.data.axes) if self.data else 1
        width = self.width() - 2 * MARGIN_SIDE
        return MARGIN_SIDE + (width * index / (count - 1) if count > 1 else width / 2)

    def _y(self, position: np.ndarray | float) -> np.ndarray | float:
        height = self.height() - MARGIN_TOP - MARGIN_BOTTOM
        return MARGIN_TOP + (1 - np.asarray(position)) * height if isinstance(position, np.ndarray) else \
            MARGIN_TOP + (1 - position) * height

    def _position(self, y: float) -> float:
        height = self.height() - MARGIN_TOP - MARGIN_BOTTOM
        return float(np.clip(1 - (y - MARGIN_TOP) / height, 0, 1))

    def _nearest_axis(self, x: float) -> int | None:
        if not self.data or not self.data.axes:
            return None
        distances = [abs(x - self._axis_x(i)) for i in range(len(self.data.axes))]
        index = int(np.argmin(distances))
        return index if distances[index] < 24 else None

    # Drawing
    def _rebuild(self) -> None:
        """Every trial's segments in pixels, its colour bin, and the faded picture of them all; then the brushes.

        Lines are drawn in batches, one QPainter.drawLines call per colour (values are put in COLOUR_BINS
        bins), never a path per trial: 500 antialiased paths took 300 ms."""
        self._segments, self._bins, self._background = np.zeros((0, 0, 4)), np.zeros(0, dtype=int), None
        data = self.data
        if data is None or not data.axes or len(data.numbers) == 0:
            self.update()
            return
        xs = np.array([self._axis_x(i) for i in range(len(data.axes))])
        ys = np.stack([self._y(np.clip(axis.positions(), -0.02, 1.02)) for axis in data.axes], axis=1)  # (N, axes)
        starts = np.stack([np.broadcast_to(xs[:-1], ys[:, :-1].shape), ys[:, :-1]], axis=-1)
        ends = np.stack([np.broadcast_to(xs[1:], ys[:, 1:].shape), ys[:, 1:]], axis=-1)
        self._segments = np.concatenate([starts, ends], axis=-1)  # (N, axes - 1, 4): x1, y1, x2, y2
        finite = data.colour_values[np.isfinite(data.colour_values)]
        low, high = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        fraction = np.nan_to_num((data.colour_values - low) / (high - low if high > low else 1.0), nan=0.0)
        self._bins = np.clip((fraction * COLOUR_BINS).astype(int), 0, COLOUR_BINS - 1)
        self._bin_colours = viridis((np.arange(COLOUR_BINS) + 0.5) / COLOUR_BINS)
        self._apply_brushes()

    def _faded(self) -> QImage:
        """Every line in light grey, behind the lines the brushes keep; drawn at the first brush after new data."""
        if self._background is None:
            self._background = QImage(self.size() * self.devicePixelRatio(), QImage.Format.Format_ARGB32_Premultiplied)
            self._background.setDevicePixelRatio(self.devicePixelRatio())
            self._background.fill(self.palette().base().color())
            painter = QPainter(self._background)
            painter.setPen(QPen(FADED, 1.5))
            painter.drawLines(_lines(self._segments))
            painter.end()
        return self._background

    def _apply_brushes(self) -> None:
        data = self.data
        if data is None:
            return
        keep = np.ones(len(data.numbers), dtype=bool)
        for axis in data.axes:
            if axis.brush is not None:
                low, high = axis.brush
                positions = axis.positions()
                keep &= np.isfinite(positions) & (positions >= low) & (positions <= high)
        data.kept = keep
        self._batches = None
        self.update()
        self.brushed.emit(data.numbers[keep])

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        data = self.data
        if data is None or not data.axes:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No trials yet")
            return
        if len(self._segments) and not data.kept.all():
            painter.drawImage(0, 0, self._faded())
        if len(self._segments):
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, int(data.kept.sum()) <= SMOOTH_LINES)
            for colour, lines in self._kept_lines():
                painter.setPen(QPen(colour, 1.5))  # opaque and 1.5 px: Qt's fastest way to draw many lines
                painter.drawLines(lines)
        self._draw_axes(painter, data)

    def _kept_lines(self) -> list[tuple[QColor, list[QLineF]]]:
        """The kept lines by colour, made once per brush or data, not at every paint (10,000 trials' lines took
        a tenth of a second to make)."""
        data = self.data
        if self._batches is None and data is not None:
            base = self.palette().base().color()
            self._batches = []
            for finished in (False, True):  # pruned and failed ones faint (mixed with the background), under
                chosen = data.kept & (data.finished == finished)
                for colour_bin in np.unique(self._bins[chosen]):
                    colour = self._bin_colours[colour_bin] if finished else _mix(self._bin_colours[colour_bin], base, 0.3)
                    self._batches.append((colour, _lines(self._segments[chosen & (self._bins == colour_bin)])))
        return self._batches or []

    def _draw_axes(self, painter: QPainter, data: Coordinates) -> None:
        metrics = QFontMetrics(self.font())
        text = self.palette().text().color()
        for index, axis in enumerate(data.axes):
            x = self._axis_x(index)
            if self._drag and self._drag[0] == "move" and self._drag[1] == index:
                x = self._drag_now
            if axis.brush is not None or (self._drag and self._drag[0] == "brush" and self._drag[1] == index):
                low, high = axis.brush if axis.brush is not None else (0.0, 0.0)
                if self._drag and self._drag[0] == "brush" and self._drag[1] == index:
                    low, high = sorted((self._drag[2], self._drag_now))
                top, bottom = float(self._y(high)), float(self._y(low))
                painter.fillRect(QRectF(x - 7, top, 14, bottom - top), BRUSH_FILL)
            painter.setPen(QPen(text, 1.2))
            painter.drawLine(QPointF(x, MARGIN_TOP), QPointF(x, self.height() - MARGIN_BOTTOM))
            title = axis.name + (" (log)" if axis.log else "")
            width = metrics.horizontalAdvance(title)
            painter.drawText(QPointF(x - width / 2, MARGIN_TOP - 18), title)
            for position in (0.0, 0.5, 1.0) if not axis.choices else \
                    [(i + 0.5) / len(axis.choices) for i in range(len(axis.choices))]:
                label = axis.label(position)
                painter.drawText(QPointF(x + 4, float(self._y(position)) + 4), label)

    # Interaction
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        index = self._nearest_axis(event.position().x())
        if index is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if event.position().y() < MARGIN_TOP:
            self._drag = ("move", index, event.position().x())
        else:
            self._drag = ("brush", index, self._position(event.position().y()))
        self._drag_now = self._drag[2]

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if self._drag is None:
            return
        self._drag_now = event.position().x() if self._drag[0] == "move" else self._position(event.position().y())
        self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        drag, self._drag = self._drag, None
        if drag is None or self.data is None:
            return
        kind, index, start = drag
        if kind == "move":
            self._move_axis(index, event.position().x())
            return
        end = self._position(event.position().y())
        axis = self.data.axes[index]
        span = abs(float(self._y(start)) - float(self._y(end)))
        axis.brush = None if span < MIN_BRUSH_PX else (min(start, end), max(start, end))
        self._apply_brushes()

    def brush(self, name: str, low: float, high: float) -> None:
        """Brush the axis called `name` between two positions (0 bottom, 1 top): what a drag does."""
        if self.data is None:
            return
        for axis in self.data.axes:
            if axis.name == name:
                axis.brush = (min(low, high), max(low, high))
        self._apply_brushes()

    def _move_axis(self, index: int, x: float) -> None:
        assert self.data is not None
        axes = self.data.axes
        target = min(range(len(axes)), key=lambda i: abs(self._axis_x(i) - x))
        if target != index:
            axes.insert(target, axes.pop(index))
            self._rebuild()
        else:
            self.update()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._rebuild()

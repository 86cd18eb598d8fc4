"""Live training curves: loss per batch and per epoch, accuracy per epoch, learning rate."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from fmnist_gui.runs.overlay import OverlaySeries
from fmnist_gui.engine.events import BatchRecord, EpochRecord, EpochSummary, HyperparameterChange, learned_nothing
from fmnist_gui.formats import format_loss

TRAIN_COLOR = (33, 113, 181)
TEST_COLOR = (230, 85, 13)
SMOOTHING = 0.1  # exponential moving average weight of each new batch report
# Batch curves are redrawn at most this often: painting holds the GIL, which the training thread needs.
REDRAW_INTERVAL_MS = 200
CHANGE_COLOR = (106, 27, 154)  # a value changed while paused: purple, apart from the curves' colours
LABEL_HEIGHTS = (0.93, 0.78, 0.63)  # of a change marker's label, as a fraction of the plot's height
# Overlaid runs: colours apart from the model on screen's blue and orange.
OVERLAY_COLORS = ((46, 125, 50), (142, 36, 170), (0, 131, 143), (191, 54, 12), (93, 64, 55), (84, 110, 122),
                  (173, 20, 87), (130, 119, 23))


class GrowingSeries:
    """x/y points in numpy buffers that double when full, for cheap appends and setData views."""

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.size = 0

    def append(self, x: float, y: float) -> None:
        if self.size == len(self._x):
            self._x = np.resize(self._x, 2 * self.size)
            self._y = np.resize(self._y, 2 * self.size)
        self._x[self.size], self._y[self.size] = x, y
        self.size += 1

    def clear(self) -> None:
        self.size = 0

    @property
    def x(self) -> np.ndarray:
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        return self._y[: self.size]


class _Curve:
    """One plotted series: its buffer and its plot item, created once, updated with setData."""

    def __init__(self, plot: pg.PlotItem, name: str, pen: Any, symbol: str | None = None, color: tuple = TRAIN_COLOR) -> None:
        self.series = GrowingSeries()
        kwargs = {"symbol": symbol, "symbolSize": 7, "symbolBrush": color, "symbolPen": None} if symbol else {}
        self.item = plot.plot(name=name, pen=pen, **kwargs)
        self.item.setClipToView(True)
        self.item.setDownsampling(auto=True, method="peak")

    def append(self, x: float, y: float) -> None:
        self.series.append(x, y)

    def redraw(self) -> None:
        self.item.setData(self.series.x, self.series.y)

    def clear(self) -> None:
        self.series.clear()
        self.item.setData([], [])


MIN_ACCURACY_SPAN = 5.0  # percentage points: noise on a flat run must not look like a trend
EMPTY_RANGES = {"loss": (0.0, 2.5), "accuracy": (0.0, 100.0), "lr": (-5.0, -1.0)}  # before any data (lr: log10)


class ChangeMarkers:
    """A labelled vertical line on each plot where values were changed while paused; changes made
    at one pause share a line and a label ("lr 1e-3→3e-4, momentum 0.9→0.5")."""

    def __init__(self, plots: Sequence[pg.PlotItem]) -> None:
        self.plots = plots
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._at: dict[int, tuple[list[str], list[pg.InfiniteLine]]] = {}  # step -> labels, one line per plot

    def add(self, change: HyperparameterChange, x: float) -> None:
        if change.step in self._at:
            labels, lines = self._at[change.step]
            labels.append(change.label)
            for line in lines:
                line.label.setFormat(", ".join(labels))
            return
        lines = []
        height = LABEL_HEIGHTS[len(self._at) % len(LABEL_HEIGHTS)]  # neighbouring labels at different heights
        for plot in self.plots:
            line = pg.InfiniteLine(pos=x, angle=90, movable=False, pen=pg.mkPen(CHANGE_COLOR, width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine),
                                   label=change.label, labelOpts={"position": height, "color": CHANGE_COLOR, "fill": (255, 255, 255, 210)})
            line.setToolTip(f"Changed while paused at step {change.step}")
            plot.addItem(line, ignoreBounds=True)  # a marker must not widen the axes
            lines.append(line)
            self.lines.append((plot, line))
        self._at[change.step] = ([change.label], lines)

    def positions(self) -> list[float]:
        return [lines[0].value() for _, lines in self._at.values()]

    def labels(self) -> list[str]:
        """The text of each marker, oldest first."""
        return [", ".join(labels) for labels, _ in self._at.values()]

    def clear(self) -> None:
        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines.clear()
        self._at.clear()


class DecadeAxis(pg.AxisItem):
    """A log axis that labels whole decades only (0.001, 0.01): early in a run the rate spans less than one,
    and pyqtgraph then labelled every tick in it, 0.0009 over 0.0008 over 0.0007."""

    def logTickStrings(self, values, scale, spacing):  # noqa: ANN001, ANN201, N802 - pyqtgraph's names
        return [f"{10 ** value:g}" if abs(value - round(value)) < 1e-6 else "" for value in values]


class TrainingPlots(QWidget):
    """Receives batch and epoch records (or a checkpoint's history) and draws them; x is in epochs."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(background="w", foreground="k")
        # One view per plot, so a redraw of one does not repaint the others.
        self.loss_view, self.loss_plot = self._plot("Loss", "cross-entropy")
        # Short titles: a plot's title sets its minimum width, and a cut plot hides its legend.
        self.accuracy_view, self.accuracy_plot = self._plot("Accuracy (★ best test)", "%", legend_at_bottom=True)
        self.lr_view, self.lr_plot = self._plot("Learning rate", "lr", legend=False, left_axis=DecadeAxis("left"))
        grid = QGridLayout()
        grid.addWidget(self.loss_view, 0, 0, 1, 2)
        grid.addWidget(self.accuracy_view, 1, 0)
        grid.addWidget(self.lr_view, 1, 1)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)

        self.batch_loss = _Curve(self.loss_plot, "batch loss", pg.mkPen(TRAIN_COLOR + (70,), width=1))
        self.smoothed_loss = _Curve(self.loss_plot, "smoothed", pg.mkPen(TRAIN_COLOR, width=2))
        self.epoch_train_loss = _Curve(self.loss_plot, "train (epoch)", pg.mkPen(TRAIN_COLOR, width=1, style=pg.QtCore.Qt.PenStyle.DashLine), "o", TRAIN_COLOR)
        self.epoch_test_loss = _Curve(self.loss_plot, "test (epoch)", pg.mkPen(TEST_COLOR, width=2), "o", TEST_COLOR)
        self.train_accuracy = _Curve(self.accuracy_plot, "train", pg.mkPen(TRAIN_COLOR, width=2), "o", TRAIN_COLOR)
        self.test_accuracy = _Curve(self.accuracy_plot, "test", pg.mkPen(TEST_COLOR, width=2), "o", TEST_COLOR)
        self.learning_rate = _Curve(self.lr_plot, "lr", pg.mkPen((90, 90, 90), width=2))
        self.best_marker = pg.ScatterPlotItem(size=18, symbol="star", brush=pg.mkBrush(255, 193, 7), pen=pg.mkPen("k"))
        self.accuracy_plot.addItem(self.best_marker)
        self.change_markers = ChangeMarkers((self.loss_plot, self.accuracy_plot, self.lr_plot))
        self._smoothed: float | None = None
        self._best: tuple[float, float] | None = None
        self._overlay_items: list[tuple[pg.PlotItem, Any]] = []
        self._batch_curves_dirty = False
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._redraw_batches)

        self.log_scale = QCheckBox("Log-scale loss")
        self.log_scale.setToolTip("Show the loss on a logarithmic axis, to see small improvements late in training")
        self.log_scale.toggled.connect(self._on_log_scale_toggled)
        self.summary = QLabel("No model yet: choose values and click Train, or open a checkpoint.")
        self.summary.setWordWrap(True)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("background: #ffebee; color: #b71c1c; padding: 6px; border-radius: 3px;")
        self.warning.hide()
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.log_scale)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.warning)
        layout.addLayout(grid, 1)
        self.accuracy_plot.setLimits(minYRange=MIN_ACCURACY_SPAN)
        self.lr_plot.setLogMode(y=True)
        self.lr_plot.setLimits(minYRange=1.0)  # at least a decade: a constant rate is a line, not noise
        self.lr_plot.getAxis("left").setTickSpacing(1, 1)  # labels at whole decades only: minor ones overlapped
        self._show_empty_ranges()

    def _plot(self, title: str, unit: str, legend_at_bottom: bool = False, legend: bool = True,
              left_axis: pg.AxisItem | None = None) -> tuple[pg.PlotWidget, pg.PlotItem]:
        view = pg.PlotWidget(title=title, axisItems={"left": left_axis} if left_axis is not None else None)
        view.setMinimumSize(160, 140)
        plot = view.getPlotItem()
        for name in ("left", "bottom"):
            # A grid at the major ticks only: pyqtgraph's full grid (minor lines, blended) made
            # each repaint 4x slower, and painting holds the GIL the training thread needs.
            axis = plot.getAxis(name)
            axis.setGrid(45)
            axis.setStyle(maxTickLevel=0)
            axis.enableAutoSIPrefix(False)
        plot.setLabel("bottom", "epoch")
        plot.setLabel("left", unit)
        if legend:
            plot.addLegend(offset=(-10, -10) if legend_at_bottom else (-10, 10))  # accuracy rises: keep its legend low
        return view, plot

    # Data in
    def clear(self) -> None:
        for curve in self._curves():
            curve.clear()
        self._smoothed, self._best = None, None
        self.best_marker.setData([], [])
        self.change_markers.clear()
        self.summary.setText("No finished epoch yet.")
        self.show_warning(None)
        self._show_empty_ranges()

    def show_overlay(self, series: Sequence[OverlaySeries]) -> None:
        """Other runs' test accuracy and loss per epoch, one colour each, a band for a group; [] removes them."""
        for plot, item in self._overlay_items:
            plot.removeItem(item)
        self._overlay_items.clear()
        for index, one in enumerate(series):
            color = OVERLAY_COLORS[index % len(OVERLAY_COLORS)]
            for plot, values, band in ((self.accuracy_plot, one.test_accuracy, one.accuracy_band),
                                       (self.loss_plot, one.test_loss, one.loss_band)):
                if band is not None:
                    low = pg.PlotDataItem(one.epochs, band[0], pen=None)
                    high = pg.PlotDataItem(one.epochs, band[1], pen=None)
                    fill = pg.FillBetweenItem(low, high, brush=pg.mkBrush(*color, 50))
                    for item in (low, high, fill):
                        plot.addItem(item, ignoreBounds=item is fill)  # the fill's path would pull the axis to 0
                        self._overlay_items.append((plot, item))
                curve = plot.plot(one.epochs, values, pen=pg.mkPen(color, width=2), symbol="t", symbolSize=6,
                                  symbolBrush=color, symbolPen=None, name=one.name if plot is self.accuracy_plot else None)
                self._overlay_items.append((plot, curve))
        ends = [float(one.epochs[-1]) for one in series if len(one.epochs)]
        if ends:  # the axes were fixed to the run on screen: widen them to the longest overlaid run
            self.accuracy_plot.setXRange(0.5, max(ends) + 0.5, padding=0)
            self.loss_plot.enableAutoRange()

    def show_warning(self, text: str | None) -> None:
        """A red line above the plots (a run at chance level), or None to hide it."""
        self.warning.setText(text or "")
        self.warning.setVisible(bool(text))

    def show_stopped(self, position: str, test_accuracy: float) -> None:
        """The summary for a model stopped mid-epoch, evaluated after the stop."""
        best = f" · best {self._best[1]:.2f}% at epoch {self._best[0]:g}" if self._best else ""
        self.summary.setText(f"Stopped at {position}: test accuracy {test_accuracy:.2f}%{best}")

    def begin_run(self, total_epochs: int) -> None:
        """Fix the epoch axes to the whole run, so they are not re-laid out as points arrive."""
        for plot in (self.loss_plot, self.lr_plot):
            plot.setXRange(0, total_epochs, padding=0.02)
        self.accuracy_plot.setXRange(0.5, total_epochs + 0.5, padding=0)
        self._keep_markers_in_view()

    def add_batch(self, record: BatchRecord) -> None:
        x = record.epoch - 1 + record.batch / record.batches
        self._add_batch_point(x, record.loss, record.lr)
        self._batch_curves_dirty = True
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def add_epoch(self, record: EpochRecord) -> None:
        self._redraw_batches()
        self._add_epoch_point(record.epoch, record.train_loss, record.test_loss, record.train_accuracy, record.test_accuracy)
        self._redraw_epochs()

    def add_change(self, change: HyperparameterChange, batches_per_epoch: int) -> None:
        """A value changed while the run was paused: a marker where the next batch starts."""
        self.change_markers.add(change, change.epoch - 1 + change.batch / batches_per_epoch)
        self._keep_markers_in_view()

    def show_history(self, history: Sequence[EpochSummary], batch_history: Mapping[str, Sequence[float]],
                     batches_per_epoch: float, changes: Sequence[HyperparameterChange] = ()) -> None:
        """Redraw everything from a checkpoint's history, so a continued run carries on from it."""
        self.clear()
        for change in changes:
            self.change_markers.add(change, change.step / batches_per_epoch)
        if history:
            self.begin_run(history[-1].epoch)
        for step, loss, lr in zip(batch_history.get("step", []), batch_history.get("loss", []), batch_history.get("lr", [])):
            self._add_batch_point(step / batches_per_epoch, loss, lr)
        for entry in history:
            self._add_epoch_point(entry.epoch, entry.train_loss, entry.test_loss, entry.train_accuracy, entry.test_accuracy)
        self._batch_curves_dirty = True
        self._redraw_batches()
        self._redraw_epochs()
        self._keep_markers_in_view()

    @property
    def best(self) -> tuple[float, float] | None:
        """(epoch, test accuracy) of the best epoch so far."""
        return self._best

    # Internals
    def _add_batch_point(self, x: float, loss: float, lr: float) -> None:
        self.batch_loss.append(x, loss)
        self._smoothed = loss if self._smoothed is None else (1 - SMOOTHING) * self._smoothed + SMOOTHING * loss
        self.smoothed_loss.append(x, self._smoothed)
        self.learning_rate.append(x, lr)

    def _add_epoch_point(self, epoch: float, train_loss: float, test_loss: float, train_acc: float, test_acc: float) -> None:
        self.epoch_train_loss.append(epoch, train_loss)
        self.epoch_test_loss.append(epoch, test_loss)
        self.train_accuracy.append(epoch, train_acc)
        self.test_accuracy.append(epoch, test_acc)
        if math.isfinite(test_acc) and not learned_nothing(test_acc) and (self._best is None or test_acc > self._best[1]):
            self._best = (epoch, test_acc)  # no star for a run at chance level: it has no best

    def _redraw_batches(self) -> None:
        if not self._batch_curves_dirty:
            self._redraw_timer.stop()  # idle: nothing came since the last redraw
            return
        self._batch_curves_dirty = False
        for curve in (self.batch_loss, self.smoothed_loss, self.learning_rate):
            curve.redraw()

    def flush(self) -> None:
        """Draw what has arrived now, without waiting for the redraw timer."""
        self._redraw_batches()
        self._redraw_epochs()

    def _redraw_epochs(self) -> None:
        for curve in (self.epoch_train_loss, self.epoch_test_loss, self.train_accuracy, self.test_accuracy):
            curve.redraw()
        if not len(self.test_accuracy.series.x):
            return
        best = ""
        if self._best is not None:
            epoch, accuracy = self._best
            self.best_marker.setData([epoch], [accuracy])
            best = f" · best {accuracy:.2f}% at epoch {epoch:g}"
        self.summary.setText(
            f"Epoch {self.test_accuracy.series.x[-1]:g}: test accuracy {self.test_accuracy.series.y[-1]:.2f}%, "
            f"test loss {format_loss(self.epoch_test_loss.series.y[-1])}{best}"
        )

    def _keep_markers_in_view(self) -> None:
        """The accuracy plot starts at epoch 0.5, where its first point sits: a change made earlier
        would fall off its left edge, so the edge moves to show it and its label."""
        positions = self.change_markers.positions()
        left, right = self.accuracy_plot.viewRange()[0]
        if positions and min(positions) - 0.1 < left:
            self.accuracy_plot.setXRange(max(0.0, min(positions) - 0.1), right, padding=0)

    def _show_empty_ranges(self) -> None:
        """Axes that mean something before the first point: loss from 0, accuracy 0-100%, rates 1e-5 to 0.1."""
        for plot, key in ((self.loss_plot, "loss"), (self.accuracy_plot, "accuracy"), (self.lr_plot, "lr")):
            plot.setYRange(*EMPTY_RANGES[key], padding=0)
            plot.setXRange(0, 1, padding=0.02)
            plot.enableAutoRange()

    def _curves(self) -> list[_Curve]:
        return [self.batch_loss, self.smoothed_loss, self.epoch_train_loss, self.epoch_test_loss,
                self.train_accuracy, self.test_accuracy, self.learning_rate]

    def _on_log_scale_toggled(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        axis = self.loss_plot.getAxis("left")
        if on:
            axis.setTickSpacing(1, 1)  # labels at whole decades: the ones between them overlapped
        else:
            axis.setTickSpacing()


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.plots
    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    plots = TrainingPlots()
    steps = np.arange(1, 301)
    nan = (float("nan"),) * 10
    plots.show_history(
        [EpochSummary(e, 100 * e, 1 / e, 80 + 3 * e, 1.1 / e, 79 + 3 * e, nan, None, 1e-3, 10.0) for e in (1, 2, 3)],
        {"step": list(steps), "loss": list(2 / np.sqrt(steps) + 0.05 * np.random.rand(300)), "lr": list(np.linspace(1e-3, 1e-2, 300))},
        100,
    )
    plots.resize(900, 600)
    plots.show()
    app.exec()

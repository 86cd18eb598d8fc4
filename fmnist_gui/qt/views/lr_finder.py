"""The learning-rate finder's dialog: loss against a rising rate on a log axis, the suggestion marked."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from fmnist_gui.qt.views.plots import REDRAW_INTERVAL_MS, TRAIN_COLOR, GrowingSeries

if TYPE_CHECKING:
    from fmnist_gui.engine.lr_finder import FinderResult

SUGGESTION_COLOR = (198, 40, 40)
RULE_COLORS = {"steepest descent": (198, 40, 40), "valley": (46, 125, 50), "minimum / 10": (123, 31, 162)}
CURRENT_COLOR = (90, 90, 90)
HEADROOM = 1.3  # the loss axis reaches this far above the first loss: the explosion leaves the top, the fall stays big


def rounded_rate(rate: float) -> float:
    """A rate to two significant digits, as the dialog shows it and the form takes it."""
    return float(f"{rate:.2g}")


class LRFinderDialog(QDialog):
    """Shows a finder run as it goes and its result; says when the user wants its rate or wants it stopped."""

    stop_requested = Signal()
    rate_chosen = Signal(float)  # the suggested rate, rounded as shown
    closed = Signal()  # by Close, Esc, the window's close button or "Use this rate"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Learning-rate finder")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self._suggestion: float | None = None
        self._other: float | None = None
        pg.setConfigOptions(background="w", foreground="k")

        self.description = QLabel()
        self.description.setWordWrap(True)
        self.view = pg.PlotWidget()
        self.plot = self.view.getPlotItem()
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate (log scale)")
        self.plot.setLabel("left", "training loss")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.plot.addLegend(offset=(10, 10))  # top left: above the flat start, clear of the explosion
        self.raw_curve = self.plot.plot(name="batch loss", pen=pg.mkPen(TRAIN_COLOR + (70,), width=1))
        self.smoothed_curve = self.plot.plot(name="smoothed", pen=pg.mkPen(TRAIN_COLOR, width=2))
        self.marker = self.plot.plot(pen=None, symbol="o", symbolSize=11, symbolBrush=SUGGESTION_COLOR, symbolPen="w")
        self.line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(SUGGESTION_COLOR, width=1.5, style=Qt.PenStyle.DashLine),
                                    label="", labelOpts={"position": 0.92, "color": SUGGESTION_COLOR, "fill": (255, 255, 255, 220),
                                                         "anchors": [(0, 0.5), (0, 0.5)]})
        self.plot.addItem(self.line)  # in view coordinates: its position is log10 of the rate
        self.current_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(CURRENT_COLOR, width=1.5,
                                                                                    style=Qt.PenStyle.DotLine),
                                            label="", labelOpts={"position": 0.08, "color": CURRENT_COLOR,
                                                                 "fill": (255, 255, 255, 220), "anchors": [(0, 0.5), (0, 0.5)]})
        self.plot.addItem(self.current_line)
        self.rule_lines: dict[str, pg.InfiniteLine] = {}
        for rule, color in RULE_COLORS.items():
            if rule == "steepest descent":
                self.rule_lines[rule] = self.line
                continue
            line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DashLine),
                                   label="", labelOpts={"position": 0.8 if rule == "valley" else 0.68, "color": color,
                                                        "fill": (255, 255, 255, 220), "anchors": [(0, 0.5), (0, 0.5)]})
            self.plot.addItem(line)
            self.rule_lines[rule] = line
        self._live = GrowingSeries(256)
        self._latest: tuple[float, float, float] | None = None  # the last progress report not drawn yet
        # Drawn at most five times a second: painting holds the GIL, which the finder's thread needs.
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._redraw_timer.timeout.connect(self._redraw)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("End the search at the next batch; a part of the curve suggests no rate")
        self.use_button = QPushButton("Use this rate")
        self.use_button.setToolTip("Put the suggested rate into the form's learning-rate field (for one-cycle, its peak)")
        self.other_button = QPushButton()  # the steepest descent when another rule is advised, else a tenth of the minimum
        self.other_button.hide()
        self.advice = QLabel()
        self.advice.setWordWrap(True)
        self.close_button = QPushButton("Close")
        buttons = QHBoxLayout()
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.other_button)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.description)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(self.advice)
        layout.addLayout(buttons)
        self.resize(720, 520)

        self.stop_button.clicked.connect(self._on_stop_clicked)
        self.use_button.clicked.connect(self._on_use_clicked)
        self.other_button.clicked.connect(self._on_other_clicked)
        self.close_button.clicked.connect(self.reject)

    @property
    def suggestion(self) -> float | None:
        """The rate "Use this rate" gives, rounded as shown; None when there is none."""
        return self._suggestion

    # What the controller tells the dialog
    def begin(self, description: str, start_lr: float, end_lr: float, current: float | None = None) -> None:
        """A new search of `description` (the model and optimizer values) from `start_lr` to `end_lr`; the form's
        `current` rate is marked on the curve."""
        self._suggestion = self._other = None
        self.other_button.hide()
        self.advice.setText("")
        for line in self.rule_lines.values():
            line.hide()
        if current is not None and current > 0:
            self.current_line.setValue(math.log10(current))
            self.current_line.label.setFormat(f"your rate {current:g}")
            self.current_line.show()
        else:
            self.current_line.hide()
        self._live.clear()
        self._latest = None
        self._redraw_timer.start()
        self.description.setText(description)
        for curve in (self.raw_curve, self.smoothed_curve):
            curve.setData([], [])
        self.marker.setData([], [])
        self.line.hide()
        self.plot.setXRange(math.log10(start_lr), math.log10(end_lr), padding=0.02)
        self.plot.enableAutoRange(axis="y")
        self.progress.setValue(0)
        self.progress.setFormat("Starting…")
        self._say(f"Training a fresh copy of the model while the rate rises from {start_lr:.0e} to {end_lr:g}…")
        self.stop_button.setEnabled(True)
        self.use_button.setEnabled(False)
        self.use_button.setText("Use this rate")
        self.close_button.setDefault(False)

    def add_point(self, fraction: float, lr: float, smoothed: float) -> None:
        """A progress report: how far, the rate and the smoothed loss reached; drawn with the next redraw."""
        self._latest = (fraction, lr, smoothed)
        if math.isfinite(smoothed):
            self._live.append(lr, smoothed)

    def _redraw(self) -> None:
        if self._latest is None:
            return
        fraction, lr, smoothed = self._latest
        self._latest = None
        self.progress.setValue(round(1000 * fraction))
        self.progress.setFormat(f"{100 * fraction:.0f}%   rate {lr:.1e}   smoothed loss {smoothed:.3f}")
        self.smoothed_curve.setData(self._live.x, self._live.y)

    def show_stopping(self) -> None:
        self.stop_button.setEnabled(False)
        self._say("Stopping after the current batch…")

    def show_result(self, result: FinderResult, advised: str | None = None, why: str = "") -> None:
        """The whole curve, each rule's suggestion marked, the `advised` rule's on the main button with `why`
        beside it (or the reason there is no suggestion)."""
        self._redraw_timer.stop()
        self._latest = None
        self.raw_curve.setData(*_finite(result.lrs, result.losses))
        self.smoothed_curve.setData(*_finite(result.lrs, result.smoothed))
        self._fit_loss_axis(result.losses, result.smoothed)
        self.progress.setValue(1000 if not result.stopped else self.progress.value())
        self.progress.setFormat(f"{len(result.lrs)} batches in {result.seconds:.1f} s")
        self.stop_button.setEnabled(False)
        rules = dict(result.rules) if result.suggestion is not None else {}
        if advised is None or advised not in rules:
            advised = next(iter(rules), None)
        self._suggestion = None if advised is None else rounded_rate(rules[advised])
        if advised is not None and self._suggestion is not None:
            at = int(np.argmin(np.abs(result.lrs - rules[advised])))
            self.marker.setData([result.lrs[at]], [result.smoothed[at]])
            for rule, rate in rules.items():
                line = self.rule_lines[rule]
                line.show()  # first: a hidden line's label keeps its old text (pyqtgraph skips the update)
                line.setValue(math.log10(rate))
                line.label.setFormat(f"{rule} {rounded_rate(rate):g}" + (" ← advised" if rule == advised else ""))
            self.use_button.setText(f"Use {self._suggestion:g} ({advised})")
            self.use_button.setEnabled(True)
            self.use_button.setDefault(True)
            other = "steepest descent" if advised != "steepest descent" else "minimum / 10"
            if other in rules and rounded_rate(rules[other]) != self._suggestion:
                self._other = rounded_rate(rules[other])
                self.other_button.setText(f"Use {self._other:g} ({other})")
                self.other_button.show()
            self._say(result.message)
            self.advice.setText(why)
        else:
            self._say(result.message, problem=not result.stopped)
            self.close_button.setDefault(True)

    def show_failure(self, message: str) -> None:
        """The search could not run (no memory on the GPU, a device gone)."""
        self._redraw_timer.stop()
        self.stop_button.setEnabled(False)
        self.progress.setFormat("Failed")
        self._say(message, problem=True)

    # Handlers
    def _on_stop_clicked(self) -> None:
        self.show_stopping()
        self.stop_requested.emit()

    def _on_other_clicked(self) -> None:
        if self._other is not None:
            self.rate_chosen.emit(self._other)
            self.accept()

    def _on_use_clicked(self) -> None:
        if self._suggestion is not None:
            self.rate_chosen.emit(self._suggestion)
            self.accept()

    def done(self, result: int) -> None:  # noqa: D401 - Qt's name; every way of closing ends here
        self._redraw_timer.stop()
        super().done(result)
        self.closed.emit()

    def _say(self, text: str, problem: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c62828;" if problem else "")

    def _fit_loss_axis(self, losses: np.ndarray, smoothed: np.ndarray) -> None:
        """From just under the lowest loss to a little above the first: the explosion runs off the top."""
        finite = np.concatenate([losses[np.isfinite(losses)], smoothed[np.isfinite(smoothed)]])
        if len(finite) == 0:
            return
        low, high = float(finite.min()), max(float(finite[0]), float(finite.min())) * HEADROOM
        span = max(high - low, 1e-3)
        self.plot.setYRange(low - 0.05 * span, high, padding=0)


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.lr_finder
    import sys
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    rates = np.geomspace(1e-7, 10, 170)
    curve = 1.2 + 1.1 / (1 + np.exp(3 * (np.log10(rates) + 3.5))) + np.exp(3 * (np.log10(rates)))
    dialog = LRFinderDialog()
    dialog.begin("small-cnn · adamw · batch 128 · weight decay 0.0005 · on cpu", 1e-7, 10, current=0.01)
    # A stand-in for the engine's FinderResult: a view never imports the engine (and torch with it).
    dialog.show_result(SimpleNamespace(lrs=rates, losses=curve + np.random.default_rng(0).normal(0, 0.1, 170),  # type: ignore[arg-type]
                                       smoothed=curve,
                                       suggestion=3e-4, message="The smoothed loss fell fastest at 0.0003 (a preview).",
                                       stopped=False, seconds=5.0, rules={"steepest descent": 3e-4, "valley": 3e-3,
                                                                          "minimum / 10": 2e-2}),
                        "valley", "For a one-cycle schedule the rate is a peak reached once: …")
    dialog.show()
    sys.exit(app.exec())

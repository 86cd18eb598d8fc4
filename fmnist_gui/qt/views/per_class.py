"""Test accuracy of each class as bars, with the epoch before behind them to show what changed."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from fmnist_gui.qt.views.widgets import CORRECT_COLOR, WRONG_COLOR

EMPTY_HINT = "No evaluation yet: each class's test accuracy appears after the first epoch."
MISSING = "—"  # a class with no images in the data
MARGIN = 6.0
GAP = 6.0
BAR_COLOR = QColor(52, 115, 178)
PREVIOUS_COLOR = QColor(52, 115, 178, 90)
SMALLEST_CHANGE = 0.05  # percentage points; smaller changes show no marker


def _as_percentages(values: np.ndarray | None, count: int) -> np.ndarray | None:
    """A read-only float copy, checked to hold one value per class."""
    if values is None:
        return None
    array = np.array(values, dtype=float).reshape(-1)
    if array.shape != (count,):
        raise ValueError(f"expected {count} per-class accuracies, got {array.size}")
    array.setflags(write=False)
    return array


def change_text(current: float, previous: float | None) -> str:
    """"▲1.2" or "▼0.8" for a change in percentage points; empty when there is nothing to say."""
    if previous is None or not math.isfinite(current) or not math.isfinite(previous):
        return ""
    change = current - previous
    if abs(change) < SMALLEST_CHANGE:
        return ""
    return f"{'▲' if change > 0 else '▼'}{abs(change):.1f}"


class PerClassAccuracyView(QWidget):
    """One horizontal bar per class: the latest accuracy solid, the previous one faint behind it."""

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = tuple(class_names)
        self._current: np.ndarray | None = None
        self._previous: np.ndarray | None = None
        self._label: str | None = None
        self._previous_label: str | None = None
        self._hover: int | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(280, 220)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_accuracies(self, current: np.ndarray | None, previous: np.ndarray | None = None, label: str | None = None,
                       previous_label: str | None = None) -> None:
        """Per-class accuracy in percent (NaN for a class absent from the data); None clears the view.

        `label` names the evaluation ("Epoch 3", "Epoch 2 + 94 batches"), `previous_label` the faint one.
        """
        n = len(self.class_names)
        self._current = _as_percentages(current, n)
        self._previous = None if current is None else _as_percentages(previous, n)
        self._label, self._previous_label = label, previous_label
        self._hover = None
        self.setToolTip("")
        self.update()

    @property
    def current(self) -> np.ndarray | None:
        """The accuracies drawn solid (read-only), or None when the view is empty."""
        return self._current

    @property
    def previous(self) -> np.ndarray | None:
        """The accuracies drawn faint (read-only), or None."""
        return self._previous

    @property
    def label(self) -> str | None:
        return self._label

    @property
    def caption(self) -> str:
        """Which evaluation the bars show, and which one the faint bars are."""
        if self._current is None:
            return EMPTY_HINT
        faint = f" (faint: {self._previous_label or 'the one before'})" if self._previous is not None else ""
        return f"{self._label or 'Latest evaluation'}{faint}"

    def value_texts(self, index: int) -> tuple[str, str]:
        """The value and change marker a row shows, e.g. ("91.3%", "▲1.2"); "—" for a missing class."""
        if self._current is None:
            return "", ""
        value = float(self._current[index])
        previous = None if self._previous is None else float(self._previous[index])
        return (f"{value:.1f}%" if math.isfinite(value) else MISSING), change_text(value, previous)

    # --- geometry ------------------------------------------------------------------------------

    def _columns(self) -> tuple[float, float, float]:
        """x of the bars' 0%, their 100%, and the value text."""
        metrics = QFontMetricsF(self.font())
        names = max(metrics.horizontalAdvance(name) for name in self.class_names)
        values = metrics.horizontalAdvance("100.0%") + GAP + metrics.horizontalAdvance("▼10.0")
        left = MARGIN + names + GAP
        right = max(left + 10, self.width() - MARGIN - values - GAP)
        return left, right, right + GAP

    def _rows(self) -> tuple[float, float, float]:
        """y of the first row, the row pitch, and the bar thickness."""
        line = QFontMetricsF(self.font()).height()
        top = MARGIN + line + GAP
        bottom = self.height() - MARGIN - line - 2
        pitch = max(1.0, (bottom - top) / len(self.class_names))
        return top, pitch, min(0.6 * pitch, 2.5 * line)

    def _track(self, index: int) -> QRectF:
        """The row's full 0–100% bar area."""
        left, right, _ = self._columns()
        top, pitch, thickness = self._rows()
        return QRectF(left, top + index * pitch + (pitch - thickness) / 2, right - left, thickness)

    def bar_rect(self, index: int) -> QRectF:
        """The solid bar of one class; empty when there is no value."""
        track = self._track(index)
        value = float(self._current[index]) if self._current is not None else math.nan
        width = track.width() * min(100.0, max(0.0, value)) / 100 if math.isfinite(value) else 0.0
        return QRectF(track.left(), track.top(), width, track.height())

    def row_at(self, y: float) -> int | None:
        """The class whose row covers a height, or None."""
        top, pitch, _ = self._rows()
        row = math.floor((y - top) / pitch)
        return row if 0 <= row < len(self.class_names) else None

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(340, 280)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 360)

    # --- mouse ---------------------------------------------------------------------------------

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._on_hovered(None if self._current is None else self.row_at(event.position().y()))

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._on_hovered(None)

    def _on_hovered(self, row: int | None) -> None:
        if row == self._hover:
            return
        self._hover = row
        if row is None:
            self.setToolTip("")
            return
        value, _ = self.value_texts(row)
        text = f"{self.class_names[row]}: {value} of its test images right"
        if self._previous is not None:
            before = float(self._previous[row])
            text += f" (before: {before:.1f}%)" if math.isfinite(before) else f" (before: {MISSING})"
        self.setToolTip(text)

    # --- painting ------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        muted = self.palette().placeholderText().color()
        if self._current is None:
            painter.setPen(muted)
            painter.drawText(QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_HINT)
            return
        line = QFontMetricsF(self.font()).height()
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(MARGIN, MARGIN, self.width() - 2 * MARGIN, line), Qt.AlignmentFlag.AlignLeft, self.caption)
        self._paint_grid(painter)
        for index in range(len(self.class_names)):
            self._paint_row(painter, index)

    def _paint_grid(self, painter: QPainter) -> None:
        """Light vertical lines every 20%, labelled below (every 50% when space is short)."""
        metrics = QFontMetricsF(self.font())
        left, right, _ = self._columns()
        top, pitch, _ = self._rows()
        bottom = top + pitch * len(self.class_names)
        step = 20 if (right - left) / 5 >= metrics.horizontalAdvance("100%") + GAP else 50
        grid_color = QColor(self.palette().text().color())
        grid_color.setAlpha(40)
        for percent in range(0, 101, 10):
            x = left + (right - left) * percent / 100
            if percent % 20 == 0:
                painter.setPen(QPen(grid_color, 1))
                painter.drawLine(QPointF(x, top), QPointF(x, bottom))
            if percent % step == 0:
                painter.setPen(self.palette().placeholderText().color())
                label = QRectF(x - 30, bottom + 2, 60, metrics.height())
                painter.drawText(label, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, f"{percent}%")

    def _paint_row(self, painter: QPainter, index: int) -> None:
        metrics = QFontMetricsF(self.font())
        left, _, values = self._columns()
        track = self._track(index)
        text_row = QRectF(0, track.top(), self.width(), track.height())
        text_row.setTop(track.center().y() - metrics.height())  # text stays readable on thin bars
        text_row.setBottom(track.center().y() + metrics.height())
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(MARGIN, text_row.top(), left - GAP - MARGIN, text_row.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, self.class_names[index])
        previous = float(self._previous[index]) if self._previous is not None else math.nan
        if math.isfinite(previous):
            width = track.width() * min(100.0, max(0.0, previous)) / 100
            painter.fillRect(QRectF(track.left(), track.top(), width, track.height()), PREVIOUS_COLOR)
        painter.fillRect(self.bar_rect(index), BAR_COLOR)
        value, change = self.value_texts(index)
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(values, text_row.top(), self.width() - values, text_row.height()),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, value)
        if change:
            painter.setPen(CORRECT_COLOR if change.startswith("▲") else WRONG_COLOR)
            x = values + metrics.horizontalAdvance("100.0%") + GAP
            painter.drawText(QRectF(x, text_row.top(), self.width() - x, text_row.height()),
                             Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, change)


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.per_class
    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    view = PerClassAccuracyView(CLASS_NAMES)
    latest = np.array([86.2, 97.9, 86.1, 91.7, 86.1, 97.9, 72.1, 96.7, 97.7, 96.4])
    view.set_accuracies(latest, latest + np.array([-1.2, 0.3, 2.5, 0.0, -3.1, 0.4, -4.8, 0.6, 0.02, -0.9]), "Epoch 3", "epoch 2")
    view.resize(520, 380)
    view.show()
    app.exec()

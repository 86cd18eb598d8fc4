"""A tiny line of one image's probability of its label, epoch by epoch, painted with QPainter.

Shared by the suspects table (through its item delegate, so no widget per row) and the pinned
images; epochs where the image was forgotten are marked with red dots.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from fmnist_gui.qt.views.widgets import WRONG_COLOR

LINE_COLOR = QColor(33, 113, 181)
HALF_COLOR = QColor(160, 160, 160)
FORGOTTEN_DOT = 3.0  # radius in pixels


def sparkline_points(values: np.ndarray, rect: QRectF) -> list[QPointF | None]:
    """Each value (0 to 1) as a point in `rect`, epochs spread evenly; None where it is NaN (not seen)."""
    values = np.asarray(values, dtype=float)
    count = len(values)
    step = rect.width() / max(1, count - 1)
    x0 = rect.left() if count > 1 else rect.center().x()
    return [None if not np.isfinite(value) else
            QPointF(x0 + i * step, rect.bottom() - float(np.clip(value, 0.0, 1.0)) * rect.height())
            for i, value in enumerate(values)]


def paint_sparkline(painter: QPainter, rect: QRectF, values: np.ndarray, forgotten: np.ndarray | None = None,
                    color: QColor = LINE_COLOR) -> None:
    """The line in `rect` over a faint 50% guide; a dot on every epoch when there are few, red ones where forgotten."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    area = rect.adjusted(FORGOTTEN_DOT + 1, FORGOTTEN_DOT + 1, -FORGOTTEN_DOT - 1, -FORGOTTEN_DOT - 1)
    painter.setPen(QPen(HALF_COLOR, 1, Qt.PenStyle.DotLine))
    middle = area.center().y()
    painter.drawLine(QPointF(area.left(), middle), QPointF(area.right(), middle))
    points = sparkline_points(values, area)
    path = QPainterPath()
    drawing = False
    for point in points:  # a gap where the image was not seen
        if point is None:
            drawing = False
        elif drawing:
            path.lineTo(point)
        else:
            path.moveTo(point)
            drawing = True
    painter.setPen(QPen(color, 1.5))
    painter.drawPath(path)
    painter.setBrush(color)
    painter.setPen(Qt.PenStyle.NoPen)
    if len(points) <= 12:  # with few epochs the dots show where each one is
        for point in points:
            if point is not None:
                painter.drawEllipse(point, 1.8, 1.8)
    painter.setBrush(WRONG_COLOR)
    for epoch in (() if forgotten is None else forgotten):
        point = points[int(epoch)] if 0 <= int(epoch) < len(points) else None
        if point is not None:
            painter.drawEllipse(point, FORGOTTEN_DOT, FORGOTTEN_DOT)
    painter.restore()


class Sparkline(QWidget):
    """One sparkline as a widget, for the pinned images."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.values = np.zeros(0, dtype=np.float32)
        self.forgotten = np.zeros(0, dtype=np.int64)
        self.setMinimumSize(80, 36)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_values(self, values: np.ndarray, forgotten: np.ndarray | None = None) -> None:
        self.values = np.asarray(values, dtype=np.float32)
        self.forgotten = np.zeros(0, dtype=np.int64) if forgotten is None else np.asarray(forgotten, dtype=np.int64)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(160, 40)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if len(self.values):
            paint_sparkline(painter, QRectF(self.rect()), self.values, self.forgotten)

"""A pyqtgraph view box for point clouds: a left drag selects a rectangle in select mode (or with Shift)."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QGraphicsRectItem


class SelectingViewBox(pg.ViewBox):
    """Reports left clicks and, while `selecting` is on or Shift is held, the rectangle a drag draws;
    any other drag pans as usual. `band` shows the rectangle until the owner hides it."""

    clicked = Signal(QPointF)  # in data coordinates
    rectangle_drawn = Signal(QRectF)  # in data coordinates, when the drag ends

    def __init__(self) -> None:
        super().__init__()
        self.selecting = False
        self.band = QGraphicsRectItem(0, 0, 1, 1)
        self.band.setPen(pg.mkPen((30, 30, 30), width=1, style=Qt.PenStyle.DashLine, cosmetic=True))
        self.band.setBrush(QBrush(QColor(30, 136, 229, 40)))
        self.band.setZValue(1e9)
        self.band.hide()
        self.addItem(self.band, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802, ANN001 - pyqtgraph's name
        shift = bool(ev.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if ev.button() != Qt.MouseButton.LeftButton or not (self.selecting or shift):
            super().mouseDragEvent(ev, axis)
            return
        ev.accept()
        rect = QRectF(self.mapToView(ev.buttonDownPos()), self.mapToView(ev.pos())).normalized()
        self.band.setRect(rect)
        self.band.show()
        if ev.isFinish():
            self.rectangle_drawn.emit(rect)

    def mouseClickEvent(self, ev) -> None:  # noqa: N802, ANN001 - pyqtgraph's name
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.clicked.emit(self.mapToView(ev.pos()))
        else:
            super().mouseClickEvent(ev)

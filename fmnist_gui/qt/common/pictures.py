"""A widget as a PNG picture or an SVG drawing: what File → Export and the Sweeps workspace write."""

from __future__ import annotations

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPoint, QRect, QSize
from PySide6.QtGui import QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import QWidget

PNG = "PNG pictures (*.png)"
SVG = "SVG drawings (*.svg)"
CSV = "CSV tables (*.csv)"


def widget_png(widget: QWidget) -> bytes:
    """What the widget shows, as PNG bytes."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    widget.grab().save(buffer, "PNG")
    return bytes(data.data())


def widget_svg(widget: QWidget, title: str) -> bytes:
    """The widget drawn as vector graphics through QSvgGenerator (pyqtgraph's own SVG exporter has broken before)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    generator = QSvgGenerator()
    generator.setOutputDevice(buffer)
    generator.setSize(QSize(widget.width(), widget.height()))
    generator.setViewBox(QRect(0, 0, widget.width(), widget.height()))
    generator.setTitle(title)
    painter = QPainter(generator)
    try:
        widget.render(painter, QPoint(0, 0))
    finally:
        painter.end()
    return bytes(data.data())


def widget_picture(widget: QWidget, path: str, title: str) -> bytes:
    """PNG or SVG by the path's suffix."""
    return widget_svg(widget, title) if path.lower().endswith(".svg") else widget_png(widget)

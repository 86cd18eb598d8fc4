"""Tens of thousands of same-coloured points in a pyqtgraph plot, drawn as one batch of pixel squares.

pyqtgraph's ScatterPlotItem keeps a record per point (symbol, size, pen, brush, atlas rectangle)
and spends about half a second building them for 60,000 points, which a data map redrawn at
every epoch's end cannot afford on the GUI thread. This item keeps two numpy arrays: `setData`
costs a min and a max, and a paint maps the points to pixels with numpy and hands them to
`QPainter.drawPixmapFragments` in one call.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from pyqtgraph.Qt.internals import PrimitiveArray
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPainter, QPixmap


class PointCloud(pg.GraphicsObject):
    """Points of one colour and one size in pixels, whatever the zoom."""

    def __init__(self, color: QColor, size: int = 3) -> None:
        super().__init__()
        self.color, self.size = QColor(color), size
        self.x = self.y = np.zeros(0, dtype=np.float64)
        self._bounds: tuple[float, float, float, float] | None = None  # x min, x max, y min, y max
        self._pixmap: QPixmap | None = None
        self._fragments = PrimitiveArray(QPainter.PixmapFragment, 10)

    def setData(self, x: np.ndarray, y: np.ndarray) -> None:  # noqa: N802 - pyqtgraph's name
        self.prepareGeometryChange()
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)
        if len(self.x):
            self._bounds = (float(self.x.min()), float(self.x.max()), float(self.y.min()), float(self.y.max()))
        else:
            self._bounds = None
        self.informViewBoundsChanged()
        self.update()

    def __len__(self) -> int:
        return len(self.x)

    def dataBounds(self, ax: int, frac: float = 1.0, orthoRange=None):  # noqa: N802, N803, ANN001, ANN201 - pyqtgraph's names
        if self._bounds is None:
            return (None, None)
        return self._bounds[0:2] if ax == 0 else self._bounds[2:4]

    def pixelPadding(self) -> float:  # noqa: N802 - pyqtgraph's name
        return self.size / 2 + 1

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        if self._bounds is None:
            return QRectF()
        left, right, bottom, top = self._bounds
        pixel_x, pixel_y = self.pixelVectors()
        pad_x = 0.0 if pixel_x is None else pixel_x.length() * self.pixelPadding()
        pad_y = 0.0 if pixel_y is None else pixel_y.length() * self.pixelPadding()
        return QRectF(left - pad_x, bottom - pad_y, right - left + 2 * pad_x, top - bottom + 2 * pad_y)

    def paint(self, painter: QPainter, option, widget=None) -> None:  # noqa: ANN001 - Qt's signature
        if not len(self.x):
            return
        transform = painter.transform()
        px = transform.m11() * self.x + transform.m21() * self.y + transform.dx()
        py = transform.m12() * self.x + transform.m22() * self.y + transform.dy()
        device = painter.device()
        margin = self.size
        keep = (px > -margin) & (px < device.width() + margin) & (py > -margin) & (py < device.height() + margin)
        count = int(keep.sum())
        if not count:
            return
        ratio = widget.devicePixelRatioF() if widget is not None else 1.0
        pixmap = self._symbol(ratio)
        self._fragments.resize(count)
        fragments = self._fragments.ndarray()
        fragments[:, 0] = px[keep]
        fragments[:, 1] = py[keep]
        fragments[:, 2:6] = (0, 0, pixmap.width(), pixmap.height())  # the whole pixmap
        fragments[:, 6:10] = (1 / ratio, 1 / ratio, 0.0, 1.0)  # scale, rotation, opacity
        painter.resetTransform()
        array, length = self._fragments.drawargs()  # the C array and its length, as Qt takes them
        painter.drawPixmapFragments(array, length, pixmap)

    def _symbol(self, ratio: float) -> QPixmap:
        if self._pixmap is None or self._pixmap.devicePixelRatio() != ratio:
            side = max(1, round(self.size * ratio))
            pixmap = QPixmap(side, side)
            pixmap.fill(self.color)
            pixmap.setDevicePixelRatio(ratio)
            self._pixmap = pixmap
        return self._pixmap

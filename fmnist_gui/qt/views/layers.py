"""Inside the layers: the first layer's weights as pictures, and each layer's answer to the inspected image.

Each grid is one mosaic image (numpy tiles, one QImage), scaled with square pixels to the
dock's width: 512 weight pictures cost one paint, not 512 widgets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

if TYPE_CHECKING:  # the records only: a view never imports torch
    from fmnist_gui.engine.layers import Activation, FirstLayer

MAX_CHANNELS = 32  # feature maps shown per layer: enough to see what a layer does
GAP = 1  # pixels between tiles, at the tiles' own scale
BACKGROUND = (235, 235, 235)
# Diverging weights: negative blue, zero white, positive red (ColorBrewer RdBu ends).
NEGATIVE, ZERO, POSITIVE = np.array((33, 102, 172)), np.array((247, 247, 247)), np.array((178, 24, 43))
# Activations: black (silent) through red and orange to pale yellow (strongest).
HEAT_STOPS = np.array(((0, 0, 0), (120, 20, 30), (220, 80, 20), (250, 190, 40), (255, 255, 200)), dtype=float)


def diverging(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] -> uint8 RGB, blue through white to red."""
    t = np.clip(values, -1.0, 1.0)[..., None]
    colours = np.where(t < 0, ZERO + (ZERO - NEGATIVE) * t, ZERO + (POSITIVE - ZERO) * t)
    return np.rint(colours).astype(np.uint8)


def heat(values: np.ndarray) -> np.ndarray:
    """Values in [0, 1] -> uint8 RGB along HEAT_STOPS."""
    position = np.clip(values, 0.0, 1.0) * (len(HEAT_STOPS) - 1)
    low = np.minimum(position.astype(int), len(HEAT_STOPS) - 2)
    t = (position - low)[..., None]
    return np.rint(HEAT_STOPS[low] * (1 - t) + HEAT_STOPS[low + 1] * t).astype(np.uint8)


def per_tile_scaled(tiles: np.ndarray, signed: bool) -> np.ndarray:
    """Each tile divided by its own largest magnitude: every filter or map uses the whole colour range."""
    peaks = np.abs(tiles).reshape(len(tiles), -1).max(axis=1) if len(tiles) else np.zeros(0)
    scaled = tiles / np.where(peaks > 0, peaks, 1.0)[:, None, None]
    return scaled if signed else np.clip(scaled, 0.0, 1.0)


def mosaic(tiles: np.ndarray, columns: int) -> np.ndarray:
    """(K, h, w, 3) uint8 tiles -> one (H, W, 3) image, `columns` to a row, GAP pixels apart."""
    count, height, width = tiles.shape[:3]
    if count == 0:
        return np.zeros((0, 0, 3), dtype=np.uint8)
    columns = max(1, min(columns, count))
    rows = -(-count // columns)
    image = np.empty((rows * (height + GAP) - GAP, columns * (width + GAP) - GAP, 3), dtype=np.uint8)
    image[:] = BACKGROUND
    for k in range(count):
        top, left = (k // columns) * (height + GAP), (k % columns) * (width + GAP)
        image[top : top + height, left : left + width] = tiles[k]
    return image


class MosaicView(QWidget):
    """One RGB image scaled to the widget's width with square pixels, at most `max_tile` pixels a tile."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._max_zoom = 1.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_mosaic(self, rgb: np.ndarray | None, tile_side: int = 1, max_tile: int = 1) -> None:
        """An (H, W, 3) uint8 image, or None (or an empty one) for nothing."""
        if rgb is None or rgb.size == 0:
            self._image = None
        else:
            data = np.ascontiguousarray(rgb, dtype=np.uint8)
            height, width = data.shape[:2]
            self._image = QImage(data.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
        self._max_zoom = max(1.0, max_tile / max(1, tile_side))
        self._fit_height()
        self.update()

    def _zoom(self) -> float:
        if self._image is None:
            return 1.0
        return min(self._max_zoom, max(0.25, self.width() / self._image.width()))

    def _fit_height(self) -> None:
        height = 0 if self._image is None else int(np.ceil(self._image.height() * self._zoom()))
        if height != self.minimumHeight() or height != self.maximumHeight():
            self.setFixedHeight(height)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_height()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._image is None:
            return
        zoom = self._zoom()
        painter = QPainter(self)
        painter.drawImage(QRectF(0, 0, self._image.width() * zoom, self._image.height() * zoom), self._image)


class LayersView(QWidget):
    """The pictures it is given, in a scrollable column: first-layer weights, then one grid per layer."""

    shown_changed = Signal(bool)  # the dock's tab came to the front (True) or went behind

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.shown = True
        self.filters_caption = QLabel("Train a model or open a checkpoint to see its first layer.")
        self.filters_caption.setWordWrap(True)
        self.filters = MosaicView()
        self.activations_caption = QLabel()
        self.activations_caption.setWordWrap(True)
        self.activations_caption.setTextFormat(Qt.TextFormat.RichText)
        self.layer_rows: list[tuple[QLabel, MosaicView]] = []
        content = QWidget()
        self._column = QVBoxLayout(content)
        for widget in (self.filters_caption, self.filters, self.activations_caption):
            self._column.addWidget(widget)
        self._column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(scroll)
        self.show_activations(None, ())

    def set_shown(self, shown: bool) -> None:
        """Told by the dock: a tab that is not the current one reports False."""
        self.shown = shown
        self.shown_changed.emit(shown)

    def clear(self, text: str) -> None:
        self.filters_caption.setText(text)
        self.filters.set_mosaic(None)
        self.filters.hide()
        self.show_activations(None, ())

    def show_first_layer(self, first: FirstLayer) -> None:
        """Convolution kernels or the MLP's first-layer weights, blue negative and red positive."""
        weights = np.asarray(first.weights, dtype=np.float64)
        count, side = len(weights), weights.shape[1]
        if first.kind == "conv":
            text = (f"First convolution: its {count} filters ({side}x{side}), each scaled to its own largest weight. "
                    "Red adds where the image is bright, blue subtracts.")
            columns, max_tile = 16, 44
        else:
            text = (f"First layer: each of its {count} units' 784 weights as a 28x28 picture, scaled per unit. "
                    "Red pixels raise the unit, blue ones lower it: the shapes it looks for.")
            columns, max_tile = 24, 56  # about the weights' own size in a dock beside the curves
        self.filters_caption.setText(text)
        self.filters.set_mosaic(mosaic(diverging(per_tile_scaled(weights, signed=True)), columns), side, max_tile)
        self.filters.show()

    def show_activations(self, title: str | None, activations: tuple[Activation, ...]) -> None:
        """Each layer's feature maps (or hidden units) for one image; no title: none inspected."""
        for label, view in self.layer_rows:
            for widget in (label, view):
                self._column.removeWidget(widget)
                widget.deleteLater()
        self.layer_rows = []
        if title is None:
            self.activations_caption.setText("Click an image (in the samples, a gallery or the projector) to see "
                                             "how each layer answers it.")
            return
        self.activations_caption.setText(f"<b>{title}</b>: what each layer passes on (after its ReLU)")
        for activation in activations:
            label, view = QLabel(), MosaicView()
            label.setWordWrap(True)
            values = np.asarray(activation.values, dtype=np.float64)
            if values.ndim == 3:
                shown = values[:MAX_CHANNELS]
                more = f", the first {len(shown)} shown" if len(values) > len(shown) else ""
                silent = int((values.reshape(len(values), -1).max(axis=1) <= 0).sum())
                label.setText(f"{activation.name}: {len(values)} feature maps of {values.shape[1]}x{values.shape[2]}{more}; "
                              f"each scaled to its own peak, {silent} silent (black).")
                view.set_mosaic(mosaic(heat(per_tile_scaled(shown, signed=False)), 16), values.shape[1], 72)
            else:
                peak = float(values.max()) if len(values) else 0.0
                active = int((values > 0).sum())
                label.setText(f"{activation.name}: {len(values)} units, {active} active; brightest = strongest ({peak:.2f}).")
                cells = heat(values / peak if peak > 0 else values)[:, None, None, :]
                view.set_mosaic(mosaic(cells, 64), 1, 14)
            index = self._column.count() - 1  # before the stretch
            self._column.insertWidget(index, label)
            self._column.insertWidget(index + 1, view)
            self.layer_rows.append((label, view))


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.layers
    from types import SimpleNamespace

    from PySide6.QtWidgets import QApplication

    app = QApplication([])
    rng = np.random.default_rng(0)
    view = LayersView()
    # Stand-ins for the engine's records: a view never imports the engine (and torch with it).
    view.show_first_layer(SimpleNamespace(kind="conv", weights=rng.normal(size=(16, 3, 3))))  # type: ignore[arg-type]
    view.show_activations("Test image #0 (Ankle boot)", (  # type: ignore[arg-type]
        SimpleNamespace(name="Convolution 1", values=np.maximum(0, rng.normal(size=(16, 28, 28)))),
        SimpleNamespace(name="Hidden layer 1", values=np.maximum(0, rng.normal(size=128))),
    ))
    view.resize(700, 800)
    view.show()
    app.exec()

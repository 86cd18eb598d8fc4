"""The embedding projector: every test image as a point where the model's features put it.

One scatter item per class (one brush each, pixel-sized points) and one for the mistakes keep
10,000 points smooth to pan and zoom; no point is a Python object. Hover and click find the
nearest point with numpy in screen pixels; a rectangle (Select, or shift-drag) lists its
images in a gallery below.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QProgressBar, QSplitter,
                               QToolButton, QVBoxLayout, QWidget)

from fmnist_gui.qt.state.predictions import Predictions, Split
from fmnist_gui.qt.views.gallery import ImageGallery
from fmnist_gui.qt.views.widgets import ImageView
from fmnist_gui.qt.views.selecting_view_box import SelectingViewBox

# Ten colours told apart by most eyes (Tableau 10), one per true class.
CLASS_COLORS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
POINT_SIZE = 4  # pixels, whatever the zoom
MISTAKE_SIZE = 7
PICK_RADIUS = 8  # pixels: how near the pointer a point must be to be hovered or clicked
NEIGHBOURS = 50  # a clicked point opens the inspector with its nearest points to step through


def legend_html(class_names: tuple[str, ...]) -> str:
    swatches = (f"<span style='color:rgb{color}'>&#9632;</span>&nbsp;{name}" for name, color in zip(class_names, CLASS_COLORS))
    return "&nbsp;&nbsp; ".join(swatches)


class ProjectorView(QWidget):
    """Draws the points it is given; asks for another method, and reports the images chosen."""

    image_chosen = Signal(str, object, int)  # split name, dataset indices, position: for the inspector
    method_chosen = Signal(str)  # a key of the methods given to set_methods
    shown_changed = Signal(bool)  # the dock's tab came to the front (True) or went behind

    def __init__(self, predictions: Predictions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = predictions.class_names
        self.shown = True
        self.split: Split | None = None
        self.coordinates = np.zeros((0, 2), dtype=np.float64)
        self.predicted = np.zeros(0, dtype=np.int64)
        self.hovered: int | None = None

        self.method = QComboBox()
        self.method.setToolTip("How the features are laid out on the plane")
        self.select_button = QToolButton()
        self.select_button.setText("Select")
        self.select_button.setCheckable(True)
        self.select_button.setToolTip("Drag a rectangle to list its images below (shift-drag does it too)")
        self.mistakes_toggle = QCheckBox("Mark mistakes")
        self.mistakes_toggle.setChecked(True)
        self.mistakes_toggle.setToolTip("Ring the images the model gets wrong")
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setMaximumWidth(160)
        self.progress.hide()
        top = QHBoxLayout()
        top.addWidget(QLabel("Layout"))
        for widget in (self.method, self.select_button, self.mistakes_toggle):
            top.addWidget(widget)
        top.addWidget(self.status, 1)
        top.addWidget(self.progress)

        self.view_box = SelectingViewBox()
        self.plot = pg.PlotWidget(viewBox=self.view_box)
        self.plot.setBackground("w")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setAspectLocked(False)
        self.class_items = [pg.ScatterPlotItem(pxMode=True, size=POINT_SIZE, pen=None, brush=pg.mkBrush(*color, 190),
                                               hoverable=False) for color in CLASS_COLORS]
        self.mistake_item = pg.ScatterPlotItem(pxMode=True, size=MISTAKE_SIZE, symbol="o", brush=None,
                                               pen=pg.mkPen((20, 20, 20, 110), width=1), hoverable=False)
        self.hover_item = pg.ScatterPlotItem(pxMode=True, size=14, symbol="o", brush=None, pen=pg.mkPen("k", width=2))
        for item in (*self.class_items, self.mistake_item, self.hover_item):
            self.plot.addItem(item)

        self.hover_image = ImageView(minimum=84)
        self.hover_image.setMaximumSize(120, 120)
        self.hover_image.hide()  # until a point is hovered
        self.hover_text = QLabel("Point at a dot to see its image; click it to inspect it.")
        self.hover_text.setWordWrap(True)
        self.hover_text.setTextFormat(Qt.TextFormat.RichText)
        self.hover_text.setMinimumWidth(150)
        self.legend = QLabel(legend_html(self.class_names))
        self.legend.setWordWrap(True)
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        side = QVBoxLayout()
        side.addWidget(self.hover_image, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.hover_text)
        side.addStretch(1)
        side_box = QWidget()
        side_box.setLayout(side)
        side_box.setMaximumWidth(190)
        upper = QWidget()
        upper_layout = QHBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.plot, 1)
        upper_layout.addWidget(side_box)

        self.selection_caption = QLabel("Select a rectangle of points to list their images here.")
        self.selection_caption.setWordWrap(True)
        self.gallery = ImageGallery(self.class_names)
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.selection_caption)
        lower_layout.addWidget(self.gallery, 1)
        self.gallery.setMinimumHeight(self.gallery.gridSize().height() + 8)  # one whole row of thumbnails and captions
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(upper)
        self.splitter.addWidget(lower)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.legend)
        layout.addWidget(self.splitter, 1)

        self.method.currentIndexChanged.connect(lambda: self.method_chosen.emit(self.method.currentData()))
        self.select_button.toggled.connect(self._on_select_toggled)
        self.mistakes_toggle.toggled.connect(self.mistake_item.setVisible)
        self.view_box.rectangle_drawn.connect(self.select_rectangle)
        self.plot.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.plot.scene().sigMouseClicked.connect(self._on_mouse_clicked)
        self.gallery.row_activated.connect(self._on_gallery_row)

    # Data in
    def set_methods(self, methods: list[tuple[str, str, bool, str]]) -> None:
        """(key, label, available, hint) per method; an unavailable one is listed but cannot be chosen."""
        self.method.blockSignals(True)
        self.method.clear()
        model = self.method.model()
        for row, (key, label, available, hint) in enumerate(methods):
            self.method.addItem(label if available else f"{label} (not installed)", key)
            if not available:
                if isinstance(model, QStandardItemModel):
                    model.item(row).setEnabled(False)
                self.method.setItemData(row, hint, Qt.ItemDataRole.ToolTipRole)
        self.method.blockSignals(False)

    @property
    def current_method(self) -> str:
        return self.method.currentData()

    def is_method_enabled(self, key: str) -> bool:
        row = self.method.findData(key)
        model = self.method.model()
        return row >= 0 and (not isinstance(model, QStandardItemModel) or model.item(row).isEnabled())

    def set_points(self, split: Split, coordinates: np.ndarray, predicted: np.ndarray, axis_names: tuple[str, str] | None) -> None:
        """Point i at coordinates[i], coloured by split.labels[i]; rings where predicted[i] is wrong."""
        self.split = split
        self.coordinates = np.asarray(coordinates, dtype=np.float64)
        self.predicted = np.asarray(predicted, dtype=np.int64)
        labels = split.labels
        x, y = self.coordinates[:, 0], self.coordinates[:, 1]
        for number, item in enumerate(self.class_items):
            mine = labels == number
            item.setData(x=x[mine], y=y[mine])
        wrong = self.predicted != labels
        self.mistake_item.setData(x=x[wrong], y=y[wrong])
        self._set_hovered(None)
        self.view_box.band.hide()
        for axis, name in zip(("bottom", "left"), axis_names or ("", "")):
            self.plot.setLabel(axis, name)  # this shows the axis: hide it after, when it means nothing (t-SNE)
            self.plot.getPlotItem().showAxis(axis, bool(axis_names))
        self.view_box.autoRange(padding=0.03)

    def clear(self, text: str) -> None:
        self.split = None
        self.coordinates = np.zeros((0, 2))
        self.predicted = np.zeros(0, dtype=np.int64)
        for item in (*self.class_items, self.mistake_item):
            item.setData(x=[], y=[])
        self._set_hovered(None)
        self.gallery.gallery_model.set_items(None, np.zeros(0, dtype=np.int64))
        self.selection_caption.setText("Select a rectangle of points to list their images here.")
        self.set_status(text)

    def set_status(self, text: str, fraction: float | None = None) -> None:
        """A line about what is shown or being computed; a fraction shows the progress bar."""
        self.status.setText(text)
        self.progress.setVisible(fraction is not None)
        if fraction is not None:
            self.progress.setValue(int(100 * fraction))

    def set_shown(self, shown: bool) -> None:
        """Told by the dock: a tab that is not the current one reports False."""
        self.shown = shown
        self.shown_changed.emit(shown)

    # Picking points
    def nearest(self, scene_position: QPointF, count: int = 1) -> np.ndarray:
        """Indices of the `count` points nearest a scene position, within PICK_RADIUS pixels; maybe none."""
        if not len(self.coordinates) or not self.view_box.sceneBoundingRect().contains(scene_position):
            return np.zeros(0, dtype=np.int64)
        where = self.view_box.mapSceneToView(scene_position)
        pixel = self.view_box.viewPixelSize()
        dx = (self.coordinates[:, 0] - where.x()) / max(pixel[0], 1e-12)
        dy = (self.coordinates[:, 1] - where.y()) / max(pixel[1], 1e-12)
        distances = dx * dx + dy * dy
        closest = int(np.argmin(distances))
        if distances[closest] > PICK_RADIUS**2:
            return np.zeros(0, dtype=np.int64)
        if count == 1:
            return np.array([closest])
        near = np.argpartition(distances, min(count, len(distances) - 1))[:count]
        return near[np.argsort(distances[near], kind="stable")]

    def select_rectangle(self, rect: QRectF) -> None:
        """List the images whose points lie in `rect` (view coordinates) in the gallery."""
        if self.split is None:
            return
        x, y = self.coordinates[:, 0], self.coordinates[:, 1]
        inside = np.flatnonzero((x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom()))
        self.gallery.gallery_model.set_items(self.split, inside)
        wrong = int((self.predicted[inside] != self.split.labels[inside]).sum())
        counts = np.bincount(self.split.labels[inside], minlength=len(self.class_names))
        common = ", ".join(f"{self.class_names[c]} {counts[c]:,}" for c in np.argsort(-counts, kind="stable")[:3] if counts[c])
        self.selection_caption.setText(
            f"{len(inside):,} images selected, {wrong:,} of them predicted wrong" + (f" ({common})" if common else "")
            + ". Click one to inspect it." if len(inside) else "No points in that rectangle.")

    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        found = self.nearest(scene_position)
        index = int(found[0]) if len(found) else None
        if index != self.hovered:  # most moves stay on the same dot or on none: nothing to redraw
            self._set_hovered(index)

    def _on_mouse_clicked(self, event) -> None:  # noqa: ANN001 - pyqtgraph's MouseClickEvent
        if event.button() != Qt.MouseButton.LeftButton or self.split is None:
            return
        near = self.nearest(event.scenePos(), NEIGHBOURS)
        if len(near):
            event.accept()
            self.image_chosen.emit(self.split.name, near, 0)

    def _set_hovered(self, index: int | None) -> None:
        self.hovered = index
        if index is None or self.split is None:
            self.hover_item.setData(x=[], y=[])
            return
        self.hover_item.setData(x=[self.coordinates[index, 0]], y=[self.coordinates[index, 1]])
        self.hover_image.set_image(self.split.images[index])
        self.hover_image.show()
        true, predicted = int(self.split.labels[index]), int(self.predicted[index])
        verdict = "right" if true == predicted else "<span style='color:#c62828'>wrong</span>"
        self.hover_text.setText(f"Test image #{index}<br>true: <b>{self.class_names[true]}</b><br>"
                                f"predicted: <b>{self.class_names[predicted]}</b>, {verdict}")

    def _on_select_toggled(self, on: bool) -> None:
        self.view_box.selecting = on

    def _on_gallery_row(self, row: int) -> None:
        model = self.gallery.gallery_model
        if model.split is not None:
            self.image_chosen.emit(model.split.name, model.indices, row)


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.projector
    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 10_000)
    centres = rng.normal(0, 6, (10, 2))
    points = centres[labels] + rng.normal(0, 1.5, (10_000, 2))
    predictions = Predictions(CLASS_NAMES)
    predictions.set_data(rng.integers(0, 255, (10_000, 28, 28), dtype=np.uint8), labels, np.zeros((0, 28, 28), np.uint8), labels[:0])
    view = ProjectorView(predictions)
    view.set_methods([("pca", "PCA", True, ""), ("tsne", "t-SNE", False, "pip install 'fmnist-gui[tsne]'")])
    assert predictions.test is not None  # set just above
    view.set_points(predictions.test, points, np.where(rng.random(10_000) < 0.1, (labels + 1) % 10, labels), ("PC 1", "PC 2"))
    view.resize(900, 700)
    view.show()
    app.exec()

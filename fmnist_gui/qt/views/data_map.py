"""The data map: every training image placed by how steadily (x) and how confidently (y) it was learned.

Dataset Cartography's picture of a training set, drawn from `DynamicsModel.summary`. One
point cloud per correctness bin, each of one colour, filled with numpy arrays: 60,000 points
fill, pan and zoom without a Python object per point. Hovering shows an image and its
numbers, a click inspects it, a rectangle (Select, or Shift+drag) lists its images below.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPixmap
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QSplitter, QStackedWidget, QToolButton,
                               QVBoxLayout, QWidget)

from fmnist_gui.dynamics.derive import AMBIGUOUS_VARIABILITY, EASY_CONFIDENCE, Region
from fmnist_gui.formats import counted
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.views.gallery import ImageGallery, class_filter
from fmnist_gui.qt.views.point_cloud import PointCloud
from fmnist_gui.qt.views.widgets import gray_to_qimage
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.selecting_view_box import SelectingViewBox

# Share of its epochs an image was predicted as labelled: upper edges of the colour bins (the last is "always").
BIN_EDGES = (0.2, 0.4, 0.6, 0.8, 1.0)
BIN_NAMES = ("0–19%", "20–39%", "40–59%", "60–79%", "80–99%", "100%")
# Red (rarely right) through amber and green to blue (always right); dark enough on white.
BIN_COLORS = ((214, 39, 40), (245, 124, 0), (205, 160, 0), (110, 170, 50), (0, 150, 136), (40, 90, 190))
POINT_ALPHA = 150  # dense regions read as darker
POINT_SIZE = 3  # pixels
HOVER_RADIUS = 8  # pixels: how near the pointer a point must be to count as under it
HOVER_INTERVAL_MS = 40  # at most this often a nearest point is looked for while the pointer moves
HOVER_THUMBNAIL = 84
EMPTY_TEXT = ("No data map yet.\n\nTrain a model: the map fills in at the end of each epoch, one point per training "
              "image.\nOr open a checkpoint of a recorded run (Runs tab, or File → Open) to see how its images were learned.")


def correctness_bins(correctness: np.ndarray) -> np.ndarray:
    """(N,) bin numbers 0..len(BIN_NAMES)-1; a tolerance keeps 3 of 5 epochs (0.6 in float32) in its bin."""
    return np.searchsorted(np.asarray(BIN_EDGES), np.asarray(correctness, dtype=np.float64) + 1e-6, side="right")


class _HoverCard(QFrame):
    """A small card over the plot: the image under the pointer and its numbers."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setStyleSheet("_HoverCard { background: #fffffff0; border: 1px solid #9e9e9e; border-radius: 4px; }")
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.picture = QLabel()
        self.picture.setFixedSize(HOVER_THUMBNAIL, HOVER_THUMBNAIL)
        self.text = QLabel()
        self.text.setTextFormat(Qt.TextFormat.RichText)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 6, 8, 6)
        layout.addWidget(self.picture)
        layout.addWidget(self.text)
        self.hide()


class DataMapView(RedrawWhenShown, QWidget):
    """Shows the data map of the dynamics on screen; asks for images to be inspected or pinned."""

    image_chosen = Signal(str, object, int)  # split name, dataset indices listed, position chosen
    pin_requested = Signal(str, int)  # split name, dataset index

    def __init__(self, predictions: Predictions, dynamics: DynamicsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions, self.dynamics = predictions, dynamics
        names = predictions.class_names
        # Everything drawn, by training-set position; `visible` are the positions drawn now (class filter).
        self.variability = self.confidence = np.zeros(0, dtype=np.float32)
        self.visible = np.zeros(0, dtype=np.int64)
        self.selected = np.zeros(0, dtype=np.int64)
        self._selection: QRectF | None = None
        self._hovered: int | None = None
        self._pointer: QPointF | None = None  # the last pointer position in scene coordinates, not yet looked at

        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.class_choice = class_filter("all classes", names, "Show only the images labelled as this class")
        self.select_button = QToolButton()
        self.select_button.setText("Select")
        self.select_button.setCheckable(True)
        self.select_button.setToolTip("Drag a rectangle over the map to list its images below (or hold Shift and drag)")
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(QLabel("Class"))
        top.addWidget(self.class_choice)
        top.addWidget(self.select_button)

        self.view_box = SelectingViewBox()
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box, background="w")
        self.plot = self.plot_widget.getPlotItem()
        self.plot.setLabel("bottom", "variability: spread of the label's probability")
        self.plot.setLabel("left", "confidence: mean probability of the label")
        for axis in ("bottom", "left"):
            self.plot.getAxis(axis).enableAutoSIPrefix(False)  # "0.25", not "250 (x0.001)"
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.view_box.setLimits(xMin=-0.05, xMax=0.6, yMin=-0.05, yMax=1.05)
        self.bins = [PointCloud(QColor(*color, POINT_ALPHA), POINT_SIZE) for color in BIN_COLORS]
        for number, item in enumerate(self.bins):
            item.setZValue(len(self.bins) - number)  # the rarely-right few on top of the always-right many
            self.plot.addItem(item)
        # Images the run set aside (a label fix set): placed by the model's view of them at each epoch's end,
        # drawn hollow, apart from the images it trained on.
        self.set_aside_points = pg.ScatterPlotItem(pxMode=True, size=6, pen=pg.mkPen(90, 90, 90, 220), brush=None)
        self.set_aside_points.setZValue(len(self.bins) + 1)
        self.plot.addItem(self.set_aside_points)
        self._set_aside = np.zeros(0, dtype=bool)
        self.hover_marker = pg.ScatterPlotItem(pxMode=True, size=11, pen=pg.mkPen("k", width=2), brush=None)
        self.hover_marker.setZValue(100)
        self.plot.addItem(self.hover_marker)
        self._add_regions()
        self.legend = QLabel(self._legend_text())
        self.legend.setToolTip("The colour of a point: in how many of the epochs it was seen in the model predicted its label")
        self.legend.setTextFormat(Qt.TextFormat.RichText)
        self.legend.setWordWrap(True)
        self.hover_card = _HoverCard(self.plot_widget)

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setStyleSheet("color: #555; padding: 24px;")
        map_page = QWidget()
        map_layout = QVBoxLayout(map_page)
        map_layout.setContentsMargins(0, 0, 0, 0)
        map_layout.addWidget(self.plot_widget, 1)
        map_layout.addWidget(self.legend)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(map_page)

        self.gallery_caption = QLabel()
        self.gallery_caption.setWordWrap(True)
        self.gallery = ImageGallery(names)
        selection_page = QWidget()
        selection_layout = QVBoxLayout(selection_page)
        selection_layout.setContentsMargins(0, 0, 0, 0)
        selection_layout.addWidget(self.gallery_caption)
        selection_layout.addWidget(self.gallery, 1)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.pages)
        splitter.addWidget(selection_page)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        self.gallery.setMinimumHeight(self.gallery.gridSize().height() + 8)  # one whole row at least
        splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)

        self._hover_timer = QTimer(self)
        self._hover_timer.setSingleShot(True)
        self._hover_timer.setInterval(HOVER_INTERVAL_MS)
        self._hover_timer.timeout.connect(self._on_hover_due)
        self.plot_widget.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.view_box.clicked.connect(self._on_clicked)
        self.view_box.rectangle_drawn.connect(self.select_rectangle)
        self.view_box.sigRangeChanged.connect(lambda *_: self._hide_hover())
        self.select_button.toggled.connect(self._on_select_toggled)
        self.class_choice.currentIndexChanged.connect(self._on_class_changed)
        self.gallery.row_activated.connect(self._on_gallery_row)
        self.gallery.pin_requested.connect(self.pin_requested)
        dynamics.changed.connect(self.refresh)
        predictions.data_changed.connect(self.refresh)
        self.refresh()

    # Data in
    @property
    def class_shown(self) -> int:
        """The class the map is filtered to, or -1 for all."""
        return int(self.class_choice.currentData())

    def nearest(self, x: float, y: float, radius: float = HOVER_RADIUS) -> int | None:
        """The training-set position of the drawn point nearest (x, y), if within `radius` pixels."""
        if not len(self.visible):
            return None
        width, height = self.view_box.viewPixelSize()  # data units per pixel
        dx = (self.variability[self.visible] - x) / max(width, 1e-12)
        dy = (self.confidence[self.visible] - y) / max(height, 1e-12)
        distance = dx * dx + dy * dy
        best = int(np.argmin(distance))
        return int(self.visible[best]) if distance[best] <= radius * radius else None

    def describe(self, index: int) -> str:
        """The hover card's text for one training image (rich text); empty without dynamics."""
        summary, dynamics = self.dynamics.summary, self.dynamics.dynamics
        if summary is None or dynamics is None:
            return ""
        stats = summary.statistics
        label = int(dynamics.train_labels[index])
        if len(self._set_aside) > index and self._set_aside[index]:
            return (f"<b>Training image #{index:,}</b><br>labelled <b>{self.predictions.class_names[label]}</b><br>"
                    f"<i>set aside: not trained on</i><br>its label's probability at the epochs' ends: "
                    f"{self.confidence[index]:.2f} on average, spread {self.variability[index]:.2f}")
        times = int(stats.forgetting[index])
        forgotten = "never forgotten" if times == 0 else f"forgotten {times} time{'s' if times > 1 else ''}"
        region = Region(int(stats.regions[index])).label
        return (f"<b>Training image #{index:,}</b><br>labelled <b>{self.predictions.class_names[label]}</b><br>"
                f"confidence {stats.confidence[index]:.2f}, variability {stats.variability[index]:.2f}<br>"
                f"right in {100 * stats.correctness[index]:.0f}% of its epochs, {forgotten}<br><i>{region}</i>")

    # Interaction
    def hover_at(self, x: float, y: float) -> int | None:
        """Show the card of the point nearest (x, y) in data coordinates, or hide it; returns the point."""
        index = self.nearest(x, y)
        if index is None:
            self._hide_hover()
            return None
        self._show_hover(index)
        return index

    def click_at(self, x: float, y: float) -> None:
        index = self.nearest(x, y)
        if index is not None:
            self.image_chosen.emit("train", np.array([index], dtype=np.int64), 0)

    def select_rectangle(self, rect: QRectF) -> None:
        """List the drawn points inside `rect` (data coordinates) below the map, least confident first."""
        self._selection = QRectF(rect).normalized()
        self.view_box.band.setRect(self._selection)
        self.view_box.band.show()
        self._list_selection()

    def clear_selection(self) -> None:
        self._selection = None
        self.view_box.band.hide()
        self._list_selection()

    # Drawing
    def _redraw(self) -> None:
        summary, dynamics = self.dynamics.summary, self.dynamics.dynamics
        train = self.predictions.train
        if summary is None or dynamics is None or summary.epochs == 0 or train is None or len(train.labels) != dynamics.train_size:
            self.variability = self.confidence = np.zeros(0, dtype=np.float32)
            self.visible = np.zeros(0, dtype=np.int64)
            for item in self.bins:
                item.setData(x=np.zeros(0), y=np.zeros(0))
            self.set_aside_points.setData(x=[], y=[])
            self._set_aside = np.zeros(0, dtype=bool)
            self.pages.setCurrentIndex(0)
            self.caption.setText("No training dynamics on screen.")
            self._hide_hover()
            self._list_selection()
            return
        first = self.pages.currentIndex() == 0
        self.pages.setCurrentIndex(1)
        stats = summary.statistics
        self.variability, self.confidence = stats.variability, stats.confidence
        self._set_aside = np.zeros(len(stats), dtype=bool)
        if stats.set_aside is not None and stats.set_aside_confidence is not None and stats.set_aside_variability is not None:
            self._set_aside = stats.set_aside
            self.variability = np.where(self._set_aside, stats.set_aside_variability, stats.variability)
            self.confidence = np.where(self._set_aside, stats.set_aside_confidence, stats.confidence)
        self._bin = correctness_bins(stats.correctness)
        self._labels = dynamics.train_labels  # drawn with the points: the class filter applies to these
        self._redraw_points()
        if first:
            self.view_box.setRange(xRange=(0, max(0.3, float(np.nanmax(self.variability, initial=0)) * 1.05)), yRange=(0, 1), padding=0.02)
        epochs = summary.epochs
        source = f" of {self.dynamics.source}" if self.dynamics.source else ""
        aside = int(self._set_aside.sum())
        apart = f" ({aside:,} set aside by its label fixes: hollow)" if aside else ""
        self.legend.setText(self._legend_text() + ("&nbsp;<span style='white-space: nowrap;'>○&nbsp;set aside, not trained "
                                                   "on</span>" if aside else ""))
        line = (" From one epoch the map is a line: an image's variability is its spread over the epochs, 0 until "
                "there are two; train on for it to spread out." if epochs < 2 else "")
        self.caption.setText(f"{counted(epochs, 'epoch')}{source}; {len(self.variability):,} images{apart}. "
                             f"Hover for an image, click to inspect it.{line}")
        if self._hovered is not None:
            self._show_hover(self._hovered)
        self._list_selection()

    def _redraw_points(self) -> None:
        drawn = np.isfinite(self.variability) & np.isfinite(self.confidence)
        if self.class_shown >= 0:
            drawn &= self._labels == self.class_shown
        self.visible = np.flatnonzero(drawn)
        trained = self.visible[~self._set_aside[self.visible]] if len(self._set_aside) else self.visible
        bins = self._bin[trained]
        for number, item in enumerate(self.bins):
            chosen = trained[bins == number]
            item.setData(x=self.variability[chosen], y=self.confidence[chosen])
        aside = self.visible[self._set_aside[self.visible]] if len(self._set_aside) else self.visible[:0]
        self.set_aside_points.setData(x=self.variability[aside], y=self.confidence[aside])

    def _add_regions(self) -> None:
        """Dashed borders at the thresholds of `dynamics.derive`, and each region's name where it lies."""
        dash = pg.mkPen((120, 120, 120), width=1, style=Qt.PenStyle.DashLine)
        self.plot.addItem(pg.InfiniteLine(pos=AMBIGUOUS_VARIABILITY, angle=90, pen=dash))
        self.plot.addItem(pg.PlotCurveItem(x=[-1, AMBIGUOUS_VARIABILITY], y=[EASY_CONFIDENCE, EASY_CONFIDENCE], pen=dash))
        self.region_labels = []
        for region, position, anchor in ((Region.EASY, (0.004, 1.0), (0, 0)), (Region.HARD, (0.004, 0.0), (0, 1)),
                                         (Region.AMBIGUOUS, (AMBIGUOUS_VARIABILITY + 0.008, 0.5), (0, 0.5))):
            text = pg.TextItem(region.label, color=(40, 40, 40), anchor=anchor, fill=pg.mkBrush(255, 255, 255, 200))
            font = text.textItem.font()
            font.setBold(True)
            text.setFont(font)
            text.setPos(*position)
            text.setZValue(50)
            self.plot.addItem(text, ignoreBounds=True)
            self.region_labels.append(text)

    @staticmethod
    def _legend_text() -> str:
        swatches = " ".join(f"<span style='white-space: nowrap;'><span style='color: rgb{color}; font-size: large;'>■</span>"
                            f"&nbsp;{name}</span>&nbsp;" for color, name in zip(BIN_COLORS, BIN_NAMES))
        return f"Epochs predicted as labelled: {swatches}"

    # Hovering
    def _on_mouse_moved(self, scene_position: QPointF) -> None:
        self._pointer = scene_position
        if not self._hover_timer.isActive():
            self._hover_timer.start()

    def _on_hover_due(self) -> None:
        if self._pointer is None or not self.view_box.sceneBoundingRect().contains(self._pointer):
            self._hide_hover()
            return
        point = self.view_box.mapSceneToView(self._pointer)
        self.hover_at(point.x(), point.y())

    def _show_hover(self, index: int) -> None:
        train = self.predictions.train
        if train is None or index >= len(self.variability) or self.dynamics.summary is None:
            self._hide_hover()
            return
        self._hovered = index
        self.hover_marker.setData(x=[self.variability[index]], y=[self.confidence[index]])
        card = self.hover_card
        card.picture.setPixmap(QPixmap.fromImage(gray_to_qimage(train.images[index]).scaled(HOVER_THUMBNAIL, HOVER_THUMBNAIL)))
        card.text.setText(self.describe(index))
        card.adjustSize()
        # Beside the point, flipped to stay inside the plot.
        anchor = self.plot_widget.mapFromScene(self.view_box.mapViewToScene(QPointF(self.variability[index], self.confidence[index])))
        area = self.plot_widget.rect()
        left = anchor.x() + 14 if anchor.x() + 14 + card.width() <= area.width() else anchor.x() - 14 - card.width()
        top = min(max(0, anchor.y() - card.height() // 2), max(0, area.height() - card.height()))
        card.move(int(max(0, left)), int(top))
        card.show()
        card.raise_()

    def _hide_hover(self) -> None:
        self._hovered = None
        self.hover_marker.setData(x=[], y=[])
        self.hover_card.hide()

    @property
    def hover_text(self) -> str:
        return self.hover_card.text.text() if self.hover_card.isVisible() or self._hovered is not None else ""

    # Handlers
    def _on_clicked(self, point: QPointF) -> None:
        self.click_at(point.x(), point.y())

    def _on_select_toggled(self, selecting: bool) -> None:
        self.view_box.selecting = selecting
        self.plot_widget.setCursor(Qt.CursorShape.CrossCursor if selecting else Qt.CursorShape.ArrowCursor)

    def _on_class_changed(self) -> None:
        if len(self.variability):
            self._redraw_points()
            self._hide_hover()
        self._list_selection()

    def _list_selection(self) -> None:
        rect = self._selection
        train = self.predictions.train
        if rect is None or not len(self.visible) or train is None:
            self.selected = np.zeros(0, dtype=np.int64)
            self.gallery.gallery_model.set_items(train, self.selected)
            self.gallery_caption.setText("Click Select (or hold Shift) and drag a rectangle over the map to list "
                                         "its images here." if len(self.visible) else "")
            return
        x, y = self.variability[self.visible], self.confidence[self.visible]
        inside = (x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom())
        chosen = self.visible[inside]
        self.selected = chosen[np.argsort(self.confidence[chosen], kind="stable")]
        self.gallery.gallery_model.set_items(train, self.selected)
        self.gallery_caption.setText(f"{len(self.selected):,} images in the rectangle, least confident first. "
                                     "Click one to inspect it; right-click (or P) pins it.")

    def _on_gallery_row(self, row: int) -> None:
        if 0 <= row < len(self.selected):
            self.image_chosen.emit("train", self.selected, row)


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.data_map
    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.dynamics import summarize

    app = QApplication([])
    rng = np.random.default_rng(0)
    count, epochs = 60_000, 8
    labels = rng.integers(0, 10, count).astype(np.uint8)
    difficulty = rng.beta(0.6, 0.3, count)
    probability = np.clip(difficulty[None, :] + rng.normal(0, 0.15, (epochs, count)) * rng.random(count), 0, 1)
    predicted = np.where(probability > 0.5, labels[None, :], (labels[None, :] + 1) % 10).astype(np.uint8)
    predictions = Predictions(CLASS_NAMES)
    predictions.set_data(np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.int64),
                         rng.integers(0, 255, (count, 28, 28), dtype=np.uint8), labels.astype(np.int64))
    from fmnist_gui.dynamics import TrainingDynamics

    model = DynamicsModel()
    dynamics = TrainingDynamics(labels, np.zeros(10, np.uint8), np.arange(1, epochs + 1), probability.astype(np.float16),
                                predicted, np.zeros((epochs, 10), np.float16), np.zeros((epochs, 10), np.uint8))
    view = DataMapView(predictions, model)
    model.set_dynamics(dynamics, summarize(probability, predicted, labels), "a made-up run")
    view.resize(900, 800)
    view.show()
    app.exec()

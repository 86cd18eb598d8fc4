"""Forgetting: how often the images of each class went from right to wrong, and the most forgotten ones.

Bars per class (a click on one filters the gallery to that class), the totals of the data map
(forgotten at least once, never learned, unforgettable), and a gallery of the images the model
forgot most often, each captioned with how often.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtWidgets import QApplication, QHBoxLayout, QLabel, QMenu, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.qt.state.predictions import Split
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.gallery import GalleryModel, ImageGallery, class_filter

BAR_COLOR = (52, 115, 178)
CHOSEN_COLOR = (230, 85, 13)
FADED_COLOR = (52, 115, 178, 90)
EMPTY_TEXT = ("No training dynamics yet: forgetting is counted from each training image's prediction at every "
              "epoch's end. Train a model, or open a recorded run.")


@dataclass(frozen=True)
class ForgettingTotals:
    """The data map's counts of training images, from the dynamics' statistics."""

    images: int  # training images seen at least once
    forgotten: int  # forgotten at least once
    never_learned: int
    unforgettable: int
    epochs: int


class ForgettingGalleryModel(GalleryModel):
    """Gallery items captioned with how often each image was forgotten."""

    def __init__(self, class_names: tuple[str, ...]) -> None:
        super().__init__(class_names)
        self.counts = np.zeros(0, dtype=np.int64)

    def set_counted_items(self, split: Split | None, indices: np.ndarray, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype=np.int64)
        self.set_items(split, indices)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.split is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return f"forgotten {int(self.counts[index.row()])}×"
        if role == Qt.ItemDataRole.ToolTipRole:
            item = int(self.indices[index.row()])
            return (f"training image #{item}\nlabel: {self.class_names[int(self.split.labels[item])]}\n"
                    f"forgotten {int(self.counts[index.row()])} times")
        if role == Qt.ItemDataRole.ForegroundRole:
            return None
        return super().data(index, role)


class ForgettingView(RedrawWhenShown, QWidget):
    """Forgetting events per class as bars, the totals, and the most forgotten images."""

    class_chosen = Signal(int)  # class whose most forgotten images to list; -1 for every class
    image_chosen = Signal(str, object, int)  # split name, dataset indices listed, position chosen
    pin_requested = Signal(str, int)  # split name, dataset index

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self._per_class: np.ndarray | None = None
        self._totals: ForgettingTotals | None = None
        self._about = ""
        self._gallery_items: tuple[Split | None, np.ndarray, np.ndarray] = (None, np.zeros(0, np.int64), np.zeros(0, np.int64))
        self.totals = QLabel(EMPTY_TEXT)
        self.totals.setWordWrap(True)
        self.totals.setTextFormat(Qt.TextFormat.RichText)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(False, False)
        self.plot.hideButtons()
        self.plot.setMinimumHeight(20 * len(class_names) + 40)  # every class name fits on the axis
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        item = self.plot.getPlotItem()
        item.invertY(True)  # the first class on top, as in every other class list
        left = item.getAxis("left")
        left.setTicks([[(i, name) for i, name in enumerate(class_names)]])
        # Wide enough for the longest name from the start: pyqtgraph drops a label that does not fit.
        left.setWidth(max(self.fontMetrics().horizontalAdvance(name) for name in class_names) + 16)
        for axis in (left, item.getAxis("bottom")):
            axis.setTextPen("k")
        item.setLabel("bottom", "forgetting events")
        item.showGrid(x=True, y=False, alpha=0.3)
        self.bars = pg.BarGraphItem(x0=np.zeros(len(class_names)), y=np.arange(len(class_names)), height=0.7,
                                    width=np.zeros(len(class_names)), brush=BAR_COLOR, pen=None)
        self.plot.addItem(self.bars)
        self.values = [pg.TextItem(anchor=(0, 0.5), color="k") for _ in class_names]  # each bar's count at its end
        for value in self.values:
            self.plot.addItem(value)
        self.plot.scene().sigMouseClicked.connect(self._on_plot_clicked)
        self.plot.setToolTip("Click a bar to list that class's most forgotten images")
        self.class_filter = class_filter("every class", class_names, "List the most forgotten images of this class")
        self.gallery_caption = QLabel()
        self.gallery_caption.setWordWrap(True)
        self.gallery = ImageGallery(class_names)
        self.gallery_model = ForgettingGalleryModel(class_names)
        self.gallery_model.item_size = self.gallery.gallery_model.item_size
        self.gallery.gallery_model = self.gallery_model  # the gallery keeps its cells' size in the model it holds
        self.gallery.setModel(self.gallery_model)
        self.gallery.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        row = QHBoxLayout()
        row.addWidget(QLabel("Most forgotten of"))
        row.addWidget(self.class_filter)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.totals)
        layout.addWidget(self.plot, 3)
        layout.addLayout(row)
        layout.addWidget(self.gallery_caption)
        layout.addWidget(self.gallery, 3)
        self.class_filter.currentIndexChanged.connect(lambda: self._on_class_chosen(self.class_filter.currentData()))
        self.gallery.row_activated.connect(self._on_row_activated)
        self.gallery.customContextMenuRequested.connect(self._on_context_menu)
        self.refresh()

    @property
    def chosen_class(self) -> int:
        return int(self.class_filter.currentData())

    @property
    def bar_heights(self) -> np.ndarray:
        return np.asarray(self.bars.opts["width"], dtype=np.int64)

    @property
    def listed(self) -> np.ndarray:
        return self.gallery_model.indices

    def set_forgetting(self, per_class: np.ndarray | None, totals: ForgettingTotals | None, about: str = "") -> None:
        """Forgetting events per class and the totals; None for both when there are no dynamics."""
        self._per_class = None if per_class is None else np.asarray(per_class, dtype=np.int64)
        self._totals, self._about = totals, about
        self.refresh()

    def show_most_forgotten(self, split: Split | None, indices: np.ndarray, counts: np.ndarray) -> None:
        """The images to list (training-set positions), most forgotten first, and how often each was."""
        self._gallery_items = (split, np.asarray(indices, dtype=np.int64), np.asarray(counts, dtype=np.int64))
        self.refresh()

    def choose_class(self, label: int) -> None:
        """Filter the gallery to one class (-1: every class), as a click on its bar does."""
        self.class_filter.setCurrentIndex(label + 1)

    def _redraw(self) -> None:
        count = len(self.class_names)
        per_class = np.zeros(count, dtype=np.int64) if self._per_class is None else self._per_class
        chosen = self.chosen_class
        brushes = [pg.mkBrush(BAR_COLOR if chosen < 0 else (CHOSEN_COLOR if i == chosen else FADED_COLOR))
                   for i in range(count)]
        self.bars.setOpts(width=per_class, brushes=brushes)
        for row, (value, events) in enumerate(zip(self.values, per_class)):
            value.setText(f"{int(events):,}" if self._per_class is not None else "")
            value.setPos(float(events), row)
        self.plot.setXRange(0, max(1, int(per_class.max(initial=0))) * 1.15, padding=0)  # room for the counts
        self.plot.setYRange(-0.5, count - 0.5, padding=0.02)
        self.totals.setText(self._totals_text())
        split, indices, counts = self._gallery_items
        self.gallery_model.set_counted_items(split, indices, counts)
        self.gallery_caption.setText(self._gallery_text(len(indices)))

    def _totals_text(self) -> str:
        t = self._totals
        if t is None:
            return EMPTY_TEXT
        about = f" ({self._about})" if self._about else ""
        if t.epochs < 2:
            return f"Forgetting needs two epochs to compare: only {t.epochs} has finished{about}."
        return (f"Of {t.images:,} training images{about}: <b>{t.forgotten:,}</b> forgotten at least once, "
                f"<b>{t.never_learned:,}</b> never learned, <b>{t.unforgettable:,}</b> learned and never forgotten.")

    def _gallery_text(self, listed: int) -> str:
        if self._totals is None:
            return ""
        of = f" labelled {self.class_names[self.chosen_class]}" if self.chosen_class >= 0 else ""
        if listed == 0:
            return f"No image{of} was forgotten."
        return f"The {listed:,} most forgotten images{of}. Click one to inspect it; right-click to pin it."

    def _on_class_chosen(self, label: int) -> None:
        self.class_chosen.emit(int(label))
        self.refresh()

    def _on_plot_clicked(self, event) -> None:
        view_box = self.plot.getPlotItem().getViewBox()
        if not view_box.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view_box.mapSceneToView(event.scenePos())
        row = int(round(point.y()))
        if 0 <= row < len(self.class_names):
            self.choose_class(-1 if row == self.chosen_class else row)  # a second click shows every class again

    def _on_row_activated(self, row: int) -> None:
        if self.gallery_model.split is not None:
            self.image_chosen.emit(self.gallery_model.split.name, self.listed, row)

    def _on_context_menu(self, point: QPoint) -> None:
        index = self.gallery.indexAt(point)
        split = self.gallery_model.split
        if not index.isValid() or split is None:
            return
        item = int(self.listed[index.row()])
        menu = QMenu(self)
        menu.addAction("Inspect", lambda: self._on_row_activated(index.row()))
        menu.addAction("Pin", lambda: self.pin_requested.emit(split.name, item))
        menu.popup(self.gallery.viewport().mapToGlobal(point))


if __name__ == "__main__":  # a quick look with made-up counts
    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    rng = np.random.default_rng(0)
    view = ForgettingView(CLASS_NAMES)
    view.set_forgetting(rng.integers(100, 3000, 10), ForgettingTotals(60000, 9000, 800, 48000, 10), "made up")
    split = Split("train", rng.integers(0, 255, (500, 28, 28), dtype=np.uint8), rng.integers(0, 10, 500))
    view.show_most_forgotten(split, np.arange(60), np.sort(rng.integers(1, 6, 60))[::-1])
    view.resize(700, 700)
    view.show()
    app.exec()

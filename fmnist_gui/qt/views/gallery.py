"""Scrollable galleries of test or training images: the mistakes view and the dataset browser.

A QListView over a list model that makes thumbnails only for the rows on screen, so tens of
thousands of images scroll smoothly; filtering and sorting are numpy on the index arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent, QPixmap
from PySide6.QtWidgets import QCheckBox, QComboBox, QHBoxLayout, QLabel, QListView, QMenu, QVBoxLayout, QWidget

from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.state.predictions import Predictions, Split
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.label_review import add_decisions
from fmnist_gui.qt.views.widgets import CORRECT_COLOR, WRONG_COLOR, gray_to_qimage

THUMBNAIL = 56
MAX_CACHED_THUMBNAILS = 4000


class GalleryModel(QAbstractListModel):
    """Rows are dataset indices of one split; thumbnails are drawn on demand and cached."""

    def __init__(self, class_names: tuple[str, ...]) -> None:
        super().__init__()
        self.class_names = class_names
        self.split: Split | None = None
        self.indices = np.zeros(0, dtype=np.int64)
        self._thumbnails: dict[int, QPixmap] = {}
        self.item_size = QSize(THUMBNAIL + 40, THUMBNAIL + 24)  # set by the view to its grid cell
        self.two_lines = False  # the label above the prediction (the mistakes view)
        self.fixes: LabelFixes | None = None  # the fix set under review, whose decisions training images show

    def set_items(self, split: Split | None, indices: np.ndarray) -> None:
        self.beginResetModel()
        self.split, self.indices = split, np.asarray(indices, dtype=np.int64)
        self._thumbnails.clear()
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.indices)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        split = self.split
        if not index.isValid() or split is None:
            return None
        item = int(self.indices[index.row()])
        label = int(split.labels[item])
        predicted, confidence = _prediction(split, item)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(split, item)
        if role == Qt.ItemDataRole.SizeHintRole:
            # Every item as wide as its cell: a size guessed from one caption (before predictions
            # existed) cut the longer captions that came later.
            return self.item_size
        decided = self.fixes.decision_text(item) if self.fixes is not None and split.name == "train" else ""
        if role == Qt.ItemDataRole.DisplayRole:
            mark = DECISION_MARKS.get(decided.split(" ")[0], "") if decided else ""
            if predicted is None:
                return mark + self.class_names[label]
            if self.two_lines:  # what it is, then what the model said: "Sneaker / → Ankle boot 100%"
                return f"{mark}{self.class_names[label]}\n→ {self.class_names[predicted]} {100 * confidence:.0f}%"
            return f"{mark}{self.class_names[predicted]} {100 * confidence:.0f}%"
        if role == Qt.ItemDataRole.ToolTipRole:
            # A training label is what the data says, not a truth: the mislabel finder exists because some are wrong.
            given = f"labelled {self.class_names[label]}" if split.name == "train" else f"true class {self.class_names[label]}"
            text = f"{split.name} image #{item}\n{given}" + (f", {decided}" if decided else "")
            if predicted is not None:
                verdict = "right" if predicted == label else "wrong"
                text += f"\npredicted: {self.class_names[predicted]} ({100 * confidence:.1f}%), {verdict}"
            return text
        if role == Qt.ItemDataRole.ForegroundRole and predicted is not None:
            return QBrush(CORRECT_COLOR if predicted == label else WRONG_COLOR)
        if role == Qt.ItemDataRole.UserRole:
            return item
        return None

    def _thumbnail(self, split: Split, item: int) -> QPixmap:
        pixmap = self._thumbnails.get(item)
        if pixmap is None:
            if len(self._thumbnails) >= MAX_CACHED_THUMBNAILS:
                self._thumbnails.clear()
            image = gray_to_qimage(split.images[item]).scaled(THUMBNAIL, THUMBNAIL)
            pixmap = self._thumbnails[item] = QPixmap.fromImage(image)
        return pixmap


def _prediction(split: Split, item: int) -> tuple[int | None, float]:
    """The class the model predicts for one image and its probability; (None, 0.0) before a model."""
    if split.probabilities is None:
        return None, 0.0
    probabilities = split.probabilities[item]
    predicted = int(probabilities.argmax())
    return predicted, float(probabilities[predicted])


PIN_TEXT = "Pin to the Pinned panel"
DECISION_MARKS = {"fixed": "✎ ", "set": "⊘ ", "kept": ""}  # by decision_text's first word


class ImageGallery(QListView):
    """Thumbnails in a grid with a caption each; a click or Enter reports the row; right-click or P pins it."""

    row_activated = Signal(int)  # row in the model
    pin_requested = Signal(str, int)  # split name, dataset index

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None, two_lines: bool = False) -> None:
        super().__init__(parent)
        self.gallery_model = GalleryModel(class_names)
        self.gallery_model.two_lines = two_lines
        self.setModel(self.gallery_model)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(300)
        self.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        # Wide enough for the longest caption ("Ankle boot 100%"); resizeEvent spreads the spare width.
        prefix = "→ " if two_lines else ""
        self._cell_width = max(THUMBNAIL + 16,
                               max(self.fontMetrics().horizontalAdvance(f"{prefix}{n} 100%") for n in class_names) + 12)
        lines = 2 if two_lines else 1
        self.setGridSize(QSize(self._cell_width, THUMBNAIL + lines * self.fontMetrics().height() + 12))
        self.gallery_model.item_size = self.gridSize() - QSize(4, 4)
        self.setWordWrap(two_lines)  # the two lines are split by their newline, never by the width
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setSelectionMode(QListView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # rows wrap; cells share the width
        self.clicked.connect(self._on_index_chosen)
        self.activated.connect(self._on_index_chosen)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_context_menu)

    def pin_row(self, row: int) -> None:
        """Ask for the image of `row` to be pinned (to follow it epoch by epoch in the Pinned panel)."""
        model = self.gallery_model
        if model.split is not None and 0 <= row < len(model.indices):
            self.pin_requested.emit(model.split.name, int(model.indices[row]))

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() == Qt.Key.Key_P and not event.modifiers() and self.currentIndex().isValid():
            self.pin_row(self.currentIndex().row())
        else:
            super().keyPressEvent(event)

    def set_label_fixes(self, fixes: LabelFixes) -> None:
        """Training images then say the fix set's decision, and right-click offers to make one (for the
        images selected, with Ctrl or Shift, or the one clicked)."""
        self.gallery_model.fixes = fixes
        self.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        fixes.changed.connect(self.gallery_model.layoutChanged)

    def decision_menu_rows(self, row: int) -> list[int]:
        """The rows a decision from the menu at `row` applies to: the selection if `row` is in it, else `row`."""
        selected = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        return selected if row in selected else [row]

    def _on_context_menu(self, position) -> None:  # noqa: ANN001 - a QPoint
        index = self.indexAt(position)
        if not index.isValid():
            return
        menu = QMenu(self)
        menu.addAction(f"{PIN_TEXT}\tP", lambda: self.pin_row(index.row()))
        model = self.gallery_model
        if model.fixes is not None and model.split is not None and model.split.name == "train":
            rows = self.decision_menu_rows(index.row())
            predicted, _ = _prediction(model.split, int(model.indices[index.row()]))
            menu.addSeparator()
            if len(rows) > 1:
                menu.addSection(f"{len(rows)} selected images")
            add_decisions(menu, model.fixes, model.indices[rows], predicted)
        menu.exec(self.viewport().mapToGlobal(position))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        """As many columns as fit, each widened to share the row: no empty strip at the right."""
        super().resizeEvent(event)
        width = self.viewport().width()
        columns = max(1, width // self._cell_width)
        cell = QSize(max(self._cell_width, width // columns), self.gridSize().height())
        if cell != self.gridSize():
            self.setGridSize(cell)
            self.gallery_model.item_size = cell - QSize(4, 4)
            self.gallery_model.layoutChanged.emit()

    def _on_index_chosen(self, index: QModelIndex) -> None:
        self.row_activated.emit(index.row())


def class_filter(any_text: str, class_names: tuple[str, ...], tooltip: str) -> QComboBox:
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(6)  # the popup shows whole names; the row must fit a narrow dock
    combo.addItem(any_text, -1)
    for number, name in enumerate(class_names):
        combo.addItem(name, number)
    combo.setToolTip(tooltip)
    return combo


class _GalleryPanel(RedrawWhenShown, QWidget):
    """A caption, a row of filters and a gallery; subclasses decide which images to list."""

    image_chosen = Signal(str, object, int)  # split name, dataset indices listed, position chosen
    pin_requested = Signal(str, int)  # split name, dataset index

    TWO_LINES = False  # the true label above the prediction in each caption

    def __init__(self, predictions: Predictions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions = predictions
        self.gallery = ImageGallery(predictions.class_names, two_lines=self.TWO_LINES)
        self.gallery.pin_requested.connect(self.pin_requested)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.filters = QHBoxLayout()
        self._column = QVBoxLayout(self)
        self._column.addLayout(self.filters)
        self._column.addWidget(self.caption)
        self._column.addWidget(self.gallery, 1)
        self.gallery.row_activated.connect(self._on_row_activated)
        predictions.data_changed.connect(self.refresh)
        predictions.results_changed.connect(self.refresh)

    @property
    def listed(self) -> np.ndarray:
        return self.gallery.gallery_model.indices

    def _redraw(self) -> None:
        self._fill()

    def _fill(self) -> None:
        raise NotImplementedError

    def _on_row_activated(self, row: int) -> None:
        model = self.gallery.gallery_model
        if model.split is not None:
            self.image_chosen.emit(model.split.name, model.indices, row)


class MistakesView(_GalleryPanel):
    """Test images the current model gets wrong (or, from a matrix cell, any true/predicted pair)."""

    SORTS = ("Most confident first", "Least confident first", "Test set order")
    TWO_LINES = True  # a mistake says what the image is, then what the model said: "Sneaker / → Ankle boot 100%"

    def __init__(self, predictions: Predictions, parent: QWidget | None = None) -> None:
        super().__init__(predictions, parent)
        names = predictions.class_names
        self.true_filter = class_filter("any", names, "Show only images whose true class is this one")
        self.predicted_filter = class_filter("any", names, "Show only images the model predicts as this class")
        self.sort = QComboBox()
        self.sort.addItems(self.SORTS)
        self.sort.setToolTip("Order of the images: by the model's confidence in its prediction, or as in the test set")
        self.mistakes_only = QCheckBox("Mistakes only")
        self.mistakes_only.setChecked(True)
        self.mistakes_only.setToolTip("Hide the images the model gets right")
        second_row = QHBoxLayout()
        self._column.insertLayout(1, second_row)
        for row, widget, label in ((self.filters, self.true_filter, "True class"),
                                   (self.filters, self.predicted_filter, "Predicted as"),
                                   (second_row, self.sort, None), (second_row, self.mistakes_only, None)):
            if label:
                row.addWidget(QLabel(label))
            row.addWidget(widget)
            signal = widget.toggled if isinstance(widget, QCheckBox) else widget.currentIndexChanged
            signal.connect(self.refresh)
        self.filters.addStretch(1)
        second_row.addStretch(1)
        self.refresh()

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """The images of one confusion-matrix cell, most confident first."""
        for widget in (self.true_filter, self.predicted_filter, self.sort, self.mistakes_only):
            widget.blockSignals(True)
        self.true_filter.setCurrentIndex(true_class + 1)
        self.predicted_filter.setCurrentIndex(predicted_class + 1)
        self.sort.setCurrentIndex(0)
        self.mistakes_only.setChecked(true_class != predicted_class)
        for widget in (self.true_filter, self.predicted_filter, self.sort, self.mistakes_only):
            widget.blockSignals(False)
        self.refresh()

    def _fill(self) -> None:
        split = self.predictions.test
        if split is None or split.probabilities is None:
            self.gallery.gallery_model.set_items(split, np.zeros(0, dtype=np.int64))
            self.caption.setText("No model yet: train one or open a checkpoint to see its mistakes.")
            return
        predictions, confidences = split.probabilities.argmax(axis=1), split.probabilities.max(axis=1)
        keep = np.ones(len(split.labels), dtype=bool)
        if self.mistakes_only.isChecked():
            keep &= predictions != split.labels
        true_class, predicted_class = self.true_filter.currentData(), self.predicted_filter.currentData()
        if true_class >= 0:
            keep &= split.labels == true_class
        if predicted_class >= 0:
            keep &= predictions == predicted_class
        indices = np.flatnonzero(keep)
        if self.sort.currentIndex() < 2:
            order = np.argsort(confidences[indices], kind="stable")
            indices = indices[order[::-1]] if self.sort.currentIndex() == 0 else indices[order]
        self.gallery.gallery_model.set_items(split, indices)
        what = "mistakes" if self.mistakes_only.isChecked() else "images"
        self.caption.setText(f"{len(indices):,} {what} of {len(split.labels):,} test images. Click one to inspect it.")


class DatasetBrowser(_GalleryPanel):
    """The test or training set, filtered by true class, with predictions once a model exists."""

    train_predictions_wanted = Signal()

    def __init__(self, predictions: Predictions, parent: QWidget | None = None) -> None:
        super().__init__(predictions, parent)
        self.split_choice = QComboBox()
        self.split_choice.addItem("Test set", "test")
        self.split_choice.addItem("Training set", "train")
        self.split_choice.setToolTip("Which images to browse")
        self.true_filter = class_filter("all", predictions.class_names, "Show only images of this true class")
        for widget in (self.split_choice, QLabel("True class"), self.true_filter):
            self.filters.addWidget(widget)
        for widget in (self.split_choice, self.true_filter):
            widget.currentIndexChanged.connect(self.refresh)
        self.filters.addStretch(1)
        predictions.train_results_changed.connect(self.refresh)
        self.refresh()

    def _fill(self) -> None:
        name = self.split_choice.currentData()
        split = self.predictions.split(name)
        if split is None:
            self.gallery.gallery_model.set_items(None, np.zeros(0, dtype=np.int64))
            self.caption.setText("No data loaded.")
            return
        true_class = self.true_filter.currentData()
        indices = np.arange(len(split.labels)) if true_class < 0 else np.flatnonzero(split.labels == true_class)
        self.gallery.gallery_model.set_items(split, indices)
        note = ""
        if split.probabilities is None and self.predictions.checkpoint is not None:
            note = " Predicting these images…"
            self.train_predictions_wanted.emit()
        elif split.probabilities is not None:
            right = int((split.probabilities[indices].argmax(axis=1) == split.labels[indices]).sum())
            note = f" The model gets {right:,} right ({100 * right / max(1, len(indices)):.1f}%)."
        set_name = "test" if name == "test" else "training"
        self.caption.setText(f"{len(indices):,} {set_name} images.{note}")

"""Training images the model keeps disputing: the likely-mislabelled list of the training dynamics.

One QTableView over a table model of at most a thousand rows; thumbnails are made for the rows
on screen, the probability history of each row is painted by a delegate (no widget per row), and
sorting and the class filter are numpy on the listed rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from PySide6.QtCore import (QAbstractTableModel, QEvent, QItemSelectionModel, QModelIndex, QObject, QPersistentModelIndex,
                            QPoint, QRectF, QSize, Qt, Signal)
from PySide6.QtGui import QKeyEvent, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QMenu,
                               QPushButton, QSplitter, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableView,
                               QVBoxLayout, QWidget)

from fmnist_gui.dynamics import Suspect
from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.gallery import class_filter
from fmnist_gui.qt.views.label_review import ReviewPanel, add_decisions
from fmnist_gui.qt.views.sparkline import paint_sparkline
from fmnist_gui.qt.views.widgets import gray_to_qimage

THUMBNAIL = 36
ROW_HEIGHT = THUMBNAIL + 4
HISTORY_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
COLUMNS = ("Image", "Label", "History", "Score", "Confidence", "Variability", "Forgotten", "Agreement")
IMAGE, LABEL, HISTORY, SCORE, CONFIDENCE, VARIABILITY, FORGOTTEN, AGREEMENT = range(len(COLUMNS))
COLUMN_TIPS = (
    "Position in the training set",
    "The label the image has, and the class the model predicts instead most often",
    "Its probability of its label, epoch by epoch (red dots: forgotten)",
    "Agreement × (1 − confidence): the higher, the more likely the label is wrong",
    "Mean probability of its label over the epochs",
    "How much that probability swings between epochs (standard deviation)",
    "How often it went from right to wrong between epochs",
    "Share of its epochs in which the model predicted the other class",
)
EMPTY_TEXT = ("No training dynamics yet: they are recorded while a run trains, one epoch at a time. "
              "Train a model, or open a recorded run.")


class SuspectsModel(QAbstractTableModel):
    """Rows are suspects in the order shown; `histories` holds each one's probability per epoch."""

    def __init__(self, class_names: tuple[str, ...], fixes: LabelFixes | None = None) -> None:
        super().__init__()
        self.class_names, self.fixes = class_names, fixes
        self.suspects: list[Suspect] = []
        self.histories = np.zeros((0, 0), dtype=np.float32)  # (rows, epochs)
        self.forgotten: list[np.ndarray] = []
        self.images: np.ndarray | None = None  # the training images, (N, 28, 28) uint8
        self._thumbnails: dict[int, QPixmap] = {}

    def set_rows(self, suspects: Sequence[Suspect], histories: np.ndarray, forgotten: Sequence[np.ndarray],
                 images: np.ndarray | None) -> None:
        self.beginResetModel()
        self.suspects, self.histories, self.forgotten = list(suspects), histories, list(forgotten)
        if images is not self.images:
            self._thumbnails.clear()
        self.images = images
        self.endResetModel()

    @property
    def indices(self) -> np.ndarray:
        """The training-set positions of the rows, in the order shown."""
        return np.array([s.index for s in self.suspects], dtype=np.int64)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.suspects)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return COLUMN_TIPS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        suspect = self.suspects[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.cell_text(suspect, column)
        if role == Qt.ItemDataRole.DecorationRole and column == IMAGE:
            return self._thumbnail(suspect.index)
        if role == Qt.ItemDataRole.TextAlignmentRole and column not in (IMAGE, LABEL):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            names = self.class_names
            return (f"training image #{suspect.index}\nlabelled {names[suspect.given]}; the model said "
                    f"{names[suspect.predicted]} in {100 * suspect.agreement:.0f}% of the epochs")
        if role == HISTORY_ROLE:
            return self.histories[index.row()], self.forgotten[index.row()]
        return None

    def cell_text(self, suspect: Suspect, column: int) -> str:
        names = self.class_names
        return {
            IMAGE: f"#{suspect.index}",
            LABEL: f"labelled {names[suspect.given]}\n{self._decision(suspect) or f'model says {names[suspect.predicted]}'}",
            SCORE: f"{suspect.score:.3f}",
            CONFIDENCE: f"{suspect.confidence:.3f}",
            VARIABILITY: f"{suspect.variability:.3f}",
            FORGOTTEN: f"{suspect.forgetting}×",
            AGREEMENT: f"{100 * suspect.agreement:.0f}%",
            HISTORY: "",
        }[column]

    def _decision(self, suspect: Suspect) -> str:
        return "" if self.fixes is None else self.fixes.decision_text(suspect.index)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Reorder the rows by a column (stable, so equal values keep the order before)."""
        if not self.suspects:
            return
        keys = np.array([sort_key(s, column) for s in self.suspects], dtype=np.float64)
        order_index = np.argsort(-keys if order == Qt.SortOrder.DescendingOrder else keys, kind="stable")
        self.layoutAboutToBeChanged.emit()
        self.suspects = [self.suspects[i] for i in order_index]
        self.histories = self.histories[order_index]
        self.forgotten = [self.forgotten[i] for i in order_index]
        self.layoutChanged.emit()

    def _thumbnail(self, item: int) -> QPixmap | None:
        if self.images is None or not 0 <= item < len(self.images):
            return None
        pixmap = self._thumbnails.get(item)
        if pixmap is None:
            image = gray_to_qimage(self.images[item]).scaled(THUMBNAIL, THUMBNAIL)
            pixmap = self._thumbnails[item] = QPixmap.fromImage(image)
        return pixmap


def sort_key(suspect: Suspect, column: int) -> float:
    """What a column sorts by; the history sorts by the confidence it averages to."""
    return {
        IMAGE: suspect.index, LABEL: suspect.given * 16 + suspect.predicted, SCORE: suspect.score,
        CONFIDENCE: suspect.confidence, VARIABILITY: suspect.variability, FORGOTTEN: suspect.forgetting,
        AGREEMENT: suspect.agreement, HISTORY: suspect.confidence,
    }[column]


class SparklineDelegate(QStyledItemDelegate):
    """Paints a row's probability history into its cell: the selection background, then the line."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        style_option = QStyleOptionViewItem(option)
        self.initStyleOption(style_option, index)
        style = style_option.widget.style() if style_option.widget else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, style_option, painter, style_option.widget)
        history = index.data(HISTORY_ROLE)
        if history is not None and len(history[0]):
            paint_sparkline(painter, QRectF(option.rect).adjusted(4, 2, -4, -2), history[0], history[1])

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802 - Qt's name
        return QSize(120, ROW_HEIGHT)


class SuspectsView(RedrawWhenShown, QWidget):
    """The likely-mislabelled training images, most suspicious first, filterable by their label."""

    image_chosen = Signal(str, object, int)  # split name, dataset indices listed, position chosen
    pin_requested = Signal(str, int)  # split name, dataset index
    export_requested = Signal(list)  # list[Suspect]: the rows listed, in the order shown

    def __init__(self, class_names: tuple[str, ...], fixes: LabelFixes | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names, self.fixes = class_names, fixes
        self._suspects: tuple[Suspect, ...] | None = None
        self._keep_row: int | None = None  # after a decision, the row the next suspect moves into
        self._histories = np.zeros((0, 0), dtype=np.float32)
        self._forgotten: list[np.ndarray] = []
        self._images: np.ndarray | None = None
        self._train_size = 0
        self._found = 0  # suspects the finder named, of which the list holds the most suspicious
        self._about = ""
        self.label_filter = class_filter("any", class_names, "Show only images with this label")
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setToolTip("Save the listed images' training-set positions, labels and scores as a CSV table")
        self.caption = QLabel(EMPTY_TEXT)
        self.caption.setWordWrap(True)
        self.table_model = SuspectsModel(class_names, fixes)
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setItemDelegateForColumn(HISTORY, SparklineDelegate(self.table))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.table.setWordWrap(True)  # the label cell holds two lines
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(max(ROW_HEIGHT, 2 * self.fontMetrics().lineSpacing() + 6))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        header.setSortIndicator(SCORE, Qt.SortOrder.DescendingOrder)
        self.table.setSortingEnabled(True)
        self._size_columns()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.show_reviewed = QCheckBox("Show reviewed")
        self.show_reviewed.setToolTip("List the images the fix set has a decision for, too (Backspace takes one back)")
        row = QHBoxLayout()
        row.addWidget(QLabel("Labelled as"))
        row.addWidget(self.label_filter)
        row.addWidget(self.show_reviewed)
        row.addStretch(1)
        row.addWidget(self.export_button)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        self.review = ReviewPanel(fixes) if fixes is not None else None
        if self.review is not None:
            layout.addWidget(self.review)
        layout.addWidget(self.caption)
        if self.review is not None and fixes is not None:
            split = QSplitter(Qt.Orientation.Horizontal)
            split.addWidget(self.table)
            split.addWidget(self.review.card)
            split.setStretchFactor(0, 3)
            split.setStretchFactor(1, 1)
            split.setChildrenCollapsible(False)
            layout.addWidget(split, 1)
            self.table.installEventFilter(self)
            self.review.skip_requested.connect(self.skip)
            self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_current())
            fixes.changed.connect(self._on_decided)
        else:
            self.show_reviewed.hide()
            layout.addWidget(self.table, 1)
        self.label_filter.currentIndexChanged.connect(self.refresh)
        self.show_reviewed.toggled.connect(self.refresh)
        self.export_button.clicked.connect(lambda: self.export_requested.emit(list(self.table_model.suspects)))
        self.table.activated.connect(self._on_activated)
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.refresh()

    def set_suspects(self, suspects: Sequence[Suspect] | None, histories: np.ndarray | None = None,
                     forgotten: Sequence[np.ndarray] = (), images: np.ndarray | None = None, train_size: int = 0,
                     about: str = "", found: int = 0) -> None:
        """The suspects (None: no dynamics), each one's (E,) probability history and forgetting epochs,
        the training images for thumbnails (None: not loaded), how many training images there are,
        and what the list is of ("this run, 3 epochs")."""
        self._suspects = None if suspects is None else tuple(suspects)
        count = 0 if suspects is None else len(suspects)
        self._histories = (np.zeros((count, 0), dtype=np.float32) if histories is None or count == 0
                           else np.asarray(histories, dtype=np.float32))
        self._forgotten = list(forgotten) if len(forgotten) == count else [np.zeros(0, dtype=np.int64)] * count
        self._images, self._train_size, self._about = images, train_size, about
        self._found = max(found, len(suspects or ()))
        self.refresh()

    @property
    def listed(self) -> np.ndarray:
        """Training-set positions of the rows on screen, in their order."""
        return self.table_model.indices

    def skip(self) -> None:
        """The next suspect, leaving this one undecided."""
        row = self.table.currentIndex().row()
        if row + 1 < self.table_model.rowCount():
            self._select_row(row + 1)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (watched is self.table and event.type() == QEvent.Type.KeyPress and self.review is not None
                and isinstance(event, QKeyEvent) and self.review.key(event)):
            return True
        return super().eventFilter(watched, event)

    def _on_decided(self) -> None:
        """A decision (or an undo) changed which images are reviewed: list again, the next one where this was."""
        self._keep_row = max(0, self.table.currentIndex().row())
        self.refresh()

    def _select_row(self, row: int) -> None:
        index = self.table_model.index(row, IMAGE)
        self.table.selectionModel().setCurrentIndex(
            index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
        self.table.scrollTo(index)

    def _show_current(self) -> None:
        if self.review is None:
            return
        row = self.table.currentIndex().row()
        if not 0 <= row < self.table_model.rowCount():
            self.review.show_image(None)
            return
        suspect = self.table_model.suspects[row]
        images = self._images
        self.review.show_image(suspect.index, suspect.given, suspect.predicted, suspect.agreement,
                               images[suspect.index] if images is not None and suspect.index < len(images) else None)

    def _redraw(self) -> None:
        suspects = self._suspects or ()
        label = self.label_filter.currentData()
        hidden = set()
        if self.fixes is not None and self.fixes.fix_set is not None and not self.show_reviewed.isChecked():
            hidden = set(self.fixes.reviewed().tolist())
        keep = [i for i, s in enumerate(suspects) if (label < 0 or s.given == label) and s.index not in hidden]
        self.table_model.set_rows([suspects[i] for i in keep], self._histories[keep] if keep else
                                  np.zeros((0, self._histories.shape[1]), np.float32),
                                  [self._forgotten[i] for i in keep], self._images)
        header = self.table.horizontalHeader()
        self.table_model.sort(header.sortIndicatorSection(), header.sortIndicatorOrder())
        self.export_button.setEnabled(bool(keep))
        self.caption.setText(self._caption(len(keep), len(suspects), label, len(hidden)))
        rows = self.table_model.rowCount()
        if rows and self.review is not None:
            self._select_row(min(self._keep_row or 0, rows - 1))
        self._keep_row = None
        self._show_current()

    def _caption(self, shown: int, total: int, label: int, reviewed: int = 0) -> str:
        if self._suspects is None:
            return EMPTY_TEXT
        about = f" ({self._about})" if self._about else ""
        if total == 0:
            return (f"No training image looks mislabelled{about}: none is both hard to learn and steadily "
                    "predicted as one other class.")
        of_class = f" labelled {self.class_names[label]}" if label >= 0 else ""
        listed = f"{shown:,} of {total:,}" if shown != total else f"{total:,}"
        if self._found > total and label < 0:
            listed = f"The {total:,} most suspicious of {self._found:,}"
        if reviewed:
            listed += f" ({reviewed:,} reviewed, not listed)"
        how = ("Decide with the keys below, double-click to inspect, right-click to pin." if self.review is not None
               else "Double-click one to inspect it; right-click to pin it.")
        return f"{listed} likely mislabelled images{of_class} of {self._train_size:,} training images{about}. {how}"

    def _size_columns(self) -> None:
        metrics = self.fontMetrics()
        widths = {IMAGE: THUMBNAIL + metrics.horizontalAdvance("#60000") + 16,
                  LABEL: metrics.horizontalAdvance("model says T-shirt/top") + 16, HISTORY: 120}
        for column in (SCORE, CONFIDENCE, VARIABILITY, FORGOTTEN, AGREEMENT):
            widths[column] = metrics.horizontalAdvance(COLUMNS[column]) + 24  # room for the sort arrow
        for column, width in widths.items():
            self.table.setColumnWidth(column, width)

    def _on_activated(self, index: QModelIndex) -> None:
        if index.isValid():
            self.image_chosen.emit("train", self.listed, index.row())

    def _on_context_menu(self, point: QPoint) -> None:
        index = self.table.indexAt(point)
        if not index.isValid():
            return
        item = int(self.listed[index.row()])
        menu = QMenu(self)
        menu.addAction("Inspect", lambda: self._on_activated(index))
        menu.addAction("Pin", lambda: self.pin_requested.emit("train", item))
        if self.fixes is not None:
            menu.addSeparator()
            add_decisions(menu, self.fixes, np.array([item]), self.table_model.suspects[index.row()].predicted)
        menu.popup(self.table.viewport().mapToGlobal(point))


if __name__ == "__main__":  # a quick look with made-up suspects
    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    rng = np.random.default_rng(0)
    made_up = [Suspect(int(i), int(i % 10), int((i + 3) % 10), float(c), 0.05, int(f), 0.8, 0.8 * (1 - float(c)))
               for i, c, f in zip(rng.choice(60000, 40, replace=False), rng.uniform(0, 0.4, 40), rng.integers(0, 3, 40))]
    view = SuspectsView(CLASS_NAMES)
    view.set_suspects(made_up, rng.uniform(0, 0.5, (40, 10)), [np.array([3])] * 40,
                      rng.integers(0, 255, (60000, 28, 28), dtype=np.uint8), 60000, "made up, 10 epochs")
    view.resize(900, 500)
    view.show()
    app.exec()

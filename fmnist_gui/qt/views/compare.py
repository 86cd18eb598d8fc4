"""Two models on the test set: which is better, whether the difference is real, and where they disagree.

The view is given a Comparison (fmnist_gui.compare, plain numpy) and the test images. It shows each
model's accuracy and the agreement, McNemar's verdict as a sentence with the 95% interval, a 10x10
matrix of the disagreements (A's class down, B's across; a click lists that cell), and the images
they disagree on, most lopsided first, each with both models' answers and, once given, both
saliency maps; images the run's training dynamics call suspicious are flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QLabel, QListView, QPushButton,
                               QSizePolicy, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from fmnist_gui.qt.views.inspector import heat_overlay
from fmnist_gui.qt.views.widgets import CORRECT_COLOR, WRONG_COLOR, gray_to_qimage

if TYPE_CHECKING:  # plain records; a view never imports torch
    from fmnist_gui.compare import Comparison

SHORT_NAMES = {"T-shirt/top": "T-shirt", "Ankle boot": "Boot"}  # ten columns fit a dock; tooltips say them whole
SHOWN = 60  # images listed at a time: each gets two saliency maps, computed for these only
TILE = 64
MODEL_COLORS = (QColor(21, 101, 192), QColor(230, 81, 0))


@dataclass(frozen=True)
class DisagreementTile:
    """One listed image: where it is in the test set and what each model says."""

    index: int
    label: int
    a: int
    b: int
    pa: float
    pb: float
    suspect: bool = False


class DisagreementModel(QAbstractListModel):
    def __init__(self) -> None:
        super().__init__()
        self.tiles: list[DisagreementTile] = []
        self.images: np.ndarray | None = None
        self.saliency: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def set_tiles(self, tiles: list[DisagreementTile], images: np.ndarray | None) -> None:
        self.beginResetModel()
        self.tiles, self.images, self.saliency = tiles, images, {}
        self.endResetModel()

    def set_saliency(self, saliency: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        self.saliency = saliency
        if self.tiles:
            self.dataChanged.emit(self.index(0), self.index(len(self.tiles) - 1))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.tiles)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        tile = self.tiles[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return tile
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"test image #{tile.index}" + (": the run's training dynamics call it suspicious" if tile.suspect else "")
        return None


class DisagreementDelegate(QStyledItemDelegate):
    """A tile: the image with both saliency maps beside it, the label, and each model's answer in its colour."""

    def __init__(self, model: DisagreementModel, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model, self.class_names = model, class_names

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        line = option.fontMetrics.height()
        return QSize(3 * TILE + 16, TILE + 3 * line + 12)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> None:
        tile: DisagreementTile = index.data(Qt.ItemDataRole.UserRole)
        images = self._model.images
        rect = option.rect.adjusted(4, 4, -4, -4)
        painter.save()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().lighter(160))
        if images is not None:
            picture = gray_to_qimage(images[tile.index])
            saliency = self._model.saliency.get(tile.index)
            for column in range(3):
                target = QRectF(rect.left() + column * (TILE + 4), rect.top(), TILE, TILE)
                painter.drawImage(target, picture)
                if column and saliency is not None:
                    painter.drawImage(target, heat_overlay(saliency[column - 1]))
                if column:
                    painter.setPen(QPen(MODEL_COLORS[column - 1], 2))
                    painter.drawRect(target.adjusted(1, 1, -1, -1))
        line = option.fontMetrics.height()
        top = rect.top() + TILE + 4
        painter.setPen(option.palette.text().color())
        flag = "  ⚑ suspect" if tile.suspect else ""
        painter.drawText(QRectF(rect.left(), top, rect.width(), line), Qt.AlignmentFlag.AlignLeft,
                         f"labelled {self.class_names[tile.label]}{flag}")
        for row, (letter, cls, p) in enumerate((("A", tile.a, tile.pa), ("B", tile.b, tile.pb))):
            painter.setPen(CORRECT_COLOR if cls == tile.label else WRONG_COLOR)
            painter.drawText(QRectF(rect.left(), top + (row + 1) * line, rect.width(), line), Qt.AlignmentFlag.AlignLeft,
                             f"{letter}: {self.class_names[cls]} {100 * p:.0f}%")
        painter.restore()


class CompareView(QWidget):
    """See the module's docstring. It computes nothing: the controller gives it the comparison and saliency maps."""

    cell_chosen = Signal(int, int)  # A's class, B's class: list that cell's images (-1, -1: back to all)
    image_chosen = Signal(list, int)  # the listed test images and the one chosen, to inspect (arrows step through them)
    stop_requested = Signal()

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.comparison: Comparison | None = None
        self.names = ("A", "B")
        self.heading = QLabel("Compare two models: File → Compare with… picks the second one.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.verdict = QLabel()
        self.verdict.setWordWrap(True)
        font = QFont(self.verdict.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.verdict.setFont(font)
        self.counts = QLabel()
        self.counts.setWordWrap(True)
        self.stop_button = QPushButton("Stop comparing")
        self.stop_button.clicked.connect(self.stop_requested)
        self.stop_button.hide()
        self.matrix = QTableWidget(len(class_names), len(class_names))
        self.matrix.setHorizontalHeaderLabels([SHORT_NAMES.get(n, n) for n in class_names])
        self.matrix.setVerticalHeaderLabels([f"A: {n}" for n in class_names])
        for column, name in enumerate(class_names):
            header = self.matrix.horizontalHeaderItem(column)
            if header is not None:
                header.setToolTip(f"B says {name}")
        self.matrix_caption = QLabel("Where they disagree: A's answer down the side, B's across the top; a click lists "
                                     "the images of a cell.")
        self.matrix_caption.setWordWrap(True)
        self.matrix.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.matrix.cellClicked.connect(self._on_cell_clicked)
        self.matrix.setToolTip("Images A puts in the row's class and B in the column's; click a cell to list them")
        self.list_caption = QLabel()
        self.list_caption.setWordWrap(True)
        self.show_all_button = QPushButton("All disagreements")
        self.show_all_button.clicked.connect(lambda: self.cell_chosen.emit(-1, -1))
        self.show_all_button.hide()
        self.tiles = DisagreementModel()
        self.gallery = QListView()
        self.gallery.setModel(self.tiles)
        self.gallery.setViewMode(QListView.ViewMode.IconMode)
        self.gallery.setResizeMode(QListView.ResizeMode.Adjust)
        self.gallery.setMovement(QListView.Movement.Static)
        self.gallery.setUniformItemSizes(True)
        self.gallery.setItemDelegate(DisagreementDelegate(self.tiles, class_names, self.gallery))
        self.gallery.activated.connect(self._on_tile_chosen)
        self.gallery.clicked.connect(self._on_tile_chosen)
        self.gallery.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.stop_button)
        listing = QHBoxLayout()
        listing.addWidget(self.list_caption, 1)
        listing.addWidget(self.show_all_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addWidget(self.counts)
        layout.addWidget(self.matrix_caption)
        layout.addWidget(self.matrix, 2)
        layout.addLayout(listing)
        layout.addWidget(self.gallery, 3)

    def show_pending(self, text: str) -> None:
        self.comparison = None
        self.heading.setText(text)
        for label in (self.verdict, self.counts, self.list_caption):
            label.setText("")
        self.matrix.clearContents()
        self.tiles.set_tiles([], None)
        self.stop_button.setVisible(text.startswith("Comparing"))

    def show_comparison(self, comparison: Comparison, names: tuple[str, str]) -> None:
        self.comparison, self.names = comparison, names
        a, b = comparison.a, comparison.b
        blue, orange = (color.name() for color in MODEL_COLORS)
        self.heading.setText(f"<span style='color:{blue}'>■</span> <b>A: {names[0]}</b> {a.accuracy:.2f}% &nbsp; "
                             f"<span style='color:{orange}'>■</span> <b>B: {names[1]}</b> {b.accuracy:.2f}% &nbsp; "
                             f"on {comparison.size:,} test images; they agree on {100 * comparison.agreement:.1f}%")
        self.verdict.setText(comparison.verdict("A", "B"))
        low, high = comparison.difference_ci
        self.counts.setText(f"Both right {comparison.both_right:,} · only A right {comparison.only_a_right:,} · only B right "
                            f"{comparison.only_b_right:,} · both wrong {comparison.both_wrong:,}. B − A: "
                            f"{comparison.difference:+.2f} points, 95% interval {low:+.2f} to {high:+.2f} (McNemar's exact "
                            f"p = {comparison.mcnemar_p:.3g}).")
        self.stop_button.show()
        self._fill_matrix(comparison.disagreement_matrix)

    def list_images(self, tiles: list[DisagreementTile], images: np.ndarray | None, caption: str, is_cell: bool) -> None:
        self.tiles.set_tiles(tiles, images)
        self.list_caption.setText(caption)
        self.show_all_button.setVisible(is_cell)

    def set_saliency(self, saliency: dict[int, tuple[np.ndarray, np.ndarray]]) -> None:
        """Each listed image's saliency under A and under B, by test index."""
        self.tiles.set_saliency(saliency)

    def _fill_matrix(self, matrix: np.ndarray) -> None:
        peak = max(1, int(matrix.max()))
        for row in range(matrix.shape[0]):
            for column in range(matrix.shape[1]):
                count = int(matrix[row, column])
                item = QTableWidgetItem("" if row == column else (f"{count:,}" if count else "·"))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                if count:
                    shade = int(235 - 150 * count / peak)
                    item.setBackground(QColor(255, shade, shade))
                    item.setForeground(QColor(20, 20, 20))
                item.setToolTip(f"A says {self.class_names[row]}, B says {self.class_names[column]}: {count:,} images")
                self.matrix.setItem(row, column, item)

    def _on_tile_chosen(self, index: QModelIndex) -> None:
        self.image_chosen.emit([tile.index for tile in self.tiles.tiles], index.row())

    def _on_cell_clicked(self, row: int, column: int) -> None:
        if row != column:
            self.cell_chosen.emit(row, column)

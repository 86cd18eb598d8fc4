"""The confusion matrix as a heatmap: which classes the model mixes up, and how often."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

EMPTY_HINT = "No model yet: train one or open a checkpoint."
MARGIN = 6.0
GAP = 4.0  # between a label and the grid
SLANT = math.radians(45)  # column names rise to the right when they don't fit flat

# Colour scales as (position, (r, g, b)) stops. Right answers are blue; mistakes are orange to
# red and reach full strength at 20% of a row, so a class mixed up often stands out.
BLUES = ((0.0, (247, 251, 255)), (0.5, (158, 202, 225)), (0.8, (66, 146, 198)), (1.0, (8, 69, 148)))
REDS = ((0.0, (255, 244, 230)), (0.3, (253, 212, 158)), (0.6, (252, 141, 89)), (1.0, (200, 40, 30)))
MISTAKE_FULL = 0.20
ZERO_COLOR = QColor(249, 249, 249)
ZERO_TEXT = QColor(170, 170, 170)
DARK_TEXT = QColor(33, 33, 33)
LIGHT_TEXT = QColor(255, 255, 255)


def _scale(stops: tuple, t: float) -> QColor:
    """The colour at t in [0, 1] along piecewise-linear stops."""
    t = min(1.0, max(0.0, t))
    for (t0, c0), (t1, c1) in zip(stops, stops[1:]):
        if t <= t1:
            f = (t - t0) / (t1 - t0)
            return QColor(*(round(a + f * (b - a)) for a, b in zip(c0, c1)))
    return QColor(*stops[-1][1])


def cell_color(fraction: float, diagonal: bool) -> QColor:
    """A cell's fill from its share of the row: blue when right, orange to red when wrong."""
    if not fraction > 0:
        return ZERO_COLOR
    if diagonal:
        return _scale(BLUES, fraction)
    return _scale(REDS, math.sqrt(min(1.0, fraction / MISTAKE_FULL)))


def text_color(fill: QColor) -> QColor:
    """Dark text on light cells, white text on dark ones."""
    luminance = 0.299 * fill.red() + 0.587 * fill.green() + 0.114 * fill.blue()
    return DARK_TEXT if luminance > 150 else LIGHT_TEXT


def percent_text(fraction: float) -> str:
    """A row share as a whole percent; small non-zero shares read "<1%", not "0%"."""
    if math.isnan(fraction):
        return ""
    text = f"{100 * fraction:.0f}%"
    return "<1%" if text == "0%" and fraction > 0 else text


@dataclass(frozen=True)
class _Counts:
    """The matrix shown and its row shares, always set together."""

    matrix: np.ndarray  # read-only
    fractions: np.ndarray  # row shares, NaN in a row with no images


@dataclass(frozen=True)
class _Layout:
    """Where everything goes at the current size; recomputed on each paint (it is cheap)."""

    grid: QRectF
    cell_width: float
    cell_height: float
    slanted: bool  # column names drawn at 45 degrees
    header_bottom: float  # the baseline of the column names
    caption: QRectF

    def cell(self, true: int, predicted: int) -> QRectF:
        return QRectF(self.grid.left() + predicted * self.cell_width, self.grid.top() + true * self.cell_height,
                      self.cell_width, self.cell_height)


class ConfusionMatrixView(QWidget):
    """Counts of test images by true class (rows) and predicted class (columns), as a heatmap.

    Hover a cell for its numbers; click one to ask for its images.
    """

    cell_clicked = Signal(int, int)  # true class, predicted class

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = tuple(class_names)
        self._counts: _Counts | None = None
        self._hover: tuple[int, int] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(340, 300)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # --- data ----------------------------------------------------------------------------------

    def set_matrix(self, confusion: np.ndarray | None) -> None:
        """Shows an (n, n) count matrix, rows true and columns predicted; None clears the view."""
        if confusion is None:
            self._counts = None
        else:
            matrix = np.array(confusion, dtype=np.int64)
            n = len(self.class_names)
            if matrix.shape != (n, n):
                raise ValueError(f"a confusion matrix for {n} classes must be {n}x{n}, not {'x'.join(map(str, matrix.shape))}")
            matrix.setflags(write=False)
            totals = matrix.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                fractions = np.where(totals > 0, matrix / np.maximum(totals, 1), np.nan)
            self._counts = _Counts(matrix, fractions)
        self._hover = None
        self.setToolTip("")
        self.update()

    @property
    def matrix(self) -> np.ndarray | None:
        """The counts shown (read-only), or None when the view is empty."""
        return None if self._counts is None else self._counts.matrix

    @property
    def caption(self) -> str:
        """The line under the grid: how many images, how many right, what a click does."""
        if self._counts is None:
            return EMPTY_HINT
        total = int(self._counts.matrix.sum())
        if total == 0:
            return "No test images were counted."
        accuracy = 100 * np.trace(self._counts.matrix) / total
        return f"{total:,} test images, {accuracy:.1f}% correct. Click a cell to see its images."

    def cell_texts(self, true: int, predicted: int) -> tuple[str, str]:
        """The count and the row percentage a cell shows, e.g. ("912", "91%")."""
        if self._counts is None:
            return "", ""
        return f"{self._counts.matrix[true, predicted]:d}", percent_text(float(self._counts.fractions[true, predicted]))

    def tooltip_for(self, true: int, predicted: int) -> str:
        """What hovering a cell says, in words; nothing when the view is empty."""
        if self._counts is None:
            return ""
        count = int(self._counts.matrix[true, predicted])
        true_name, predicted_name = self.class_names[true], self.class_names[predicted]
        images = "image" if count == 1 else "images"
        fraction = float(self._counts.fractions[true, predicted])
        share = f"no {true_name} images" if math.isnan(fraction) else f"{100 * fraction:.1f}% of {true_name}"
        return f"True {true_name}, predicted {predicted_name}: {count:,} {images} ({share})"

    # --- geometry ------------------------------------------------------------------------------

    def _layout(self) -> _Layout:
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        n = len(self.class_names)
        name_widths = [metrics.horizontalAdvance(name) for name in self.class_names]
        caption_height = metrics.boundingRect(
            QRectF(0, 0, self.width() - 2 * MARGIN, 1000), Qt.TextFlag.TextWordWrap, self.caption).height()
        caption = QRectF(MARGIN, self.height() - MARGIN - caption_height, self.width() - 2 * MARGIN, caption_height)
        left = MARGIN + line + GAP + max(name_widths) + GAP  # axis title, row names
        right = self.width() - MARGIN
        cell_width = (right - left) / n
        slanted = max(name_widths) + GAP > cell_width
        if slanted:  # a slanted name starts over its column and reaches to the right of it
            cos = math.cos(SLANT)
            for column, width in enumerate(name_widths):
                cell_width = min(cell_width, (right - left - metrics.xHeight() / 2 - cos * (width + metrics.descent())) / (column + 0.5))
            header = math.sin(SLANT) * (max(name_widths) + metrics.ascent())
        else:
            header = line
        header_bottom = MARGIN + line + GAP + header
        top = header_bottom + GAP
        bottom = caption.top() - GAP
        cell_height = max(1.0, (bottom - top) / n)
        grid = QRectF(left, top, cell_width * n, cell_height * n)
        return _Layout(grid, cell_width, cell_height, slanted, header_bottom, caption)

    def cell_rect(self, true: int, predicted: int) -> QRectF:
        """The rectangle of one cell in widget coordinates."""
        return self._layout().cell(true, predicted)

    def cell_at(self, point: QPointF) -> tuple[int, int] | None:
        """(true, predicted) of the cell under a point, or None off the grid or with no matrix."""
        if self._counts is None:
            return None
        layout = self._layout()
        if not layout.grid.contains(point):
            return None
        n = len(self.class_names)
        true = min(n - 1, int((point.y() - layout.grid.top()) / layout.cell_height))
        predicted = min(n - 1, int((point.x() - layout.grid.left()) / layout.cell_width))
        return true, predicted

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(420, 380)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(560, 480)

    # --- mouse ---------------------------------------------------------------------------------

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._on_hovered(self.cell_at(event.position()))

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        self._on_hovered(None)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton:
            cell = self.cell_at(event.position())
            if cell is not None:
                self.cell_clicked.emit(*cell)

    def _on_hovered(self, cell: tuple[int, int] | None) -> None:
        if cell == self._hover:
            return
        self._hover = cell
        self.setToolTip("" if cell is None else self.tooltip_for(*cell))
        self.setCursor(Qt.CursorShape.PointingHandCursor if cell is not None else Qt.CursorShape.ArrowCursor)
        self.update()

    # --- painting ------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        if self._counts is None:
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(QRectF(self.rect()).adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, EMPTY_HINT)
            return
        layout = self._layout()
        self._paint_axes(painter, layout)
        self._paint_cells(painter, layout, self._counts)
        painter.setFont(self.font())
        painter.setPen(self.palette().placeholderText().color())
        painter.drawText(layout.caption, Qt.AlignmentFlag.AlignHCenter | Qt.TextFlag.TextWordWrap, self.caption)

    def _paint_axes(self, painter: QPainter, layout: _Layout) -> None:
        """Axis titles and class names; the hovered cell's row and column names in bold."""
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        grid = layout.grid
        text = self.palette().text().color()
        muted = self.palette().placeholderText().color()
        painter.setPen(muted)
        painter.drawText(QRectF(grid.left(), MARGIN, grid.width(), line), Qt.AlignmentFlag.AlignCenter, "predicted class")
        painter.save()
        painter.translate(MARGIN, grid.center().y())
        painter.rotate(-90)
        painter.drawText(QRectF(-grid.height() / 2, 0, grid.height(), line), Qt.AlignmentFlag.AlignCenter, "true class")
        painter.restore()
        hover_row, hover_column = self._hover if self._hover is not None else (-1, -1)
        normal, bold = QFont(self.font()), QFont(self.font())
        bold.setBold(True)
        painter.setPen(text)
        names_left = MARGIN + line + GAP
        for row, name in enumerate(self.class_names):
            painter.setFont(bold if row == hover_row else normal)
            rect = QRectF(names_left, grid.top() + row * layout.cell_height, grid.left() - GAP - names_left, layout.cell_height)
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
        for column, name in enumerate(self.class_names):
            painter.setFont(bold if column == hover_column else normal)
            centre = grid.left() + (column + 0.5) * layout.cell_width
            if layout.slanted:
                painter.save()  # the name's middle starts right above its column's centre
                painter.translate(centre + metrics.xHeight() / 2, layout.header_bottom)
                painter.rotate(-math.degrees(SLANT))
                painter.drawText(QPointF(0, 0), name)
                painter.restore()
            else:
                rect = QRectF(centre - layout.cell_width / 2, layout.header_bottom - line, layout.cell_width, line)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, name)
        painter.setFont(normal)

    def _cell_font(self, layout: _Layout, counts: _Counts) -> tuple[QFont | None, bool]:
        """The font for cell numbers, larger in large cells and smaller in small ones, and
        whether the percentages fit under the counts. None: not even the counts fit."""
        widest = f"{max(100, int(counts.matrix.max())):d}"
        for factor, padding in ((1.5, 24), (1.25, 16), (1.0, 4), (0.85, 2)):
            font = QFont(self.font())
            font.setPointSizeF(font.pointSizeF() * factor)
            metrics = QFontMetricsF(font)
            two_lines = (2 * metrics.height() + padding <= layout.cell_height
                         and max(metrics.horizontalAdvance(widest), metrics.horizontalAdvance("100%")) + padding <= layout.cell_width)
            one_line = metrics.horizontalAdvance(widest) + padding <= layout.cell_width and metrics.height() + 2 <= layout.cell_height
            if two_lines or (one_line and factor <= 1.0):
                return font, two_lines
        return None, False

    def _paint_cells(self, painter: QPainter, layout: _Layout, counts: _Counts) -> None:
        n = len(self.class_names)
        font, two_lines = self._cell_font(layout, counts)
        if font is not None:
            painter.setFont(font)
        painter.setPen(Qt.PenStyle.NoPen)
        for true in range(n):
            for predicted in range(n):
                fraction = float(counts.fractions[true, predicted])
                fill = cell_color(fraction, true == predicted)
                rect = layout.cell(true, predicted).adjusted(0.5, 0.5, -0.5, -0.5)
                painter.fillRect(rect, fill)
                if font is None:
                    continue
                count, percent = self.cell_texts(true, predicted)
                painter.setPen(ZERO_TEXT if count == "0" else text_color(fill))
                if two_lines and count != "0":
                    upper, lower = QRectF(rect), QRectF(rect)
                    upper.setBottom(rect.center().y())
                    lower.setTop(rect.center().y())
                    painter.drawText(upper, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, count)
                    painter.drawText(lower, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, percent)
                else:
                    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, count)
        if self._hover is not None:
            painter.setPen(QPen(self.palette().text().color(), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(layout.cell(*self._hover).adjusted(1, 1, -1, -1))


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.confusion
    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    view = ConfusionMatrixView(CLASS_NAMES)
    view.set_matrix(np.array([  # a small CNN's mistakes on Fashion-MNIST's test set
        [862, 1, 18, 22, 4, 1, 85, 0, 7, 0],
        [2, 979, 1, 12, 3, 0, 2, 0, 1, 0],
        [16, 1, 861, 9, 58, 0, 54, 0, 1, 0],
        [18, 5, 11, 917, 27, 0, 20, 0, 2, 0],
        [1, 1, 62, 25, 861, 0, 49, 0, 1, 0],
        [0, 0, 0, 0, 0, 979, 0, 14, 1, 6],
        [112, 1, 65, 26, 68, 0, 721, 0, 7, 0],
        [0, 0, 0, 0, 0, 9, 0, 967, 0, 24],
        [4, 1, 3, 3, 2, 2, 4, 3, 977, 1],
        [0, 0, 0, 0, 0, 5, 1, 30, 0, 964],
    ]))
    view.cell_clicked.connect(lambda true, predicted: print(view.tooltip_for(true, predicted)))
    view.show()
    app.exec()

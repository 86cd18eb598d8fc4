"""A grid of test images with their true and predicted labels; a click shows one in the inspector."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QFontMetrics, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.qt.views.widgets import CORRECT_COLOR, WRONG_COLOR, gray_to_qimage

GRID_COLUMNS = 4
GRID_ROWS = 4


class SampleTile(QWidget):
    """One test image with "true" and "predicted (confidence)" lines, framed green or red."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.true_name = ""
        self.predicted_name: str | None = None
        self.confidence = 0.0
        self.correct: bool | None = None
        self.setMinimumSize(56, 84)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def set_sample(self, image: np.ndarray, true_name: str, predicted_name: str | None, confidence: float) -> None:
        self.image = gray_to_qimage(image)
        self.true_name, self.predicted_name, self.confidence = true_name, predicted_name, confidence
        self.correct = None if predicted_name is None else predicted_name == true_name
        mark = "" if self.correct is None else ("correct" if self.correct else "wrong")
        self.setToolTip(f"true: {true_name}" + (f"\npredicted: {predicted_name} ({100 * confidence:.1f}%), {mark}" if predicted_name else "")
                        + "\nClick to see every class's probability")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(120, 150)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton and self.image is not None:
            self.clicked.emit()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        metrics = painter.fontMetrics()
        text_height = 2 * metrics.height() + 4
        side = max(10, min(self.width() - 6, self.height() - text_height - 6))
        left = (self.width() - side) / 2
        frame = QRectF(left - 2, 1, side + 4, side + 4)
        if self.image is None:
            painter.fillRect(frame, QColor(230, 230, 230))
            return
        color = QColor(150, 150, 150) if self.correct is None else (CORRECT_COLOR if self.correct else WRONG_COLOR)
        painter.setPen(QPen(color, 3))
        painter.drawRect(frame)
        painter.drawImage(QRectF(left, 3, side, side), self.image)
        text_top = side + 8
        width = self.width()
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(0, text_top, width, metrics.height()), Qt.AlignmentFlag.AlignHCenter,
                         metrics.elidedText(self.true_name, Qt.TextElideMode.ElideRight, width))
        if self.predicted_name is not None:
            painter.setPen(color)
            text = prediction_caption(self.correct, self.predicted_name, self.confidence, metrics, width)
            painter.drawText(QRectF(0, text_top + metrics.height(), width, metrics.height()), Qt.AlignmentFlag.AlignHCenter, text)


def prediction_caption(correct: bool | None, predicted: str, confidence: float, metrics: QFontMetrics, width: int) -> str:
    """The line under a sample's label: "✓ 100%" when right (the label above says the class), "✗ Coat 70%"
    when wrong; the mark is kept whatever the width (colour must not be the only sign), then the class, then
    the percentage, as room allows: a 1280-pixel screen cut "✓ Sneaker 1…"."""
    mark = "✓ " if correct else "✗ "
    percent = f"{100 * confidence:.0f}%"
    if correct:
        return mark + percent
    for text in (f"{mark}{predicted} {percent}", f"{mark}{predicted}"):
        if metrics.horizontalAdvance(text) <= width:
            return text
    return mark + metrics.elidedText(predicted, Qt.TextElideMode.ElideRight, width - metrics.horizontalAdvance(mark))


class SampleGrid(QWidget):
    """Shows the samples it is given; asks for a new random set, reports which tile was clicked."""

    resample_requested = Signal()
    sample_clicked = Signal(int)  # position in the grid

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.tiles = [SampleTile() for _ in range(GRID_COLUMNS * GRID_ROWS)]
        grid = QGridLayout()
        grid.setSpacing(6)
        for position, tile in enumerate(self.tiles):
            grid.addWidget(tile, position // GRID_COLUMNS, position % GRID_COLUMNS)
            tile.clicked.connect(lambda p=position: self.sample_clicked.emit(p))
        self.caption = QLabel("Test images appear here once the data is loaded.")
        self.caption.setWordWrap(True)
        self.resample_button = QPushButton("New samples")
        self.resample_button.setToolTip("Draw another random set of test images")
        self.resample_button.clicked.connect(self.resample_requested)
        self.resample_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.resample_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(grid, 1)

    @property
    def capacity(self) -> int:
        return len(self.tiles)

    def set_samples(self, images: np.ndarray, labels: np.ndarray, probabilities: np.ndarray | None) -> None:
        """Images (N, 28, 28) uint8 with true labels and, once a model exists, probabilities (N, 10)."""
        self.resample_button.setEnabled(len(images) > 0)
        for position, tile in enumerate(self.tiles[: len(images)]):
            label = int(labels[position])
            if probabilities is None:
                tile.set_sample(images[position], self.class_names[label], None, 0.0)
            else:
                predicted = int(np.argmax(probabilities[position]))
                tile.set_sample(images[position], self.class_names[label], self.class_names[predicted], float(probabilities[position, predicted]))
        if probabilities is None:
            self.caption.setText("Test images with their true labels; predictions appear once a model is trained or opened.")
        else:
            correct = sum(t.correct is True for t in self.tiles[: len(images)])
            self.caption.setText(f"{correct} of {len(images)} right. Green: correct, red: wrong. Click an image for details.")

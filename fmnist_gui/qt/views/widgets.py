"""Small painting helpers shared by the views: numpy images to QImage, probability bars."""

from __future__ import annotations

import numpy as np
from PIL import Image
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QImage, QPainter
from PySide6.QtWidgets import QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.imaging import MAX_PIXELS, ImageError, luminance

CORRECT_COLOR = QColor(46, 125, 50)
WRONG_COLOR = QColor(198, 40, 40)


def gray_to_qimage(image: np.ndarray) -> QImage:
    """An (H, W) uint8 array as a QImage that owns its own copy of the pixels."""
    data = np.ascontiguousarray(image, dtype=np.uint8)
    height, width = data.shape
    return QImage(data.data, width, height, width, QImage.Format.Format_Grayscale8).copy()


class ImageView(QWidget):
    """Paints one grayscale image scaled up with square pixels, centred, keeping its aspect."""

    def __init__(self, parent: QWidget | None = None, minimum: int = 100) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: np.ndarray | None) -> None:
        self._image = None if image is None else gray_to_qimage(image)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(280, 280)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor(0, 0, 0))
        if self._image is None:
            return
        side = min(self.width(), self.height())
        target = QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)
        painter.drawImage(target, self._image)


class ProbabilityBars(QWidget):
    """Horizontal bars, one per class, with names and percentages; the true class is marked."""

    ROW = 22  # a row's height when there is room
    MIN_ROW = 16  # and when there is not: the text still fits

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self._probabilities = np.zeros(len(class_names))
        self._true: int | None = None
        self.setMinimumSize(220, self.MIN_ROW * len(class_names) + 4)

    def set_probabilities(self, probabilities: np.ndarray, true_label: int | None = None) -> None:
        self._probabilities = np.asarray(probabilities, dtype=float)
        self._true = true_label
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(340, self.ROW * len(self.class_names) + 4)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        bold = painter.font()
        bold.setBold(True)
        metrics = QFontMetrics(bold)  # the true class is drawn bold: leave room for it
        name_width = max(metrics.horizontalAdvance(n) for n in self.class_names) + 12
        value_width = metrics.horizontalAdvance("100.0%") + 8
        bar_space = max(10, self.width() - name_width - value_width)
        predicted = int(np.argmax(self._probabilities)) if self._probabilities.any() else -1
        row_height = max(self.MIN_ROW, min(self.ROW, (self.height() - 4) // len(self.class_names)))
        for row, (name, p) in enumerate(zip(self.class_names, self._probabilities)):
            top = row * row_height + 2
            color = CORRECT_COLOR if row == predicted and (self._true is None or row == self._true) else (
                WRONG_COLOR if row == predicted else QColor(120, 144, 156))
            painter.setPen(self.palette().text().color())
            font = painter.font()
            font.setBold(row == self._true)
            painter.setFont(font)
            painter.drawText(QRectF(0, top, name_width - 6, row_height - 4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            painter.fillRect(QRectF(name_width, top + 3, bar_space * float(p), row_height - 8), color)
            painter.drawText(QRectF(name_width + bar_space + 4, top, value_width, row_height - 4), Qt.AlignmentFlag.AlignVCenter, f"{100 * p:.1f}%")


class Verdict(QWidget):
    """A headline ("Prediction: Coat (91.2%)") above the probability bars: a model's answer for one image."""

    def __init__(self, class_names: tuple[str, ...], placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.headline = QLabel(placeholder)
        self.headline.setTextFormat(Qt.TextFormat.RichText)
        self.headline.setWordWrap(True)
        self.bars = ProbabilityBars(class_names)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addWidget(self.bars)

    def show_pending(self, text: str) -> None:
        """No answer (yet): empty bars under `text`."""
        self.bars.set_probabilities(np.zeros(len(self.class_names)))
        self.headline.setText(text)

    def show_probabilities(self, probabilities: np.ndarray | None) -> None:
        """The answer; None when there is no model to ask."""
        self.bars.set_probabilities(np.zeros(len(self.class_names)) if probabilities is None
                                    else np.asarray(probabilities, dtype=float))
        self.headline.setText(prediction_headline(self.class_names, probabilities))


def qimage_to_gray(image: QImage) -> np.ndarray:
    """Any QImage (a pasted one, perhaps with alpha) as an (H, W) uint8 luminance array,
    by the same rule as a picture file (imaging.luminance)."""
    if image.isNull() or image.width() == 0 or image.height() == 0:
        raise ImageError("The clipboard holds no image.")
    if image.width() * image.height() > MAX_PIXELS:
        raise ImageError(f"The pasted picture is {image.width()}x{image.height()} pixels, "
                         f"more than the {MAX_PIXELS // 1_000_000} million this app opens.")
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)  # bytes R, G, B, A on any platform
    width, height = rgba.width(), rgba.height()
    rows = np.frombuffer(rgba.constBits(), dtype=np.uint8, count=rgba.bytesPerLine() * height)
    pixels = rows.reshape(height, rgba.bytesPerLine())[:, : 4 * width].reshape(height, width, 4)
    return luminance(Image.fromarray(np.ascontiguousarray(pixels), "RGBA"))


def prediction_headline(class_names: tuple[str, ...], probabilities: np.ndarray | None) -> str:
    """The line above the probability bars (rich text): the most probable class, or why there is none."""
    if probabilities is None:
        return "Train a model or open a checkpoint to classify it."
    best = int(np.argmax(probabilities))
    return f"Prediction: <b>{class_names[best]}</b> ({100 * float(probabilities[best]):.1f}%)"


def scrolling(widget: QWidget, minimum_width: int = 260, maximum_width: int = 420) -> QScrollArea:
    """`widget` in a vertical scroll area, for a form taller than a small screen; wider is no use to a form."""
    scroll = QScrollArea()
    scroll.setWidget(widget)
    scroll.setWidgetResizable(True)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setMinimumWidth(minimum_width)
    scroll.setMaximumWidth(maximum_width)
    scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
    return scroll


def stacked(banner: QWidget, main: QWidget) -> QWidget:
    """A banner above a widget that takes the rest of the height."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(banner)
    layout.addWidget(main, 1)
    return box

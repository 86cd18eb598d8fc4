"""Classify your own picture: open or paste one, see it as the model sees it, and the model's verdict."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QImage, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.imaging import IMAGE_SUFFIXES, ImageError
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.views.widgets import WRONG_COLOR, Verdict, gray_to_qimage, qimage_to_gray

HINT = "One clothing item on a plain background works best."


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with … rather than widening a narrow dock."""

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, super().minimumSizeHint().height())

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        area = self.contentsRect()
        painter.drawText(area, self.alignment(), self.fontMetrics().elidedText(self.text(), Qt.TextElideMode.ElideRight, area.width()))


class PictureView(QWidget):
    """A picture of any shape scaled to fit, keeping its aspect, framed; enlarged small images keep square pixels.

    ImageView stretches every image to a square and paints black around it; a photo needs its aspect.
    """

    LARGEST = 1024  # a bigger photo is shrunk once, so that repainting a resized dock stays quick

    def __init__(self, placeholder: str = "", parent: QWidget | None = None, minimum: int = 100) -> None:
        super().__init__(parent)
        self.placeholder = placeholder
        self._image: QImage | None = None
        self.setMinimumSize(minimum, minimum)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_image(self, image: np.ndarray | None) -> None:
        self._image = None if image is None else gray_to_qimage(image)
        if self._image is not None and max(self._image.width(), self._image.height()) > self.LARGEST:
            self._image = self._image.scaled(self.LARGEST, self.LARGEST, Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.SmoothTransformation)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(280, 280)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        if self._image is None:
            painter.fillRect(self.rect(), self.palette().base())
            painter.setPen(QPen(self.palette().mid().color()))
            painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        scale = min(self.width() / self._image.width(), self.height() / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        target = QRectF((self.width() - width) / 2, (self.height() - height) / 2, width, height)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, scale < 4)  # enlarged pixels stay square
        painter.drawImage(target, self._image)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(target.adjusted(-0.5, -0.5, 0.5, 0.5))


class OwnImageView(QWidget):
    """Opens or pastes a picture, shows it beside its 28x28 model input, and shows the probabilities it is given.

    It decodes and runs nothing: it says which file was chosen or what was pasted, and whoever
    owns the model answers with show_picture() and show_probabilities().
    """

    file_chosen = Signal(str)  # path of a picture to decode
    image_pasted = Signal(np.ndarray)  # (H, W) uint8 grayscale array from the clipboard
    failed = Signal(str)  # message

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.last_folder = ""
        self._model_input: np.ndarray | None = None

        paste_keys = QKeySequence(QKeySequence.StandardKey.Paste).toString(QKeySequence.SequenceFormat.NativeText)
        self.open_button = QPushButton("Open image…")
        self.open_button.setToolTip("Classify a PNG, JPEG, GIF or WebP picture")
        self.open_button.clicked.connect(self._on_open_clicked)
        self.paste_button = QPushButton("Paste")
        self.paste_button.setToolTip(f"Classify the picture on the clipboard ({paste_keys})")
        self.paste_button.clicked.connect(self.paste)

        self.message = QLabel(HINT)
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)

        self.picture = PictureView("No picture yet")
        self.picture_caption = ElidedLabel("Your picture")
        self.model_view = PictureView()
        self.model_caption = ElidedLabel("What the model sees (28×28)")
        self.model_view.setToolTip("Light item on black, fitted and centred, as Fashion-MNIST items are")
        for caption in (self.picture_caption, self.model_caption):
            caption.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter)

        self.verdict = Verdict(class_names, f"Open a picture or paste one ({paste_keys}) to classify it.")

        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.paste_button)
        buttons.addStretch(1)
        pictures = QHBoxLayout()
        for caption, view in ((self.picture_caption, self.picture), (self.model_caption, self.model_view)):
            column = QVBoxLayout()
            column.setSpacing(2)
            column.addWidget(caption)
            column.addWidget(view, 1)
            pictures.addLayout(column, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addLayout(pictures, 1)
        layout.addWidget(self.verdict)

    @property
    def model_input(self) -> np.ndarray | None:
        """The 28x28 uint8 image last emitted, or None before any picture."""
        return self._model_input

    def show_loading(self, source: str) -> None:
        self.message.setStyleSheet("")
        self.message.setText(f"Reading {source}…")

    def show_picture(self, gray: np.ndarray, model_input: np.ndarray, source: str) -> None:
        """A decoded picture and its 28x28 model input; the verdict follows with show_probabilities."""
        height, width = gray.shape
        self._model_input = model_input
        self.picture.set_image(gray)
        self.model_view.set_image(model_input)
        self.picture_caption.setText(f"Your picture ({width}×{height}): {source}")
        self.picture_caption.setToolTip(f"{source}, {width}×{height} pixels")
        self.message.setStyleSheet("")
        self.message.setText(HINT)
        self.message.setToolTip("")
        self.verdict.show_pending("Classifying…")

    def show_failure(self, message: str) -> None:
        """Why a picture could not be used; what was shown before stays."""
        self.message.setStyleSheet(f"color: {WRONG_COLOR.name()};")
        self.message.setText(message)
        self.message.setToolTip(message)

    def show_probabilities(self, probabilities: np.ndarray | None) -> None:
        """The model's answer for model_input; None when there is no model to ask."""
        if self._model_input is not None:  # else a late answer for a picture no longer shown
            self.verdict.show_probabilities(probabilities)

    def _fail(self, message: str) -> None:
        self.show_failure(message)
        self.failed.emit(message)

    def _on_open_clicked(self) -> None:
        path = dialogs.open_image_path(self, self.last_folder)
        if path:
            self.last_folder = str(Path(path).parent)
            self.file_chosen.emit(path)

    def paste(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        files = [] if mime is None else [url.toLocalFile() for url in mime.urls() if url.isLocalFile()]
        pictures = [f for f in files if f.lower().endswith(IMAGE_SUFFIXES)]
        if pictures:  # a file copied in a file manager: the file itself is better than any preview of it
            self.file_chosen.emit(pictures[0])
            return
        try:
            gray = qimage_to_gray(clipboard.image())
        except ImageError as error:
            self._fail(str(error))
            return
        self.image_pasted.emit(gray)


def fake_probabilities(image: np.ndarray, classes: int = 10) -> np.ndarray:
    """Made-up but repeatable probabilities, for a quick look without a model."""
    rng = np.random.default_rng(int(image.sum()))
    return rng.dirichlet(np.full(classes, 0.3))


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.own_image [picture]
    import sys

    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES

    from fmnist_gui.imaging import read_grayscale, to_fashion_mnist

    def show(gray: np.ndarray, source: str) -> None:
        model_input = to_fashion_mnist(gray)
        view.show_picture(gray, model_input, source)
        view.show_probabilities(fake_probabilities(model_input))

    app = QApplication([])
    view = OwnImageView(CLASS_NAMES)
    view.file_chosen.connect(lambda path: show(read_grayscale(path), path))
    view.image_pasted.connect(lambda gray: show(gray, "clipboard"))
    view.failed.connect(lambda message: print(message, file=sys.stderr))
    if len(sys.argv) > 1:
        view.file_chosen.emit(sys.argv[1])
    else:
        shoe = np.full((80, 120), 255, dtype=np.uint8)
        shoe[30:65, 15:105] = 40
        shoe[15:40, 15:50] = 40
        show(shoe, "a drawn shoe")
    view.resize(450, 600)
    view.show()
    app.exec()

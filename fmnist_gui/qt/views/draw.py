"""Draw an item with the mouse and see it classified as you draw."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.qt.views.widgets import ImageView, Verdict

CANVAS_SIDE = 280  # the drawing's own pixels, whatever the widget's size
PEN_WIDTH = CANVAS_SIDE / 14
SETTLE_MS = 120  # classify once the pen has rested this long
EMPTY_TEXT = "Draw an item with the mouse"


class DrawCanvas(QWidget):
    """A square black canvas the mouse draws white strokes on, kept as a fixed 280x280 grayscale image."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image = QImage(CANVAS_SIDE, CANVAS_SIDE, QImage.Format.Format_Grayscale8)
        self._image.fill(0)
        self._empty = True
        self._last: QPointF | None = None
        self.setMinimumSize(160, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Hold the left mouse button and draw")

    def is_empty(self) -> bool:
        return self._empty

    def gray(self) -> np.ndarray:
        """The drawing as a (280, 280) uint8 array, white strokes on black."""
        rows = np.frombuffer(self._image.constBits(), dtype=np.uint8, count=self._image.bytesPerLine() * CANVAS_SIDE)
        return rows.reshape(CANVAS_SIDE, self._image.bytesPerLine())[:, :CANVAS_SIDE].copy()

    def clear(self) -> None:
        self._image.fill(0)
        self._empty = True
        self._last = None
        self.update()
        self.changed.emit()

    def draw_line(self, start: QPointF, end: QPointF) -> None:
        """A round white stroke between two points in canvas pixels (0..280); a dot when they are equal."""
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), PEN_WIDTH, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin))
        if start == end:
            painter.drawPoint(start)
        else:
            painter.drawLine(start, end)
        painter.end()
        self._empty = False
        self.update()
        self.changed.emit()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(CANVAS_SIDE, CANVAS_SIDE)

    def target(self) -> QRectF:
        """Where the canvas is drawn: the largest centred square."""
        side = min(self.width(), self.height())
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def to_canvas(self, position: QPointF) -> QPointF:
        target = self.target()
        scale = CANVAS_SIDE / target.width()
        return QPointF((position.x() - target.left()) * scale, (position.y() - target.top()) * scale)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() != Qt.MouseButton.LeftButton:
            return
        self._last = self.to_canvas(event.position())
        self.draw_line(self._last, self._last)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if self._last is None:
            return
        point = self.to_canvas(event.position())
        self.draw_line(self._last, point)
        self._last = point

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt's name
        if event.button() != Qt.MouseButton.LeftButton or self._last is None:
            return
        point = self.to_canvas(event.position())
        if point != self._last:
            self.draw_line(self._last, point)
        self._last = None

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        target = self.target()
        painter.drawImage(target, self._image)
        painter.setPen(QPen(self.palette().mid().color()))
        painter.drawRect(target.adjusted(0.5, 0.5, -0.5, -0.5))


class DrawView(QWidget):
    """A canvas, its 28x28 model input, and the probabilities it is given, updated as the drawing settles.

    It computes nothing: it emits the drawing once the pen rests, and whoever owns the model
    answers with show_model_input() and show_probabilities().
    """

    drawing_settled = Signal(np.ndarray)  # (280, 280) uint8 array of the canvas

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self._model_input: np.ndarray | None = None
        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_canvas_changed)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._on_drawing_settled)

        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip("Start a new drawing")
        self.clear_button.clicked.connect(self.clear)
        intro = QLabel("Classified as you draw.")
        intro.setWordWrap(True)
        self.preview = ImageView(minimum=84)
        self.preview.setFixedSize(84, 84)
        self.preview.setToolTip("What the model sees: the drawing fitted and centred in 28×28")
        preview_caption = QLabel("Model sees\n(28×28)")
        preview_caption.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.verdict = Verdict(class_names, EMPTY_TEXT)

        side = QVBoxLayout()
        side.addWidget(intro)
        side.addWidget(self.clear_button)
        side.addSpacing(8)
        side.addWidget(preview_caption)
        side.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addStretch(1)
        top = QHBoxLayout()
        top.addWidget(self.canvas, 1)
        top.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addLayout(top, 1)
        layout.addWidget(self.verdict)

    @property
    def model_input(self) -> np.ndarray | None:
        """The 28x28 uint8 image last emitted, or None while the canvas is empty."""
        return self._model_input

    def canvas_gray(self) -> np.ndarray:
        """The drawing as a (280, 280) uint8 array."""
        return self.canvas.gray()

    def clear(self) -> None:
        self.canvas.clear()

    def show_model_input(self, model_input: np.ndarray) -> bool:
        """The drawing as the model sees it; False when the canvas was cleared meanwhile."""
        if self.canvas.is_empty():
            return False
        self._model_input = model_input
        self.preview.set_image(model_input)
        return True

    def show_probabilities(self, probabilities: np.ndarray | None) -> None:
        """The model's answer for model_input; None when there is no model to ask."""
        if self._model_input is not None:  # else a late answer for a drawing since cleared
            self.verdict.show_probabilities(probabilities)

    def _on_canvas_changed(self) -> None:
        if self.canvas.is_empty():
            self._settle.stop()
            self._model_input = None
            self.preview.set_image(None)
            self.verdict.show_pending(EMPTY_TEXT)
        else:
            self._settle.start()  # restarts: classify once the pen rests

    def _on_drawing_settled(self) -> None:
        if not self.canvas.is_empty():
            self.drawing_settled.emit(self.canvas.gray())


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.draw
    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.imaging import to_fashion_mnist
    from fmnist_gui.qt.views.own_image import fake_probabilities

    def classify(gray: np.ndarray) -> None:
        model_input = to_fashion_mnist(gray)
        if view.show_model_input(model_input):
            view.show_probabilities(fake_probabilities(model_input))

    app = QApplication([])
    view = DrawView(CLASS_NAMES)
    view.drawing_settled.connect(classify)
    view.resize(450, 600)
    view.show()
    app.exec()

"""The presenter: a saved model (or two) answering one input at a time, full screen, readable from the back of a room.

Only the input and the answer are on screen: the input large, what the model sees (the 28x28
picture, enlarged), the ten class probabilities as bars that glide to each new answer, the
models' names, epochs and test accuracies, and for a test image its label with ✓ or ✗. Type is
sized from the screen's height. Every input is one key away; the view only says what was asked
(its signals) and shows what it is given: it computes nothing and starts no thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QKeyEvent, QKeySequence, QPainter, QPen
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStackedWidget, QVBoxLayout, QWidget)

from fmnist_gui.imaging import CAMERA_SQUARE, ImageError
from fmnist_gui.qt.views.draw import DrawCanvas
from fmnist_gui.qt.views.presenter_bars import DARK, LIGHT, PresenterBars, Theme
from fmnist_gui.qt.views.widgets import gray_to_qimage, qimage_to_gray

MODES = ("test", "draw", "camera", "picture")
MODE_KEYS = {Qt.Key.Key_T: "test", Qt.Key.Key_D: "draw", Qt.Key.Key_C: "camera", Qt.Key.Key_P: "picture"}
MODE_TITLES = {"test": "Test images", "draw": "Draw", "camera": "Camera", "picture": "Picture"}
LEGENDS = {
    "test": "← → next · 0–9 a class · M mistakes only · Space plays",
    "draw": "draw with the mouse, a pen or a finger · Space clears",
    "camera": "hold the item inside the square · Space freezes · N next camera",
    "picture": "O opens a file · Ctrl+V pastes · or drop one here",
}
COMMON_LEGEND = "T test · D draw · C camera · P picture · L light/dark · Ctrl+C copies · H hides this · Esc leaves"
SETTLE_MS = 120  # a drawing is classified once the pen has rested this long
FLASH_MS = 2500


@dataclass(frozen=True)
class ModelLabel:
    """How a model is named on screen: "small-cnn · epoch 3 · 91.43% on the test set"."""

    name: str
    detail: str


def text_sizes(height: int) -> dict[str, int]:
    """Pixel sizes of the presenter's type for a screen `height` pixels tall: class names at least 24 px."""
    return {"names": max(24, round(height / 26)), "verdict": max(30, round(height / 16)),
            "header": max(18, round(height / 34)), "legend": max(14, round(height / 50))}


class FramePanel(QWidget):
    """A picture (a camera frame, a test image, a photo) fitted into the panel; for the camera, the square
    it classifies is drawn over the frame."""

    def __init__(self, placeholder: str, guide: bool = False, caption: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._image: QImage | None = None
        self._placeholder = placeholder
        self._guide = guide
        self._note = ""
        self.caption = caption  # painted right under the picture, wherever its size puts it
        self.caption_px = 14
        self.theme: Theme = DARK
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(120, 120)

    def set_image(self, image: QImage | np.ndarray | None, smooth: bool = False) -> None:
        self._image = gray_to_qimage(image) if isinstance(image, np.ndarray) else image
        self._smooth = smooth
        self.update()

    def set_note(self, note: str) -> None:
        """A word over the picture ("Frozen")."""
        self._note = note
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, 480)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.theme.background)
        if self._image is None or self._image.isNull():
            painter.setPen(self.theme.faint)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, getattr(self, "_smooth", False))
        below = 2.6 * self.caption_px if self.caption else 0.0
        scale = min(self.width() / self._image.width(), (self.height() - below) / self._image.height())
        width, height = self._image.width() * scale, self._image.height() * scale
        target = QRectF((self.width() - width) / 2, (self.height() - below - height) / 2, width, height)
        painter.drawImage(target, self._image)
        if self.caption:
            font = QFont(self.font())
            font.setPixelSize(self.caption_px)
            painter.setFont(font)
            painter.setPen(self.theme.faint)
            painter.drawText(QRectF(0, target.bottom() + 4, self.width(), below), Qt.AlignmentFlag.AlignHCenter
                             | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap, self.caption)
        if self._guide:
            side = min(width, height) * CAMERA_SQUARE
            square = QRectF(target.center().x() - side / 2, target.center().y() - side / 2, side, side)
            painter.setPen(QPen(QColor(255, 255, 255, 220), max(2.0, side / 120), Qt.PenStyle.DashLine))
            painter.drawRect(square)
        if self._note:
            font = QFont(self.font())
            font.setPixelSize(max(16, self.height() // 14))
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(QColor(255, 255, 255))
            painter.drawText(target.adjusted(12, 12, -12, -12), Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft,
                             self._note)


class PresenterView(QWidget):
    """See the module's docstring. Keys are read here and turned into intents; the controller answers."""

    leave_requested = Signal()
    mode_requested = Signal(str)  # "test", "draw", "camera" or "picture"
    step_requested = Signal(int)  # -1 or +1: the previous or next test image
    class_requested = Signal(int)  # a digit key: a test image of this class next
    mistakes_toggled = Signal(bool)  # only the images a model gets wrong (or the two disagree on)
    playing_toggled = Signal(bool)  # test images advance by themselves
    drawing_settled = Signal(np.ndarray)  # (280, 280) uint8: the canvas, once the pen rests
    picture_requested = Signal()  # O: choose a picture file
    picture_pasted = Signal(np.ndarray)  # (H, W) uint8 from the clipboard
    picture_dropped = Signal(str)  # a local file dropped on the view
    freeze_toggled = Signal(bool)  # the camera's frame holds still
    camera_chosen = Signal(int)  # an index into the cameras offered

    def __init__(self, class_names: tuple[str, ...], comparing: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.comparing = comparing  # two models: M keeps the images they disagree on
        self.setWindowTitle("Fashion-MNIST trainer — presenting")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.setAutoFillBackground(True)
        self.theme: Theme = DARK
        self.mode = "test"
        self.mistakes_only = self.playing = self.frozen = False
        self._legend_shown = True
        self._models: list[ModelLabel] = []

        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)  # two long model names share a 1280-pixel line
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.modes = QLabel()
        self.modes.setTextFormat(Qt.TextFormat.RichText)
        self.cameras = QComboBox()
        self.cameras.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the presenter
        self.cameras.activated.connect(self.camera_chosen)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.hide)

        self.test_panel = FramePanel("Loading the test images…")
        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._on_canvas_changed)
        self.camera_panel = FramePanel("Starting the camera…", guide=True)
        self.picture_panel = FramePanel("Press O to open a picture, Ctrl+V to paste one, or drop one here.")
        self.inputs = QStackedWidget()
        for panel in (self.test_panel, self.canvas, self.camera_panel, self.picture_panel):
            self.inputs.addWidget(panel)
        self.input_caption = QLabel()
        self.input_caption.setWordWrap(True)
        self.input_caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.seen = FramePanel("", caption="What the model sees (28×28)")
        self.bars = PresenterBars(class_names)
        self.verdict = QLabel()
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.verdict.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend = QLabel()
        self.legend.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.legend.setWordWrap(True)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(lambda: self.drawing_settled.emit(self.canvas.gray()))
        self._lay_out()
        self.set_theme("dark")
        self.set_mode("test")

    def _lay_out(self) -> None:
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.cameras)
        top.addWidget(self.modes)
        left = QVBoxLayout()
        left.addWidget(self.inputs, 1)
        left.addWidget(self.input_caption)
        row = QHBoxLayout()
        row.addLayout(left, 5)
        row.addWidget(self.seen, 2)
        row.addWidget(self.bars, 6)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addLayout(row, 1)
        layout.addWidget(self.verdict)
        layout.addWidget(self.legend)

    # What the controller shows
    def set_models(self, models: list[ModelLabel]) -> None:
        self._models = models
        self.bars.set_model_count(len(models))
        self._show_header()

    def show_test_image(self, image: np.ndarray, label: int, caption: str) -> None:
        self.test_panel.set_image(image)
        self._show_model_input(image)
        self.input_caption.setText(caption)
        self.bars.set_truth(label)
        self._waiting()

    def show_picture(self, gray: np.ndarray, model_input: np.ndarray, caption: str) -> None:
        self.picture_panel.set_image(gray, smooth=True)
        self._show_model_input(model_input)
        self.input_caption.setText(caption)
        self.bars.set_truth(None)

    def show_camera_frame(self, frame: QImage) -> None:
        self.camera_panel.set_image(frame, smooth=True)

    def show_model_input(self, model_input: np.ndarray | None) -> None:
        """What the model was given for a drawing or a camera frame."""
        self._show_model_input(model_input)
        if self.mode in ("draw", "camera"):
            self.bars.set_truth(None)

    def show_answer(self, model: int, probabilities: np.ndarray) -> None:
        self.bars.set_answer(model, probabilities)
        self._show_verdict()

    def clear_answers(self) -> None:
        for model in range(len(self._models)):
            self.bars.set_answer(model, None)
        self.verdict.setText("")

    def set_cameras(self, names: list[str], current: int) -> None:
        self.cameras.clear()
        self.cameras.addItems(names)
        if names:
            self.cameras.setCurrentIndex(current)
        self.cameras.setVisible(self.mode == "camera" and len(names) > 1)

    def show_message(self, text: str, lasting: bool = False) -> None:
        """A sentence above the picture (no camera, a picture that cannot be read); it fades unless lasting."""
        self.message.setText(text)
        self.message.show()
        if lasting:
            self._message_timer.stop()
        else:
            self._message_timer.start(FLASH_MS)

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.inputs.setCurrentIndex(MODES.index(mode))
        self.cameras.setVisible(mode == "camera" and self.cameras.count() > 1)
        self.message.hide()
        self._show_modes()
        self._show_legend()
        self.clear_answers()
        self.seen.set_image(None)
        self.input_caption.setText("")
        if mode == "draw":
            self.canvas.clear()

    def set_frozen(self, frozen: bool) -> None:
        self.frozen = frozen
        self.camera_panel.set_note("Frozen" if frozen else "")

    def set_theme(self, name: str) -> None:
        self.theme = LIGHT if name == "light" else DARK
        palette = self.palette()
        palette.setColor(self.backgroundRole(), self.theme.background)
        palette.setColor(self.foregroundRole(), self.theme.text)
        self.setPalette(palette)
        for panel in (self.test_panel, self.camera_panel, self.picture_panel, self.seen):
            panel.theme = self.theme
            panel.update()
        self._apply_sizes()

    def copy_screen(self) -> None:
        """The screen as a picture on the clipboard, for a slide."""
        QGuiApplication.clipboard().setImage(self.grab().toImage())
        self.show_message("The screen is on the clipboard as a picture.")

    # Text on screen
    def _show_header(self) -> None:
        parts = []
        for index, model in enumerate(self._models):
            colour = self.theme.models[index % 2].name()
            tag = f"<span style='color:{colour}'>■</span> " if len(self._models) > 1 else ""
            letter = f"{'AB'[index]}: " if len(self._models) > 1 else ""
            parts.append(f"{tag}<b>{letter}{model.name}</b> <span style='color:{self.theme.faint.name()}'>"
                         f"{model.detail}</span>")
        self.header.setText("&nbsp;&nbsp;&nbsp;".join(parts) or "No model")

    def _show_modes(self) -> None:
        faint = self.theme.faint.name()
        words = [f"<b>{MODE_TITLES[m]}</b>" if m == self.mode else f"<span style='color:{faint}'>{MODE_TITLES[m]}</span>"
                 for m in MODES]
        self.modes.setText(" · ".join(words))

    def _show_legend(self) -> None:
        extra = []
        which = "disagreements" if self.comparing else "mistakes"
        if self.mode == "test":
            extra += ["playing"] if self.playing else []
            extra += [f"{which} only"] if self.mistakes_only else []
        state = f" ({', '.join(extra)})" if extra else ""
        legend = LEGENDS[self.mode].replace("M mistakes only", f"M {which} only")
        self.legend.setText(f"{legend}{state}  ·  {COMMON_LEGEND}")
        self.legend.setVisible(self._legend_shown)

    def _show_verdict(self) -> None:
        truth = self.bars.truth
        answers = [self.bars.predicted(m) for m in range(len(self._models))]
        if not answers or None in answers:
            return
        right, wrong = self.theme.right.name(), self.theme.wrong.name()
        pieces = []
        for index, predicted in enumerate(answers):
            assert predicted is not None
            name = self.class_names[predicted]
            letter = f"{'AB'[index]}: " if len(answers) > 1 else ""
            if truth is None:
                answer = self.bars.answer(index)
                confidence = 100 * float(answer[predicted]) if answer is not None else 0.0
                pieces.append(f"{letter}{name} <span style='color:{self.theme.faint.name()}'>{confidence:.0f}%</span>")
            elif predicted == truth:
                pieces.append(f"{letter}{name} <span style='color:{right}'>✓</span>")
            else:
                pieces.append(f"{letter}{name} <span style='color:{wrong}'>✗</span>")
        text = " &nbsp;&nbsp; ".join(pieces)
        if truth is not None and any(a != truth for a in answers):
            text += f"<span style='color:{self.theme.faint.name()}'> — it is a {self.class_names[truth]}</span>"
        elif len(answers) == 2 and answers[0] != answers[1]:
            text += f"<span style='color:{self.theme.faint.name()}'> — they disagree</span>"
        self.verdict.setText(text)

    def _waiting(self) -> None:
        for model in range(len(self._models)):
            self.bars.set_answer(model, None)
        self.verdict.setText("")

    def _show_model_input(self, image: np.ndarray | None) -> None:
        self.seen.set_image(image)

    def _apply_sizes(self) -> None:
        sizes = text_sizes(max(self.height(), 400))
        self.bars.set_style(self.theme, sizes["names"])
        for label, key in ((self.header, "header"), (self.modes, "header"), (self.verdict, "verdict"),
                           (self.legend, "legend"), (self.input_caption, "header"), (self.message, "header")):
            font = QFont(label.font())
            font.setPixelSize(sizes[key])
            label.setFont(font)
        self.cameras.setFont(self.header.font())
        colour = f"color: {self.theme.text.name()};"
        for label in (self.header, self.modes, self.verdict, self.input_caption):
            label.setStyleSheet(colour)
        self.legend.setStyleSheet(f"color: {self.theme.faint.name()};")
        self.seen.caption_px = sizes["legend"]
        self.message.setStyleSheet(f"color: {self.theme.wrong.name()}; font-weight: bold;")
        self._show_header()
        self._show_modes()
        self._show_legend()
        self._show_verdict()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._apply_sizes()

    # Input
    def _on_canvas_changed(self) -> None:
        if self.canvas.is_empty():
            self._settle.stop()
            self.clear_answers()
            self.seen.set_image(None)
        else:
            self._settle.start()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        key, modifiers = event.key(), event.modifiers()
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_screen()
        elif event.matches(QKeySequence.StandardKey.Paste):
            self._paste()
        elif key == Qt.Key.Key_Escape:
            self.leave_requested.emit()
        elif key in MODE_KEYS and not modifiers & Qt.KeyboardModifier.ControlModifier:
            self.mode_requested.emit(MODE_KEYS[Qt.Key(key)])
        elif key in (Qt.Key.Key_H, Qt.Key.Key_Question, Qt.Key.Key_F1):
            self._legend_shown = not self._legend_shown
            self._show_legend()
        elif key == Qt.Key.Key_L:
            self.set_theme("dark" if self.theme is LIGHT else "light")
        elif not self._mode_key(event):
            super().keyPressEvent(event)

    def _mode_key(self, event: QKeyEvent) -> bool:
        """The keys of the input on screen; True when the key meant something here."""
        key = event.key()
        if self.mode == "test":
            if key in (Qt.Key.Key_Right, Qt.Key.Key_Left):
                self.step_requested.emit(1 if key == Qt.Key.Key_Right else -1)
            elif Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
                self.class_requested.emit(int(key) - int(Qt.Key.Key_0))
            elif key == Qt.Key.Key_M:
                self.mistakes_only = not self.mistakes_only
                self._show_legend()
                self.mistakes_toggled.emit(self.mistakes_only)
            elif key == Qt.Key.Key_Space:
                self.playing = not self.playing
                self._show_legend()
                self.playing_toggled.emit(self.playing)
            else:
                return False
        elif self.mode == "draw" and key == Qt.Key.Key_Space:
            self.canvas.clear()
        elif self.mode == "camera" and key == Qt.Key.Key_Space:
            self.set_frozen(not self.frozen)
            self.freeze_toggled.emit(self.frozen)
        elif self.mode == "camera" and key == Qt.Key.Key_N and self.cameras.count() > 1:
            self.camera_chosen.emit((self.cameras.currentIndex() + 1) % self.cameras.count())
        elif self.mode == "picture" and key == Qt.Key.Key_O:
            self.picture_requested.emit()
        else:
            return False
        return True

    def _paste(self) -> None:
        image = QGuiApplication.clipboard().image()
        if image.isNull():
            self.show_message("The clipboard holds no picture.")
            return
        try:
            self.picture_pasted.emit(qimage_to_gray(image))
        except ImageError as exc:
            self.show_message(str(exc))

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.picture_dropped.emit(urls[0].toLocalFile())


if __name__ == "__main__":  # a quick look: python -m fmnist_gui.qt.views.presenter
    import sys

    from PySide6.QtWidgets import QApplication

    from fmnist_gui.data import CLASS_NAMES

    app = QApplication(sys.argv)
    view = PresenterView(CLASS_NAMES)
    view.set_models([ModelLabel("small-cnn", "epoch 3 · 91.43% on the test set"),
                     ModelLabel("quickstart-mlp", "epoch 5 · 83.10%")])
    rng = np.random.default_rng(0)
    view.show_test_image(rng.integers(0, 255, (28, 28), dtype=np.uint8), 7, "Test image 1 of 10,000 · labelled Sneaker")
    view.show_answer(0, np.eye(10)[7] * 0.9 + 0.01)
    view.show_answer(1, np.eye(10)[5] * 0.6 + 0.04)
    view.resize(1280, 720)
    view.show()
    sys.exit(app.exec())

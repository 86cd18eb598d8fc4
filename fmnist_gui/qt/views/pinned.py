"""Pinned images: how the model learns a few chosen images, epoch by epoch.

A card per pin (at most MAX_PINS, so plain widgets are cheap): the thumbnail, which image it is,
a sparkline of its probability of its label with red dots where it was forgotten, and the
model's latest prediction. Pins are made from the galleries' context menus.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QPixmap
from PySide6.QtWidgets import (QApplication, QFrame, QHBoxLayout, QLabel, QMenu, QScrollArea, QToolButton, QVBoxLayout,
                               QWidget)

from fmnist_gui.engine.events import NOT_SEEN
from fmnist_gui.qt.state.dynamics_model import ImageHistory
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.sparkline import Sparkline
from fmnist_gui.qt.views.widgets import CORRECT_COLOR, WRONG_COLOR, gray_to_qimage

THUMBNAIL = 48
EMPTY_TEXT = ("Nothing pinned yet. Right-click an image in any gallery → Pin, and follow here how the model "
              "learns it, epoch by epoch.")
SPLIT_NAMES = {"train": "train", "test": "test"}


@dataclass(frozen=True)
class PinnedImage:
    """What one card shows; `history` is None while there are no dynamics (or none for that image)."""

    split: str  # "train" or "test"
    index: int
    label: int
    image: np.ndarray | None  # (28, 28) uint8, None when the data is not loaded
    history: ImageHistory | None


def latest_prediction(history: ImageHistory | None) -> int | None:
    """The class predicted at the last epoch the image was seen in, if any."""
    if history is None:
        return None
    seen = np.flatnonzero(history.predicted != NOT_SEEN)
    return int(history.predicted[seen[-1]]) if len(seen) else None


class PinCard(QFrame):
    """One pinned image; a click inspects it, its ✕ button or context menu unpins it."""

    chosen = Signal()
    unpin_requested = Signal()

    def __init__(self, pinned: PinnedImage, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.pinned = pinned
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.thumbnail = QLabel()
        self.thumbnail.setFixedSize(THUMBNAIL, THUMBNAIL)
        if pinned.image is not None:
            self.thumbnail.setPixmap(QPixmap.fromImage(gray_to_qimage(pinned.image).scaled(THUMBNAIL, THUMBNAIL)))
        self.title = QLabel(f"<b>{SPLIT_NAMES.get(pinned.split, pinned.split)} #{pinned.index}</b> · "
                            f"{class_names[pinned.label]}")
        self.sparkline = Sparkline()
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.RichText)
        history = pinned.history
        if history is not None and len(history.probability):
            self.sparkline.set_values(history.probability, history.forgotten)
            self.sparkline.setToolTip(self._history_tip(history))
        else:
            self.sparkline.hide()
        self.status.setText(self._status_text(class_names))
        self.unpin_button = QToolButton()
        self.unpin_button.setText("✕")
        self.unpin_button.setAutoRaise(True)
        self.unpin_button.setToolTip("Unpin this image")
        self.unpin_button.clicked.connect(self.unpin_requested)
        text = QVBoxLayout()
        text.setSpacing(2)
        heading = QHBoxLayout()
        heading.addWidget(self.title, 1)
        heading.addWidget(self.unpin_button)
        text.addLayout(heading)
        text.addWidget(self.sparkline)
        text.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 4, 4)
        layout.addWidget(self.thumbnail, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(text, 1)

    def _status_text(self, class_names: tuple[str, ...]) -> str:
        history = self.pinned.history
        predicted = latest_prediction(history)
        if history is None or predicted is None:
            return "No training history yet: it is recorded at each epoch's end."
        color = (CORRECT_COLOR if predicted == self.pinned.label else WRONG_COLOR).name()
        forgotten = len(history.forgotten)
        learned = bool(np.any(history.predicted == self.pinned.label))
        times = "never learned" if not learned else ("never forgotten" if forgotten == 0 else f"forgotten {forgotten}×")
        last_epoch = int(history.epochs[-1]) if len(history.epochs) else 0
        return f"epoch {last_epoch}: <span style='color:{color}'>{class_names[predicted]}</span> · {times}"

    def _history_tip(self, history: ImageHistory) -> str:
        lines = [f"epoch {int(e)}: {100 * float(p):.0f}%" if np.isfinite(p) else f"epoch {int(e)}: not seen"
                 for e, p in zip(history.epochs, history.probability)]
        return "Probability of its label\n" + "\n".join(lines[-20:])

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.chosen.emit()
        super().mouseReleaseEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        menu = QMenu(self)
        menu.addAction("Inspect", self.chosen.emit)
        menu.addAction("Unpin", self.unpin_requested.emit)
        menu.popup(event.globalPos())


class PinnedView(RedrawWhenShown, QWidget):
    """The pinned images' cards in pin order, or a hint how to pin one."""

    image_chosen = Signal(str, object, int)  # split name, dataset indices (the pins of that split), position
    unpin_requested = Signal(str, int)  # split name, dataset index

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self._pins: tuple[PinnedImage, ...] = ()
        self.cards: list[PinCard] = []
        self.caption = QLabel(EMPTY_TEXT)
        self.caption.setWordWrap(True)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self._list)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(scroll, 1)
        self.refresh()

    def set_pins(self, pins: Sequence[PinnedImage]) -> None:
        self._pins = tuple(pins)
        self.refresh()

    def _redraw(self) -> None:
        for card in self.cards:
            self._list_layout.removeWidget(card)
            card.hide()  # gone from the screen now; deleted once the event loop gets to it
            card.deleteLater()
        self.cards = []
        for position, pinned in enumerate(self._pins):
            card = PinCard(pinned, self.class_names)
            card.chosen.connect(lambda pinned=pinned: self._on_chosen(pinned))
            card.unpin_requested.connect(lambda pinned=pinned: self.unpin_requested.emit(pinned.split, pinned.index))
            self._list_layout.insertWidget(position, card)
            self.cards.append(card)
        self.caption.setText(self._caption())

    def _caption(self) -> str:
        if not self._pins:
            return EMPTY_TEXT
        if all(p.history is None for p in self._pins):
            return (f"{len(self._pins)} pinned. Their probability of their label appears here epoch by epoch "
                    "once a run trains or a recorded run is opened.")
        return (f"{len(self._pins)} pinned: the probability of each one's label per epoch; red dots where the model "
                "forgot it. Click one to inspect it.")

    def _on_chosen(self, pinned: PinnedImage) -> None:
        same_split = [p.index for p in self._pins if p.split == pinned.split]
        self.image_chosen.emit(pinned.split, np.array(same_split, dtype=np.int64), same_split.index(pinned.index))


if __name__ == "__main__":  # a quick look with made-up histories
    from fmnist_gui.data import CLASS_NAMES

    app = QApplication([])
    rng = np.random.default_rng(0)
    epochs = np.arange(1, 11)
    made_up = [PinnedImage("train", int(i), int(i % 10), rng.integers(0, 255, (28, 28), dtype=np.uint8),
                           ImageHistory("train", int(i), int(i % 10), epochs, rng.uniform(0, 1, 10).astype(np.float32),
                                        rng.integers(0, 10, 10).astype(np.uint8), np.array([2, 6])))
               for i in range(5)]
    view = PinnedView(CLASS_NAMES)
    view.set_pins(made_up)
    view.resize(420, 600)
    view.show()
    app.exec()

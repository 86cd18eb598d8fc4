"""One image large: every class's probability and where the model looked (a saliency overlay)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPainter
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.views.widgets import ImageView, ProbabilityBars

if TYPE_CHECKING:  # the record only: a view never imports torch
    from fmnist_gui.engine.saliency import Explanation

OVERLAY_OPACITY = 0.85
OVERLAY_FLOOR = 0.15  # weaker gradients stay transparent, so the image shows through


def heat_overlay(saliency: np.ndarray) -> QImage:
    """A red-to-yellow heat map whose opacity follows the saliency (0 transparent, 1 opaque)."""
    s = np.clip(saliency, 0.0, 1.0)
    rgba = np.zeros(s.shape + (4,), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = np.rint(255 * np.clip(2 * s - 1, 0, 1))  # yellow where it is strongest
    rgba[..., 3] = np.rint(255 * OVERLAY_OPACITY * np.clip((s - OVERLAY_FLOOR) / (1 - OVERLAY_FLOOR), 0, 1))
    height, width = s.shape
    return QImage(rgba.tobytes(), width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


class SaliencyImageView(ImageView):
    """ImageView with an optional saliency overlay on top."""

    def __init__(self, parent: QWidget | None = None, minimum: int = 180) -> None:
        super().__init__(parent, minimum=minimum)
        self._overlay: QImage | None = None
        self.overlay_visible = True

    def set_saliency(self, saliency: np.ndarray | None) -> None:
        self._overlay = None if saliency is None else heat_overlay(saliency)
        self.update()

    def set_overlay_visible(self, visible: bool) -> None:
        self.overlay_visible = visible
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._overlay is None or not self.overlay_visible:
            return
        painter = QPainter(self)
        side = min(self.width(), self.height())
        painter.drawImage(QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side), self._overlay)


class InspectorView(QWidget):
    """Shows one image of a list it is given; arrow keys step through the list."""

    explanation_wanted = Signal(object, object)  # tag, (28, 28) uint8 image
    pin_requested = Signal(str, int)  # split name, dataset index

    def __init__(self, predictions: Predictions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.predictions = predictions
        self.fixes: LabelFixes | None = None  # the fix set under review, once the window has one
        self.split_name = "test"
        self.indices = np.zeros(0, dtype=np.int64)
        self.position = 0
        self.explanation: Explanation | None = None
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.heading = QLabel("Click an image in the samples, a gallery or the dataset browser to inspect it here.")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.image_view = SaliencyImageView(minimum=120)
        self.bars = ProbabilityBars(predictions.class_names)
        self.compare_label = QLabel()
        self.compare_bars = ProbabilityBars(predictions.class_names)
        for widget in (self.compare_label, self.compare_bars):
            widget.hide()
        self.overlay_toggle = QCheckBox("Saliency overlay")
        self.overlay_toggle.setChecked(True)
        self.overlay_toggle.setToolTip(
            "Colour the pixels whose change would most change the predicted class's score "
            "(the gradient of that score with respect to the input)"
        )
        self.previous_button = QPushButton("◀ Previous")
        self.next_button = QPushButton("Next ▶")
        for button in (self.previous_button, self.next_button):
            button.setToolTip("Step through the images of the list this one came from (arrow keys too)")
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.position_label = QLabel()
        self.position_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.pin_button = QPushButton("Pin")
        self.pin_button.setToolTip("Follow this image epoch by epoch in the Pinned panel (P)")
        self.pin_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        navigation = QHBoxLayout()
        navigation.addWidget(self.previous_button)
        navigation.addWidget(self.position_label, 1)
        navigation.addWidget(self.pin_button)
        navigation.addWidget(self.next_button)
        self.image_view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.image_view, 1)
        layout.addWidget(self.overlay_toggle)
        layout.addWidget(self.bars)
        layout.addWidget(self.compare_label)
        layout.addWidget(self.compare_bars)
        layout.addLayout(navigation)

        self.overlay_toggle.toggled.connect(self.image_view.set_overlay_visible)
        self.previous_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.pin_button.clicked.connect(self._pin_current)
        predictions.results_changed.connect(self._on_results_changed)
        self._update_navigation()

    # Data in
    def show_images(self, split_name: str, indices: np.ndarray, position: int) -> None:
        """Inspect `indices[position]` of a split, stepping through `indices` later."""
        self.split_name, self.indices = split_name, np.asarray(indices, dtype=np.int64).copy()
        self.position = int(np.clip(position, 0, max(0, len(self.indices) - 1)))
        self._show_current()

    def show_explanation(self, tag: Any, explanation: Explanation) -> None:
        """The model's answer for an image; ignored when the user has moved on."""
        if tag != self.tag:
            return
        self.explanation = explanation
        self.image_view.set_saliency(explanation.saliency)
        self.bars.set_probabilities(explanation.probabilities, self.current_label)
        self._update_heading(explanation.probabilities)

    def show_comparison(self, label: str | None, probabilities: np.ndarray | None = None) -> None:
        """Another epoch's probabilities for the same image, under the shown ones; None hides them."""
        for widget in (self.compare_label, self.compare_bars):
            widget.setVisible(label is not None)
        if label is not None:
            self.compare_label.setText(f"<b>{label}</b> for comparison" + ("" if probabilities is not None else ": …"))
            self.compare_bars.set_probabilities(probabilities if probabilities is not None
                                                else np.zeros(len(self.predictions.class_names)), self.current_label)

    def step(self, delta: int) -> None:
        if len(self.indices) == 0:
            return
        self.position = int(np.clip(self.position + delta, 0, len(self.indices) - 1))
        self._show_current()

    @property
    def current_index(self) -> int | None:
        return int(self.indices[self.position]) if len(self.indices) else None

    @property
    def current_label(self) -> int | None:
        split = self.predictions.split(self.split_name)
        index = self.current_index
        return None if split is None or index is None else int(split.labels[index])

    @property
    def tag(self) -> tuple[str, int | None]:
        """Which image is shown: answers for another one are late and ignored."""
        return (self.split_name, self.current_index)

    def current_image(self) -> np.ndarray | None:
        split = self.predictions.split(self.split_name)
        index = self.current_index
        return None if split is None or index is None else split.images[index].copy()

    def _show_current(self) -> None:
        split = self.predictions.split(self.split_name)
        index = self.current_index
        self._update_navigation()
        if split is None or index is None:
            return
        self.explanation = None
        self.image_view.set_image(split.images[index])
        self.image_view.set_saliency(None)
        known = None if split.probabilities is None else split.probabilities[index]
        self.bars.set_probabilities(np.zeros(len(self.predictions.class_names)) if known is None else known, int(split.labels[index]))
        self._update_heading(known)
        if self.predictions.checkpoint is not None:
            self.explanation_wanted.emit(self.tag, split.images[index].copy())

    def _update_heading(self, probabilities: np.ndarray | None) -> None:
        index, label = self.current_index, self.current_label
        if index is None or label is None:
            return
        names = self.predictions.class_names
        if self.split_name == "train":  # a training label is what the data says; some are wrong, and some fixed
            decided = self.fixes.decision_text(index) if self.fixes is not None else ""
            text = f"Training image #{index} — labelled <b>{names[label]}</b>" + (f" ({decided})" if decided else "")
        else:
            text = f"{self.split_name.capitalize()} image #{index} — true class <b>{names[label]}</b>"
        if probabilities is None:
            text += ". No model yet." if self.predictions.checkpoint is None else "."
        else:
            predicted = int(np.argmax(probabilities))
            verdict = "right" if predicted == label else "<span style='color:#c62828'>wrong</span>"
            text += f", predicted <b>{names[predicted]}</b> ({100 * probabilities[predicted]:.1f}%), {verdict}"
        self.heading.setText(text)

    def set_label_fixes(self, fixes: LabelFixes) -> None:
        """Training images then say the fix set's decision beside their label ("fixed to Dress")."""
        self.fixes = fixes
        fixes.changed.connect(self._on_fixes_changed)

    def _on_fixes_changed(self) -> None:
        split = self.predictions.split(self.split_name)
        index = self.current_index
        if split is not None and index is not None and self.split_name == "train":
            self._update_heading(None if split.probabilities is None else split.probabilities[index])

    def _update_navigation(self) -> None:
        count = len(self.indices)
        self.previous_button.setEnabled(count > 0 and self.position > 0)
        self.next_button.setEnabled(count > 0 and self.position < count - 1)
        self.position_label.setText(f"{self.position + 1:,} of {count:,}" if count else "")
        self.pin_button.setEnabled(count > 0)

    def _pin_current(self) -> None:
        index = self.current_index
        if index is not None:
            self.pin_requested.emit(self.split_name, index)

    def _on_results_changed(self) -> None:
        if len(self.indices):
            self._show_current()  # the model changed: ask again

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        steps: dict[int, int] = {Qt.Key.Key_Left: -1, Qt.Key.Key_Up: -1, Qt.Key.Key_Right: 1, Qt.Key.Key_Down: 1,
                                 Qt.Key.Key_PageUp: -10, Qt.Key.Key_PageDown: 10}
        if event.key() in steps:
            self.step(steps[event.key()])
        elif event.key() == Qt.Key.Key_Home:
            self.step(-len(self.indices))
        elif event.key() == Qt.Key.Key_End:
            self.step(len(self.indices))
        elif event.key() == Qt.Key.Key_P:
            self._pin_current()
        else:
            super().keyPressEvent(event)



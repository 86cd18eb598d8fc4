"""Large class-probability bars for one or two models, sized for a room, that glide to each new answer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

FRAME_MS = 16  # about 60 redraws a second while the bars move
EASING = 0.22  # the share of the remaining distance covered each frame: ~250 ms to settle
SETTLED = 0.0005


@dataclass(frozen=True)
class Theme:
    """The presenter's colours: a dark one for screens, a light one for projectors that wash out dark greys."""

    name: str
    background: QColor
    text: QColor
    faint: QColor  # captions, the legend
    track: QColor  # the empty part of a bar
    models: tuple[QColor, QColor]  # model A's bars, model B's
    right: QColor
    wrong: QColor


DARK = Theme("dark", QColor(16, 18, 22), QColor(245, 245, 245), QColor(170, 176, 186), QColor(44, 48, 56),
             (QColor(66, 165, 245), QColor(255, 183, 77)), QColor(102, 187, 106), QColor(239, 83, 80))
LIGHT = Theme("light", QColor(255, 255, 255), QColor(20, 20, 20), QColor(85, 85, 85), QColor(228, 228, 228),
              (QColor(21, 101, 192), QColor(230, 81, 0)), QColor(27, 122, 42), QColor(198, 40, 40))
THEMES = {theme.name: theme for theme in (DARK, LIGHT)}


class PresenterBars(QWidget):
    """Ten rows (class name, a bar per model, its percentage); the predicted rows are marked, and where two
    models disagree both rows are outlined in the disagreeing model's colour."""

    def __init__(self, class_names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.class_names = class_names
        self.theme = DARK
        self.font_px = 24
        self._shown: list[np.ndarray] = []  # what is painted now, per model
        self._targets: list[np.ndarray | None] = []  # where each model's bars are going; None: no answer yet
        self._truth: int | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._advance)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    # What the presenter sets
    def set_model_count(self, count: int) -> None:
        zeros = np.zeros(len(self.class_names))
        self._shown = [zeros.copy() for _ in range(count)]
        self._targets = [None] * count
        self.update()

    def set_answer(self, model: int, probabilities: np.ndarray | None) -> None:
        """Model `model`'s probabilities (None: waiting for its answer); the bars glide there."""
        if model >= len(self._targets):
            return
        self._targets[model] = None if probabilities is None else np.asarray(probabilities, dtype=float)
        if not self._timer.isActive():
            self._timer.start()

    def set_truth(self, label: int | None) -> None:
        self._truth = label
        self.update()

    def set_style(self, theme: Theme, font_px: int) -> None:
        self.theme, self.font_px = theme, font_px
        self.updateGeometry()
        self.update()

    # What the presenter and tests read
    @property
    def truth(self) -> int | None:
        return self._truth

    def answer(self, model: int) -> np.ndarray | None:
        """Model `model`'s latest probabilities, where its bars are going; None while waiting."""
        return self._targets[model] if model < len(self._targets) else None

    def predicted(self, model: int) -> int | None:
        target = self._targets[model] if model < len(self._targets) else None
        return None if target is None or not target.any() else int(np.argmax(target))

    @property
    def moving(self) -> bool:
        return self._timer.isActive()

    def row_height(self) -> float:
        return self.font_px * (1.55 + 0.55 * max(1, len(self._shown)))

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(int(self.font_px * 22), int(self.row_height() * len(self.class_names)))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Rows shrink to the name's height and a little: ten fit beside the picture on a 1280x720 screen."""
        return QSize(int(self.font_px * 14), int(self.font_px * 1.45 * len(self.class_names)))

    # Animation and painting
    def _advance(self) -> None:
        moving = False
        for index, target in enumerate(self._targets):
            goal = np.zeros(len(self.class_names)) if target is None else target
            step = (goal - self._shown[index]) * EASING
            if np.abs(goal - self._shown[index]).max() > SETTLED:
                self._shown[index] = self._shown[index] + step
                moving = True
            else:
                self._shown[index] = goal.copy()
        if not moving:
            self._timer.stop()
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), self.theme.background)
        if not self._shown:
            return
        name_font, value_font = QFont(self.font()), QFont(self.font())
        name_font.setPixelSize(self.font_px)
        value_font.setPixelSize(max(12, round(self.font_px * 0.8)))
        bold_font = QFont(name_font)
        bold_font.setBold(True)  # a predicted or true class is drawn bold: leave room for it
        names = QFontMetricsF(bold_font)
        name_width = max(names.horizontalAdvance(n) for n in self.class_names) + self.font_px * 0.8
        value_width = QFontMetricsF(value_font).horizontalAdvance("100.0%") + self.font_px * 0.6
        bar_left, bar_width = name_width, max(10.0, self.width() - name_width - value_width)
        row = min(self.row_height(), self.height() / len(self.class_names))
        bar_height = max(4.0, (row - self.font_px * 0.5) / len(self._shown) - 2)
        predicted = [self.predicted(m) for m in range(len(self._shown))]
        disagree = len(predicted) == 2 and None not in predicted and predicted[0] != predicted[1]
        for index, name in enumerate(self.class_names):
            top = index * row
            bold = index == self._truth or index in predicted
            name_font.setBold(bold)
            painter.setFont(name_font)
            painter.setPen(self.theme.text if bold else self.theme.faint)
            painter.drawText(QRectF(0, top, name_width - self.font_px * 0.4, row), Qt.AlignmentFlag.AlignRight
                             | Qt.AlignmentFlag.AlignVCenter, name)
            bars_top = top + (row - len(self._shown) * (bar_height + 2)) / 2
            for model, shown in enumerate(self._shown):
                y = bars_top + model * (bar_height + 2)
                painter.fillRect(QRectF(bar_left, y, bar_width, bar_height), self.theme.track)
                painter.fillRect(QRectF(bar_left, y, bar_width * float(np.clip(shown[index], 0, 1)), bar_height),
                                 self._bar_colour(model, index, predicted[model]))
                painter.setFont(value_font)
                painter.setPen(self.theme.text if index == predicted[model] else self.theme.faint)
                painter.drawText(QRectF(bar_left + bar_width + self.font_px * 0.3, y - self.font_px, value_width,
                                        bar_height + 2 * self.font_px), Qt.AlignmentFlag.AlignVCenter,
                                 f"{100 * float(shown[index]):.1f}%")
            if disagree and index in predicted:
                owner = predicted.index(index)
                painter.setPen(QPen(self.theme.models[owner], max(2.0, self.font_px / 10)))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                painter.drawRoundedRect(QRectF(2, top + 2, self.width() - 4, row - 4), 6, 6)

    def _bar_colour(self, model: int, index: int, predicted: int | None) -> QColor:
        """A model's own colour; with a known truth, its predicted bar says right (green) or wrong (red)."""
        if self._truth is not None and index == predicted:
            return self.theme.right if index == self._truth else self.theme.wrong
        return self.theme.models[model % 2]

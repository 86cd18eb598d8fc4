"""Reviewing suspect labels: the fix set in use and its counter, the image under review large, one key per decision.

The panel shows what `LabelFixes` holds and says what the user decided through it (`LabelFixes.request`);
the label-fixes controller records the decisions. Keys (while the Suspects list has the focus): A relabels
as the model's class, 0–9 as that class, X sets aside, K keeps as is, S skips, Backspace takes a decision
back, Ctrl+Z / Ctrl+Shift+Z undo and redo.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QMenu, QPushButton, QToolButton, QVBoxLayout,
                               QWidget)

from fmnist_gui.labels import Action
from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.views.widgets import gray_to_qimage

IMAGE_SIDE = 140
NEW_FIX_SET = "New fix set…"
KEYS_TEXT = "A accept · 0–9 relabel · X set aside · K keep · S skip · ⌫ undecide · Ctrl+Z undo"


class ReviewPanel(QWidget):
    """The fix-set bar and the card of the image under review; `key` handles the review keys."""

    skip_requested = Signal()
    fix_set_chosen = Signal(str)  # a fix set's name, "" for none
    new_fix_set_requested = Signal()

    def __init__(self, fixes: LabelFixes, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fixes = fixes
        names = fixes.class_names
        self.current: tuple[int, int, int, float] | None = None  # (index, given, suggested, agreement)
        self._image: np.ndarray | None = None

        self.choice = QComboBox()
        self.choice.setToolTip("The fix set your decisions go into (a small CSV file beside the runs folder); "
                               "the data files themselves are never changed")
        self.counter = QLabel()
        self.undo_button = QToolButton()
        self.undo_button.setText("Undo")
        self.undo_button.setToolTip("Take back the last decision (Ctrl+Z)")
        self.redo_button = QToolButton()
        self.redo_button.setText("Redo")
        self.redo_button.setToolTip("Make the decision taken back again (Ctrl+Shift+Z)")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Fix set"))
        bar.addWidget(self.choice)
        bar.addWidget(self.counter, 1)
        bar.addWidget(self.undo_button)
        bar.addWidget(self.redo_button)

        self.picture = QLabel()
        self.picture.setFixedSize(IMAGE_SIDE, IMAGE_SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: black;")
        self.about = QLabel()
        self.about.setWordWrap(True)
        self.about.setTextFormat(Qt.TextFormat.RichText)
        self.accept_button = QPushButton()
        self.relabel_button = QPushButton("Relabel as…")
        menu = QMenu(self.relabel_button)
        for number, name in enumerate(names):
            menu.addAction(f"{name}\t{number}", partial(self._decide, Action.RELABEL, number))
        self.relabel_button.setMenu(menu)
        self.exclude_button = QPushButton("Set aside  (X)")
        self.exclude_button.setToolTip("Leave the image out of training with this fix set")
        self.keep_button = QPushButton("Keep as is  (K)")
        self.keep_button.setToolTip("The label is right: reviewed, and off the list")
        self.skip_button = QPushButton("Skip  (S)")
        self.skip_button.setToolTip("Decide later: the next image")
        buttons = QGridLayout()
        buttons.addWidget(self.accept_button, 0, 0)
        buttons.addWidget(self.relabel_button, 0, 1)
        buttons.addWidget(self.exclude_button, 1, 0)
        buttons.addWidget(self.keep_button, 1, 1)
        buttons.addWidget(self.skip_button, 2, 0, 1, 2)
        keys = QLabel(KEYS_TEXT)
        keys.setWordWrap(True)
        keys.setStyleSheet("color: palette(placeholder-text);")
        card = QVBoxLayout()
        card.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignHCenter)
        card.addWidget(self.about)
        card.addLayout(buttons)
        card.addWidget(keys)
        card.addStretch(1)
        self.card = QWidget()
        self.card.setLayout(card)
        self.card.setMinimumWidth(IMAGE_SIDE + 80)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)

        self.choice.activated.connect(self._on_choice)
        self.undo_button.clicked.connect(fixes.undo)
        self.redo_button.clicked.connect(fixes.redo)
        self.accept_button.clicked.connect(self._accept)
        self.exclude_button.clicked.connect(lambda: self._decide(Action.EXCLUDE))
        self.keep_button.clicked.connect(lambda: self._decide(Action.KEEP))
        self.skip_button.clicked.connect(self.skip_requested)
        fixes.changed.connect(self.refresh)
        fixes.listed.connect(self.refresh)
        self.refresh()

    def show_image(self, index: int | None, given: int = 0, suggested: int = 0, agreement: float = 0.0,
                   image: np.ndarray | None = None) -> None:
        """The image under review (None: nothing listed), its label and the class the model says instead."""
        self.current = None if index is None else (index, given, suggested, agreement)
        self._image = image
        self.refresh()

    def refresh(self) -> None:
        fixes = self.fixes
        names = fixes.names_known
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItem("none", "")
        for name in names:
            self.choice.addItem(name, name)
        self.choice.addItem(NEW_FIX_SET, None)
        self.choice.setCurrentIndex(max(0, self.choice.findData(fixes.name or "")))
        self.choice.blockSignals(False)
        self.counter.setText(fixes.summary())
        fix_set = fixes.fix_set
        self.undo_button.setEnabled(fix_set is not None and fix_set.can_undo)
        self.redo_button.setEnabled(fix_set is not None and fix_set.can_redo)
        self._show_card()

    def key(self, event: QKeyEvent) -> bool:
        """Handle a review key pressed in the list; False for any other key."""
        if event.matches(QKeySequence.StandardKey.Undo):
            self.fixes.undo()
            return True
        if event.matches(QKeySequence.StandardKey.Redo) or (
                event.key() == Qt.Key.Key_Z and event.modifiers() == (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)):
            self.fixes.redo()
            return True
        if event.modifiers() & ~(Qt.KeyboardModifier.KeypadModifier | Qt.KeyboardModifier.ShiftModifier):
            return False
        key = event.key()
        actions: dict[int, Callable[[], None]] = {
            Qt.Key.Key_A: self._accept, Qt.Key.Key_X: lambda: self._decide(Action.EXCLUDE),
            Qt.Key.Key_K: lambda: self._decide(Action.KEEP), Qt.Key.Key_S: self.skip_requested.emit,
            Qt.Key.Key_Backspace: self._undecide,
        }
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and key - Qt.Key.Key_0 < len(self.fixes.class_names):
            self._decide(Action.RELABEL, key - Qt.Key.Key_0)
            return True
        if key in actions:
            actions[key]()
            return True
        return False

    # Inside
    def _show_card(self) -> None:
        names = self.fixes.class_names
        shown = self.current is not None
        for button in (self.accept_button, self.relabel_button, self.exclude_button, self.keep_button, self.skip_button):
            button.setEnabled(shown)
        if self.current is None:
            self.picture.clear()
            self.about.setText("Nothing to review here.")
            self.accept_button.setText("Relabel as the model says  (A)")
            return
        index, given, suggested, agreement = self.current
        if self._image is not None:
            picture = QPixmap.fromImage(gray_to_qimage(self._image)).scaled(IMAGE_SIDE, IMAGE_SIDE)
            self.picture.setPixmap(picture)
        decided = self.fixes.decision_text(index)
        self.about.setText(f"Training image #{index:,}<br>labelled <b>{names[given]}</b><br>the model says "
                           f"<b>{names[suggested]}</b> in {100 * agreement:.0f}% of the epochs"
                           + (f"<br><i>{decided}</i>" if decided else ""))
        self.accept_button.setText(f"Relabel as {names[suggested]}  (A)")

    def _accept(self) -> None:
        if self.current is not None:
            self._decide(Action.RELABEL, self.current[2])

    def _decide(self, action: Action, label: int | None = None) -> None:
        if self.current is not None:
            self.fixes.request(np.array([self.current[0]]), action, label)

    def _undecide(self) -> None:
        if self.current is not None and self.fixes.fix_of(self.current[0]) is not None:
            self.fixes.request(np.array([self.current[0]]), None)

    def _on_choice(self, row: int) -> None:
        name = self.choice.itemData(row)
        if name is None:
            self.new_fix_set_requested.emit()
            self.refresh()  # back to the set in use until the new one exists
        else:
            self.fix_set_chosen.emit(name)


def add_decisions(menu: QMenu, fixes: LabelFixes, indices: np.ndarray, suggested: int | None = None) -> None:
    """Relabel as … (the model's class first), Set aside and Keep as is, for training images; Undecide for those
    the fix set has a decision for."""
    names = fixes.class_names
    relabel = menu.addMenu("Relabel as")
    order = ([suggested] if suggested is not None else []) + [c for c in range(len(names)) if c != suggested]
    for number in order:
        relabel.addAction(names[number] + ("  (the model's class)" if number == suggested else ""),
                          partial(fixes.request, indices, Action.RELABEL, number))
    menu.addAction("Set aside", lambda: fixes.request(indices, Action.EXCLUDE))
    menu.addAction("Keep as is", lambda: fixes.request(indices, Action.KEEP))
    if any(fixes.fix_of(int(index)) is not None for index in indices):
        menu.addAction("Undecide", lambda: fixes.request(indices, None))

"""Help: every keyboard shortcut (listed from the menus' own table), three steps to get started, and About."""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel, QScrollArea, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

PICTURE_WIDTH = 360
GETTING_STARTED = (
    ("getting-started-1.png", "1. Choose a preset and click Train (F5)",
     "The default preset trains a small network to about 91% in 3 epochs on a laptop. Every value can be changed; "
     "Find… beside the learning rate suggests one. Each run is recorded in its own folder (the Runs tab)."),
    ("getting-started-2.png", "2. Watch it learn",
     "The curves grow batch by batch; the samples on the right show what the model says about 16 test images. "
     "Click one to see where the model looked; the tabs behind the curves explain the model further."),
    ("getting-started-3.png", "3. Save it and show it",
     "File → Save (Ctrl+S) keeps the model in one file; View → Present (F11) shows it full screen to a room, "
     "answering test images, your drawings, pictures or a camera."),
)


class ShortcutsDialog(QDialog):
    """Every action with a key, in menu order: (menu, action, keys) rows given by the shell."""

    def __init__(self, rows: Sequence[tuple[str, str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        self.table = QTableWidget(len(rows), 3)
        self.table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for row, values in enumerate(rows):
            for column, value in enumerate(values):
                self.table.setItem(row, column, QTableWidgetItem(value))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        note = QLabel("In the presenter (View → Present): ← → test images, 0–9 a class, M mistakes only, Space plays, "
                      "T test images, D draw, C camera, P picture, L light or dark, H hides the keys, Ctrl+C copies "
                      "the screen, Esc leaves.")
        note.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(560, 560)


class GettingStartedDialog(QDialog):
    """Three steps, each with a picture of the window and two sentences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Getting started")
        content = QWidget()
        steps = QVBoxLayout(content)
        for picture, title, text in GETTING_STARTED:
            row = QHBoxLayout()
            image = QLabel()
            pixmap = QPixmap(str(resources.files("fmnist_gui.resources") / picture))
            if pixmap.width() > PICTURE_WIDTH:  # taken at twice the size: sharp on a 2x screen
                pixmap = pixmap.scaledToWidth(PICTURE_WIDTH, Qt.TransformationMode.SmoothTransformation)
            image.setPixmap(pixmap)
            image.setFixedWidth(PICTURE_WIDTH)
            image.setAlignment(Qt.AlignmentFlag.AlignCenter)
            row.addWidget(image)
            words = QLabel(f"<h3>{title}</h3><p>{text}</p>")
            words.setWordWrap(True)
            words.setTextFormat(Qt.TextFormat.RichText)
            row.addWidget(words, 1)
            steps.addLayout(row)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(820, 640)

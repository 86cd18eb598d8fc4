"""What happened, line by line, with times: selectable and copyable."""

from __future__ import annotations

import time

from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPlainTextEdit, QSizePolicy, QWidget


class LogPane(QPlainTextEdit):
    MAX_LINES = 5000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setMaximumBlockCount(self.MAX_LINES)
        self.setFont(QFont("monospace", 9))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        # Not expanding vertically: a window grown taller gives the height to the plots, not the log.
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def add(self, message: str) -> None:
        self.appendPlainText(f"{time.strftime('%H:%M:%S')}  {message}")

    def lines(self) -> list[str]:
        return self.toPlainText().splitlines()

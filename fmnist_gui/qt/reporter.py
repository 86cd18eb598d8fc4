"""The one place messages reach the user: log lines, and errors as a log line plus a dialog."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from fmnist_gui.qt import dialogs
from fmnist_gui.qt.views.log_pane import LogPane


class Reporter:
    def __init__(self, log: LogPane, parent: QWidget) -> None:
        self.log = log
        self._parent = parent
        self.quiet = False  # set while quitting: nothing may pop up over a closing window

    def note(self, line: str) -> None:
        self.log.add(line)

    def error(self, title: str, message: str, details: str = "") -> None:
        self.log.add(f"{title}: {message}")
        if not self.quiet:
            dialogs.show_error(self._parent, title, message, details)

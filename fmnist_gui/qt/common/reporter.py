"""The one place messages reach the user: log lines, and errors as a log line plus a dialog."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtWidgets import QWidget

from fmnist_gui.qt.common import dialogs
from fmnist_gui.safe_text import printable


class Log(Protocol):
    """Where lines go: the log pane (a view, which this floor sits below)."""

    def add(self, line: str) -> None: ...


class Reporter:
    def __init__(self, log: Log, parent: QWidget) -> None:
        self.log = log
        self._parent = parent
        self.quiet = False  # set while quitting: nothing may pop up over a closing window

    def note(self, line: str) -> None:
        self.log.add(printable(line))

    def error(self, title: str, message: str, details: str = "") -> None:
        """One line in the log and a dialog; paths and names in them are shown without control characters."""
        title, message = printable(title), printable(message)
        self.log.add(f"{title}: {message}")
        if not self.quiet:
            dialogs.show_error(self._parent, title, message, details)

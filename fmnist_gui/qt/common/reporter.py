"""The one place messages reach the user: log lines, and errors as a log line plus a dialog.

One error dialog at a time: a modal dialog runs an event loop of its own, in which more errors
can arrive (a thousand launches handing over missing files did: 83 dialogs stacked, each inside
the last, until Python's recursion limit). Errors that come while one is open are held and
summed up in one more dialog when it closes; every one is in the log.
"""

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
        self._showing = False
        self._held: list[tuple[str, str]] = []  # errors that came while a dialog was open

    def note(self, line: str) -> None:
        self.log.add(printable(line))

    def error(self, title: str, message: str, details: str = "") -> None:
        """One line in the log and a dialog; paths and names in them are shown without control characters."""
        title, message = printable(title), printable(message)
        self.log.add(f"{title}: {message}")
        if self.quiet:
            return
        if self._showing:
            self._held.append((title, message))
            return
        self._showing = True
        try:
            dialogs.show_error(self._parent, title, message, details)
            while self._held and not self.quiet:
                held, self._held = self._held, []
                last_title, last_message = held[-1]
                more = f"{len(held)} more problems" if len(held) > 1 else "One more problem"
                dialogs.show_error(self._parent, more, f"{more} came while that message was open; each is in the log. "
                                   f"The last: {last_title}: {last_message}")
        finally:
            self._showing = False
            self._held.clear()

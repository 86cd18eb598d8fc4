"""Whether PyTorch has loaded: the window is shown before it has, and what needs it waits for it.

Training, opening a model and the learning-rate finder need torch; everything else works at once.
Such an action asked for before torch has loaded is held here and runs when it has (the newest of
each kind: a second Train click does not train twice); the window says it waits.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal


class TorchRuntime(QObject):
    loaded = Signal()
    failed = Signal(str)  # why torch could not be loaded, for people

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.is_loaded = False
        self.error: str | None = None
        self._waiting: dict[str, Callable[[], object]] = {}  # kind of action -> the newest asked for

    @property
    def waiting(self) -> list[str]:
        return list(self._waiting)

    def when_loaded(self, kind: str, action: Callable[[], object]) -> bool:
        """Run `action` now if torch has loaded (True), else once it has (False: the caller says it waits)."""
        if self.is_loaded:
            action()
            return True
        self._waiting[kind] = action
        return False

    def set_loaded(self) -> None:
        self.is_loaded, self.error = True, None
        waiting, self._waiting = self._waiting, {}
        self.loaded.emit()
        for action in waiting.values():
            action()

    def set_failed(self, message: str) -> None:
        self.error = message
        self._waiting.clear()
        self.failed.emit(message)

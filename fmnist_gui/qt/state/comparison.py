"""The second model the window compares with the one on screen, and the comparison of the two on the test set."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from fmnist_gui.checkpoint import Checkpoint

if TYPE_CHECKING:
    from fmnist_gui.compare import Comparison


class ComparisonState(QObject):
    """Model B (None: not comparing), its name, and the latest Comparison of A (the model on screen) with it."""

    other_changed = Signal()  # B was chosen or dropped
    result_changed = Signal()  # a comparison was computed, or cleared

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.other: Checkpoint | None = None
        self.other_name = ""
        self.result: Comparison | None = None
        self.names = ("A", "B")  # how the models are named in the view, the inspector and the presenter

    def set_other(self, checkpoint: Checkpoint | None, name: str = "") -> None:
        self.other, self.other_name = checkpoint, name
        self.result = None
        self.other_changed.emit()
        self.result_changed.emit()

    def set_result(self, result: Comparison | None, names: tuple[str, str]) -> None:
        self.result, self.names = result, names
        self.result_changed.emit()

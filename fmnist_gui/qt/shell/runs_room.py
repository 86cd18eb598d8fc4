"""The runs comparison room: a window of its own around the room's view and controller (the Runs tab's Compare runs…)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QStatusBar, QWidget

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.runs.side_by_side import metrics
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.icons import app_icon
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runs_room import RunsRoomController
from fmnist_gui.qt.views.runs_room import RunsRoomView

TITLE = "Compare runs"
NOTE_MS = 10_000


class _StatusLine:
    """The reporter's lines in the status bar: the room has no log of its own (errors also come as a dialog)."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar

    def add(self, line: str) -> None:
        self.bar.showMessage(line, NOTE_MS)


class RunsRoomWindow(QMainWindow):
    def __init__(self, *, inference: InferenceWorker, compare_runs: Callable[[Path, Path], object],
                 open_run: Callable[[Path], object], class_names: Sequence[str] = CLASS_NAMES,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self.view = RunsRoomView(metrics(class_names))
        self.reporter = Reporter(_StatusLine(self.statusBar()), self)
        self.controller = RunsRoomController(view=self.view, inference=inference, reporter=self.reporter,
                                             compare_runs=compare_runs, open_run=open_run, parent=self)
        self.setCentralWidget(self.view)
        self.resize(1200, 800)

    def show_runs(self, folders: Sequence[Path]) -> None:
        count = len(folders)
        self.setWindowTitle(f"{TITLE}: {count} run{'s' if count != 1 else ''}")
        self.controller.show_runs(folders)
        self.show()
        self.raise_()
        self.activateWindow()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        self.controller.stop()
        event.accept()

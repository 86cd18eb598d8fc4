"""The Sweeps workspace: a window of its own that assembles the sweep views, their controller and the workers.

Parallel coordinates across the top (brush there to pick trials), the trials table below on the left,
and the plots in tabs on the right: each trial's curve, the value history, a slice per parameter, a
scatter of any two, the importances, and the log. The window only assembles and lays out;
controllers.sweeps does the work, background.sweep_workers owns the processes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QLabel, QMainWindow, QSpinBox, QSplitter, QTabWidget, QToolBar, QVBoxLayout, QWidget

from fmnist_gui.config import TrainConfig
from fmnist_gui.sweeps.processes import cores
from fmnist_gui.qt.background.sweep_workers import SweepWorkerProcesses
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.common.icons import app_icon
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.sweeps import SweepsController, SweepViews
from fmnist_gui.qt.shell.actions import ActionInfo
from fmnist_gui.qt.state.sweep import SweepState
from fmnist_gui.qt.views.deferred import RedrawWhenShown
from fmnist_gui.qt.views.log_pane import LogPane
from fmnist_gui.qt.views.parallel_coordinates import ParallelCoordinates
from fmnist_gui.qt.views.sweep_curves import TrialCurves
from fmnist_gui.qt.views.sweep_history import ValueHistory
from fmnist_gui.qt.views.sweep_importance import ImportanceBars
from fmnist_gui.qt.views.sweep_scatter import ParamScatter
from fmnist_gui.qt.views.sweep_slices import SliceGrid
from fmnist_gui.qt.views.sweep_summary import SweepSummary
from fmnist_gui.qt.views.sweep_trials import TrialsTable

TITLE = "Sweeps"
MENU = "&Sweep"
ACTIONS: tuple[ActionInfo, ...] = (
    ActionInfo("new", MENU, "&New sweep…", QKeySequence.StandardKey.New),
    ActionInfo("open", MENU, "&Open sweep…", QKeySequence.StandardKey.Open),
    ActionInfo("start", MENU, "&Start workers", separator_before=True),
    ActionInfo("add", MENU, "&Add a worker"),
    ActionInfo("stop", MENU, "S&top workers…"),
    ActionInfo("export_csv", MENU, "&Export the table as CSV…", separator_before=True),
    ActionInfo("close", MENU, "&Close", QKeySequence.StandardKey.Close, separator_before=True),
)
TOOLBAR = ("new", "open", "", "start", "add", "stop", "", "export_csv")  # "" a separator
PICTURES = {"parallel-coordinates": "Parallel coordinates", "curves": "Curves", "history": "History",
            "slices": "Slices", "scatter": "Scatter", "importance": "Importance"}
TABS = (("curves", "Curves"), ("history", "History"), ("slices", "Slices"), ("scatter", "Scatter"),
        ("importance", "Importance"), ("log", "Log"))


class SweepsWindow(QMainWindow):
    def __init__(self, *, work: BackgroundWork, runs_dir: Callable[[], Path], data_dir: Callable[[], str | None],
                 form: Callable[[], TrainConfig], open_run: Callable[[str], object], follow_run: Callable[[Path], object],
                 set_form: Callable[[TrainConfig], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self._quitting = False
        self.state = SweepState(self)
        self.workers = SweepWorkerProcesses(self)
        self.views = SweepViews(summary=SweepSummary(), table=TrialsTable(), coordinates=ParallelCoordinates(),
                                curves=TrialCurves(), history=ValueHistory(), slices=SliceGrid(), scatter=ParamScatter(),
                                importance=ImportanceBars(), log=LogPane())
        self.reporter = Reporter(self.views.log, self)
        self.controller = SweepsController(
            views=self.views, state=self.state, work=work, workers=self.workers, reporter=self.reporter,
            runs_dir=runs_dir, data_dir=data_dir, form=form, open_run=open_run, follow_run=follow_run,
            set_form=set_form, window=self)
        self.worker_count = QSpinBox(minimum=1, maximum=max(1, cores()), value=min(2, max(1, cores())))
        self.worker_count.setToolTip("How many worker processes Start workers starts on this machine")
        self.worker_count.setSuffix(" workers")
        self.sweep_actions = self._build_actions()
        self.tabs = QTabWidget()
        self._lay_out()
        self.controller.opened.connect(self._on_opened)
        self.controller.workers_changed.connect(lambda running: self._update_actions())
        self.state.changed.connect(self._update_actions)
        self._update_actions()
        self.resize(1500, 920)

    def _build_actions(self) -> dict[str, QAction]:
        handlers: dict[str, Callable[[], object]] = {
            "new": self.controller.new_sweep, "open": self.controller.choose,
            "start": lambda: self.controller.start_workers(self.worker_count.value()),
            "add": lambda: self.controller.start_workers(1), "stop": self.controller.stop_workers,
            "export_csv": self.controller.export_csv, "close": self.close}
        menu = self.menuBar().addMenu(MENU)
        actions: dict[str, QAction] = {}
        for info in ACTIONS:
            if info.separator_before:
                menu.addSeparator()
            if info.key == "close":
                pictures = menu.addMenu("Export a &picture")
                for key, text in PICTURES.items():
                    pictures.addAction(f"{text}…", partial(self.controller.export_picture, key))
                menu.addSeparator()
            action = QAction(info.text, self)
            if info.shortcut is not None:
                action.setShortcut(QKeySequence(info.shortcut))
            action.triggered.connect(handlers[info.key])
            menu.addAction(action)
            actions[info.key] = action
        actions["start"].setToolTip("Start worker processes on this machine (also to resume a stopped sweep)")
        actions["stop"].setToolTip("Stop the workers this window started; their trials end at the next batch")
        return actions

    def _lay_out(self) -> None:
        views = self.views
        toolbar = QToolBar("Sweep")
        toolbar.setObjectName("sweep_toolbar")
        toolbar.setMovable(False)
        for key in TOOLBAR:
            if not key:
                toolbar.addSeparator()
                continue
            toolbar.addAction(self.sweep_actions[key])
            if key == "start":
                toolbar.addWidget(self.worker_count)
        self.addToolBar(toolbar)
        widgets = {"curves": views.curves, "history": views.history, "slices": views.slices, "scatter": views.scatter,
                   "importance": views.importance, "log": views.log}
        for key, title in TABS:
            self.tabs.addTab(widgets[key], title)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self._on_tab_changed(self.tabs.currentIndex())
        below = QSplitter(Qt.Orientation.Horizontal)
        below.addWidget(views.table)
        below.addWidget(self.tabs)
        below.setStretchFactor(0, 5)
        below.setStretchFactor(1, 6)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(views.coordinates)
        split.addWidget(below)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        hint = QLabel("Drag along an axis to brush a range (a click clears it); drag an axis's name to move it.")
        hint.setStyleSheet("color: palette(placeholder-text);")
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(4, 0, 4, 4)
        layout.addWidget(views.summary)
        layout.addWidget(hint)
        layout.addWidget(split, 1)
        self.setCentralWidget(central)

    def _on_tab_changed(self, current: int) -> None:
        """Only the tab in front redraws as trials come and brushes move; another catches up when shown."""
        for index in range(self.tabs.count()):
            view = self.tabs.widget(index)
            if isinstance(view, RedrawWhenShown):
                view.set_shown(index == current)

    def _on_opened(self, name: str) -> None:
        self.setWindowTitle(f"{name} — {TITLE}" if name else TITLE)
        self._update_actions()

    def _update_actions(self) -> None:
        snapshot = self.state.snapshot
        open_ = self.controller.store is not None
        finished = snapshot is not None and snapshot.finished
        self.sweep_actions["start"].setEnabled(open_ and not finished)
        self.sweep_actions["add"].setEnabled(open_ and not finished)
        self.sweep_actions["stop"].setEnabled(self.workers.working > 0)
        self.sweep_actions["export_csv"].setEnabled(snapshot is not None)

    def shut_down(self) -> None:
        """The app quits, having asked (or, ended by a signal, without asking): workers still working are left
        running, never killed, and the window closes without another question."""
        self._quitting = True
        self.workers.leave()
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._quitting and not self.controller.may_close():
            event.ignore()
            return
        self.controller.close_sweep()
        event.accept()

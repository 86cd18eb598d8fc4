"""The Sweeps workspace's controller: creates or opens a sweep, follows it live, runs its workers, wires the views.

Following is a read every READ_MS on a lane of its own (`read_sweep(…, reap=False)`: the window
never writes the study, not even to fail a dead worker's trial), with the frame the views draw built
there too; never a second read while one runs, and a snapshot equal to the one on screen redraws
nothing. Importances are computed in a process of their own (waited for on another lane), only when
the number of complete trials changed, at most every IMPORTANCE_MS: their pure-Python evaluators would
otherwise hold the Python lock, and the event loop with it, for seconds.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.atomic import write_bytes
from fmnist_gui.config import TrainConfig
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs import last_checkpoint
from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps import SweepSnapshot, SweepStore, TrialRecord, create_study, list_sweeps, read_sweep, write_trials_csv
from fmnist_gui.sweeps.frame import TrialsFrame
from fmnist_gui.sweeps.importance import Importances, ImportancesStopped, importances_apart
from fmnist_gui.qt.background.sweep_workers import SweepWorkerProcesses
from fmnist_gui.qt.background.tasks import BackgroundWork, Job
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.common.pictures import CSV, PNG, SVG, widget_picture
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.common.sweep_dialogs import SweepRequest
from fmnist_gui.qt.state.sweep import SweepState
from fmnist_gui.qt.views.log_pane import LogPane
from fmnist_gui.qt.views.parallel_coordinates import Axis, Coordinates, ParallelCoordinates
from fmnist_gui.qt.views.sweep_curves import TrialCurves
from fmnist_gui.qt.views.sweep_history import ValueHistory
from fmnist_gui.qt.views.sweep_importance import ImportanceBars
from fmnist_gui.qt.views.sweep_scatter import ParamScatter
from fmnist_gui.qt.views.sweep_slices import SliceGrid
from fmnist_gui.qt.views.sweep_summary import SweepSummary
from fmnist_gui.qt.views.sweep_trials import TrialsTable

READ_MS = 2000  # how often the study and its run folders are read while a sweep is open
IMPORTANCE_MS = 10_000  # importances at most this often: fANOVA on a few hundred trials takes seconds
READ_LANE, IMPORTANCE_LANE = "sweep-read", "sweep-importance"  # a slow importance never delays a read


@dataclass(frozen=True)
class SweepViews:
    """The workspace's views, as the shell builds them."""

    summary: SweepSummary
    table: TrialsTable
    coordinates: ParallelCoordinates
    curves: TrialCurves
    history: ValueHistory
    slices: SliceGrid
    scatter: ParamScatter
    importance: ImportanceBars
    log: LogPane

    def pictures(self) -> dict[str, QWidget]:
        """The views that can be exported as a picture, by the name the file gets."""
        return {"parallel-coordinates": self.coordinates, "curves": self.curves, "history": self.history,
                "slices": self.slices, "scatter": self.scatter, "importance": self.importance}


class SweepsController(QObject):
    opened = Signal(str)  # the sweep's name, or "" when none is open
    workers_changed = Signal(int)  # worker processes this window runs

    def __init__(self, *, views: SweepViews, state: SweepState, work: BackgroundWork, workers: SweepWorkerProcesses,
                 reporter: Reporter, runs_dir: Callable[[], Path], data_dir: Callable[[], str | None],
                 form: Callable[[], TrainConfig], open_run: Callable[[str], object], follow_run: Callable[[Path], object],
                 set_form: Callable[[TrainConfig], object], window: QWidget) -> None:
        super().__init__(window)
        self.views, self.state, self.workers, self.reporter = views, state, workers, reporter
        self._read_lane, self._importance_lane = work.lane(READ_LANE), work.lane(IMPORTANCE_LANE)
        self._runs_dir, self._data_dir, self._form = runs_dir, data_dir, form
        self._open_run, self._follow_run, self._set_form, self._window = open_run, follow_run, set_form, window
        self.store: SweepStore | None = None
        self._reading = False
        self._first_read = False
        self._last_problem = ""
        self._importance_for = -1  # complete trials the importances on screen (or being computed) come from
        self._importance_at = -float("inf")
        self._computing = False
        self._timer = QTimer(self)
        self._timer.setInterval(READ_MS)
        self._timer.timeout.connect(self.read)
        self._importance_timer = QTimer(self, singleShot=True)
        self._importance_timer.timeout.connect(self._compute_importances)
        self._connect()

    def _connect(self) -> None:
        views, state = self.views, self.state
        state.changed.connect(self._on_changed)
        state.listed_changed.connect(self._draw_coordinates)
        state.filtered.connect(self._on_filtered)
        state.selected_changed.connect(lambda: views.curves.set_selected(state.selected))
        state.importances_changed.connect(lambda: views.importance.set_importances(state.importances, self._computing))
        views.coordinates.brushed.connect(self._on_brushed)
        views.table.states_chosen.connect(state.set_states)
        views.table.top_chosen.connect(state.set_top)
        views.table.selection_changed.connect(state.set_selected)
        views.table.open_requested.connect(self.open_trial)
        views.table.train_requested.connect(self.train_trial)
        views.table.clear_brushes_requested.connect(views.coordinates.clear_brushes)
        for view in (views.curves, views.history, views.slices, views.scatter):
            view.trial_clicked.connect(views.table.select)
        self.workers.changed.connect(self._on_workers_changed)
        self.workers.ended.connect(self._on_worker_ended)

    # Creating and opening
    def new_sweep(self, config: TrainConfig | None = None) -> None:
        """New sweep…: around `config` (the training form's values by default), created in the runs folder's journal."""
        request = dialogs.new_sweep(self._window, config or self._form(), self._data_dir())
        if request is not None:
            self.create(request)

    def create(self, request: SweepRequest) -> None:
        """Create the study off the GUI thread, then open it and start its workers here."""
        store = SweepStore.locate(request.name, None, self._runs_dir())

        def created(_: None) -> None:
            self.reporter.note(f"Created sweep {request.name} in {store.describe()}: {request.definition.trials} trials of "
                               f"{request.definition.epochs} epochs, varying {' '.join(request.params)}.")
            self.open(request.name, None)
            if request.workers:
                self.start_workers(request.workers, request.definition.data_dir)

        self._read_lane.submit("create", lambda job: create_study(store, request.definition), created,
                               lambda message, details: self.reporter.error("Cannot create the sweep", message, details))

    def choose(self) -> None:
        """Open sweep…: one of the runs folder's, or one in a database."""
        runs_dir = self._runs_dir()
        chosen = dialogs.open_sweep(self._window, list_sweeps(None, runs_dir), str(runs_dir / "sweeps"))
        if chosen is not None:
            self.open(*chosen)

    def open(self, name: str, storage: str | None = None) -> None:
        """Follow the sweep `name` (in the runs folder's journal, or in the database `storage`)."""
        try:
            store = SweepStore.locate(name, storage, self._runs_dir())
        except UserFacingError as exc:
            self.reporter.error("Cannot open the sweep", str(exc))
            return
        if store != self.store:
            self.close_sweep()
        self.store, self._first_read, self._last_problem = store, True, ""
        self._importance_for, self._importance_at = -1, -float("inf")
        self.opened.emit(name)
        self.read()
        self._timer.start()

    def close_sweep(self) -> None:
        """Stop following (the workers this window started are the caller's to stop or leave, see may_close)."""
        self._timer.stop()
        self._importance_timer.stop()
        for lane, key in ((self._read_lane, "read"), (self._importance_lane, "importance")):
            lane.cancel(key)
        self._reading = self._computing = False
        self.store = None
        self.state.set_snapshot(None, None)
        self.opened.emit("")

    # Following
    def read(self) -> None:
        """Read the study and its trials now, unless a read is under way (then the timer's next turn does)."""
        store = self.store
        if store is None or self._reading:
            return
        self._reading = True

        def work(job: Job[tuple[SweepSnapshot, TrialsFrame]]) -> tuple[SweepSnapshot, TrialsFrame]:
            snapshot = read_sweep(store, reap=False)
            return snapshot, TrialsFrame.of(snapshot)

        self._read_lane.submit("read", work, self._on_read, self._on_read_failed)

    def _on_read(self, result: tuple[SweepSnapshot, TrialsFrame]) -> None:
        self._reading, self._first_read, self._last_problem = False, False, ""
        snapshot, frame = result
        if self.state.snapshot is not None and snapshot == self.state.snapshot:
            return  # nothing new: nothing is redrawn
        self.state.set_snapshot(snapshot, frame)

    def _on_read_failed(self, message: str, details: str) -> None:
        self._reading = False
        if self._first_read:  # the sweep cannot be opened at all: said once, in a dialog
            self.close_sweep()
            self.reporter.error("Cannot open the sweep", message, details)
        elif message != self._last_problem:  # while following: a line in the log, once per problem
            self._last_problem = message
            self.reporter.note(f"Cannot read the sweep now (trying again): {message}")

    def _on_changed(self) -> None:
        snapshot, frame = self.state.snapshot, self.state.frame
        self.views.summary.set_snapshot(snapshot)
        self.views.history.set_frame(frame)
        if frame is None:
            self.views.importance.set_importances(None)
        self._schedule_importances()

    def _draw_coordinates(self) -> None:
        """The listed trials on the parallel coordinates; their brushes then say what the other views show."""
        frame, listed = self.state.frame, self.state.listed
        if frame is None or not listed.any():
            self.views.coordinates.set_data(None)
            self.state.set_brushed(None)
            return
        self.views.coordinates.set_data(coordinates(frame, listed))  # emits brushed: _on_brushed

    def _on_brushed(self, numbers: np.ndarray) -> None:
        data = self.views.coordinates.data
        brushing = data is not None and any(axis.brush is not None for axis in data.axes)
        self.state.set_brushed(numbers if brushing else None)

    def _on_filtered(self) -> None:
        state, views = self.state, self.views
        views.table.set_trials(state.snapshot, state.frame, state.shown, brushed=state.brushed is not None)
        views.curves.set_trials(state.frame, state.shown, state.selected)
        views.slices.set_trials(state.frame, state.shown)
        views.scatter.set_trials(state.frame, state.shown)

    # Importances
    def _schedule_importances(self) -> None:
        frame = self.state.frame
        complete = 0 if frame is None else int((frame.states == "COMPLETE").sum())
        if frame is None or complete == self._importance_for or self._computing:
            return
        wait = self._importance_at + IMPORTANCE_MS / 1000 - time.monotonic()
        if wait > 0:
            if not self._importance_timer.isActive():
                self._importance_timer.start(int(wait * 1000))
            return
        self._compute_importances()

    def _compute_importances(self) -> None:
        snapshot, frame = self.state.snapshot, self.state.frame
        if snapshot is None or frame is None or self._computing:
            return
        self._computing, self._importance_at = True, time.monotonic()
        self._importance_for = int((frame.states == "COMPLETE").sum())
        self.views.importance.set_importances(self.state.importances, computing=True)

        def done(importances: Importances) -> None:
            self._computing = False
            self.state.set_importances(importances)
            self._schedule_importances()  # trials that completed meanwhile

        def failed(message: str, details: str) -> None:
            self._computing = False
            self.reporter.note(f"Cannot compute the importances: {message}")
            self.state.set_importances(Importances({}, "", 0, f"Cannot compute them: {message}"))

        def work(job: Job[Importances]) -> Importances:
            stop = threading.Event()
            job.on_cancel(stop.set)  # a newer sweep, or the window closing: the process ends at once
            try:
                return importances_apart(snapshot, stop)
            except ImportancesStopped:
                return Importances({}, "", 0, "Stopped.")  # a cancelled job's answer is dropped

        self._importance_lane.submit("importance", work, done, failed)

    # Workers
    def start_workers(self, count: int, sweep_data_dir: str | None = None) -> None:
        """Start `count` worker processes on the open sweep (Resume, Add a worker, a new sweep's)."""
        store, snapshot = self.store, self.state.snapshot
        if store is None:
            return
        if snapshot is not None and snapshot.finished:
            self.reporter.note(f"Sweep {store.name} has met its budget of {snapshot.tally.budget} trials: no worker started.")
            return
        known = sweep_data_dir or (snapshot.definition.data_dir if snapshot is not None else None)
        try:
            self.workers.start(store, self._runs_dir(), None if known else self._data_dir(), count)
        except OSError as exc:
            self.reporter.error("Cannot start the workers", f"{exc.strerror or exc}.")
            return
        self.reporter.note(f"Started {count} worker{'s' if count != 1 else ''} on {store.name}; "
                           f"{self.workers.running} run here now.")

    def stop_workers(self) -> bool:
        """Stop, after asking: each worker's trial ends at its next batch, marked failed with the reason."""
        running = self.workers.working
        if not running or not dialogs.confirm(
                self._window, "Stop the sweep's workers",
                f"Stop the {running} worker{'s' if running != 1 else ''} this window started? Each one's trial "
                "ends at its next batch and is marked failed (it does not count); Resume starts workers again.",
                "Stop them"):
            return False
        self.workers.stop()
        self.reporter.note("Stopping the workers: their trials end at the next batch.")
        return True

    def may_close(self) -> bool:
        """Before the workspace or the app closes: workers still running are stopped or left running, as asked."""
        running = self.workers.working
        if not running:
            return True
        answer = dialogs.stop_or_leave(
            self._window, "The sweep's workers are running",
            f"{running} worker{'s' if running != 1 else ''} of sweep {self.store.name if self.store else ''} still "
            "run. Stop them (their trials end at the next batch), or leave them running? Open the sweep again to "
            "follow it.")
        if answer == "stop":
            self.workers.stop()  # they end on their own within a batch: nothing to wait for here
        elif answer == "leave":
            self.workers.leave()
        return answer != "cancel"

    def _on_workers_changed(self, running: int) -> None:
        self.views.summary.set_workers(running, self.workers.store is not None)
        self.workers_changed.emit(running)
        self.read()

    def _on_worker_ended(self, line: str) -> None:
        self.reporter.note(line)

    # One trial
    def open_trial(self, number: int) -> None:
        """A trial's run in the main window: its last model, checked as File → Open checks it; followed while it trains."""
        trial = self._trial(number)
        if trial is None:
            return
        if trial.run is None:
            self.reporter.error("Cannot open the trial", f"Trial {number} has no run folder: it never started training.")
        elif not trial.run.is_dir():
            self.reporter.error("Cannot open the trial", f"Trial {number}'s run folder is not on this machine: "
                                f"{printable(trial.run)} (a worker records its trials in its own machine's runs folder).")
        elif trial.state == "RUNNING":
            self._follow_run(trial.run)
        elif (checkpoint := last_checkpoint(trial.run)) is not None:
            self._open_run(str(checkpoint))
        else:
            self.reporter.error("Cannot open the trial", f"{printable(trial.run.name)} holds no model: trial {number} "
                                "ended before its first epoch did.")

    def train_trial(self, number: int) -> None:
        """"Train this": the trial's values (the sweep's fixed ones with its own) into the main window's form, which
        refuses them (UserFacingError, said in a dialog) while it shows a run that trains or is followed."""
        trial, snapshot = self._trial(number), self.state.snapshot
        if trial is None or snapshot is None:
            return
        try:
            self._set_form(snapshot.definition.trial_config(trial.params))
        except UserFacingError as exc:
            self.reporter.error("Cannot use the trial's values", str(exc))
            return
        self.reporter.note(f"Trial {number}'s values are in the training form: Train starts them as a run of its own.")

    def _trial(self, number: int) -> TrialRecord | None:
        snapshot = self.state.snapshot
        return next((trial for trial in snapshot.trials if trial.number == number), None) if snapshot else None

    # Exports
    def export_csv(self) -> None:
        """The trials the table shows, one row each, as `sweep export --csv` writes them (atomically)."""
        snapshot, frame = self.state.snapshot, self.state.frame
        if snapshot is None or frame is None:
            self.reporter.error("Nothing to export", "Open a sweep first.")
            return
        path = dialogs.save_path(self._window, "Export the trials", f"{snapshot.name}.csv", CSV)
        if path is None:
            return
        shown = set(frame.numbers[self.state.shown].tolist())
        table = dataclasses.replace(snapshot, trials=tuple(t for t in snapshot.trials if t.number in shown))
        try:
            write_trials_csv(table, path)
        except (UserFacingError, OSError) as exc:
            self.reporter.error("Cannot export", str(exc))
            return
        self.reporter.note(f"Exported {len(table.trials)} of {len(snapshot.trials)} trials (the ones the table shows) "
                           f"to {path}")

    def export_picture(self, key: str) -> None:
        """One view as a PNG picture or an SVG drawing, by the suffix chosen."""
        widget = self.views.pictures()[key]
        name = self.store.name if self.store else "sweep"
        path = dialogs.save_path(self._window, "Export a picture", f"{name}-{key}.png", f"{PNG};;{SVG}")
        if path is None:
            return
        try:
            write_bytes(path, widget_picture(widget, path, f"{name}: {key}"))
        except (UserFacingError, OSError) as exc:
            self.reporter.error("Cannot export", str(exc))
            return
        self.reporter.note(f"Exported {path}")


def coordinates(frame: TrialsFrame, rows: np.ndarray) -> Coordinates:
    """The parallel coordinates of the frame's `rows`: one axis per parameter, then the value (scaled to the
    complete trials, so pruned ones sit at its foot rather than stretch it), coloured by value."""
    axes = [Axis(column.name, column.values[rows], log=column.log, choices=column.choices) for column in frame.params]
    value = Axis("value", frame.values[rows])
    span = frame.value_range()
    if span is not None:
        value.low, value.high = (span[0], span[1]) if span[1] > span[0] else (span[0] - 0.5, span[1] + 0.5)
    complete = frame.states[rows] == "COMPLETE"
    return Coordinates([*axes, value], frame.numbers[rows], np.where(complete, frame.values[rows], np.nan), complete)

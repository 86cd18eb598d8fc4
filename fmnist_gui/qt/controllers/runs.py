"""The Runs dock's controller: lists the runs directory, overlays selected runs, renames, notes, trashes, recovers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.formats import counted
from fmnist_gui.runs.overlay import grouped_series, run_series
from fmnist_gui.runs import (
    RunInfo,
    RunListing,
    default_runs_dir,
    last_checkpoint,
    read_metrics,
    read_run,
    rename_run,
    restore_run,
    set_note,
    trash_run,
)
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.runs_table import RunsView
from fmnist_gui.safe_text import printable

REFRESH_MS = 3000  # how often the table follows runs written by this or another process (none while one listing runs)


class RunsController(QObject):
    listed = Signal(list)  # list[RunInfo], after each refresh

    def __init__(self, *, view: RunsView, plots: TrainingPlots, inference: InferenceWorker, reporter: Reporter,
                 settings: Settings, open_path: Callable[[str], bool], follow: Callable[[Path], None] | None = None,
                 window: QWidget) -> None:
        super().__init__(window)
        self.view, self.plots, self.inference, self.reporter = view, plots, inference, reporter
        self.settings, self._open_path, self._window = settings, open_path, window
        self.follow = follow  # a run still training is followed rather than opened
        self.runs_dir = default_runs_dir(settings.runs_dir())
        self.listing = RunListing(self.runs_dir)  # used by one listing at a time, in the worker's thread
        self.runs: list[RunInfo] = []
        self._listing = False  # a listing runs: the timer skips its turn, a refresh asked for comes after it
        self._again = False
        self._trashed: list[Path] = []
        self._grouped = False
        self._recovery_offered = False
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._on_timer)
        view.selection_changed.connect(self._overlay)
        view.grouping_changed.connect(self._on_grouping_changed)
        view.open_requested.connect(self.open_run)
        view.rename_requested.connect(self._rename)
        view.note_requested.connect(self._note)
        view.trash_requested.connect(self._trash)
        view.undo_requested.connect(self._undo)
        view.set_hidden_columns(settings.hidden_run_columns())
        view.hidden_columns_changed.connect(settings.set_hidden_run_columns)

    def set_shown(self, shown: bool) -> None:
        """Told by the dock: the table follows the folder only while someone can see it."""
        if shown:
            self.refresh()
            self._timer.start()
        else:
            self._timer.stop()

    def refresh(self) -> None:
        """List the runs again: only the folders that changed are read. Asked while a listing runs, once after it."""
        if self._listing:
            self._again = True
            return
        self._listing, self._again = True, False
        listing = self.listing
        self.inference.run("runs", lambda job: listing.refresh(job.report), self._on_listed, self._on_not_listed,
                           self._on_partly_listed)

    def open_run(self, folder: Path) -> bool:
        """Open a run's last model (its final or stopped state), with its curves, to inspect or continue it;
        a run still training is offered to be followed instead (its last model would be out of date at once)."""
        run = read_run(folder)
        if run.status == "running":
            name = printable(run.name)
            if self.follow is not None and dialogs.confirm(
                    self._window, "The run is still training",
                    f"“{name}” is still training (epoch {run.epochs_done} of {run.epochs_asked}). Follow it? Its curves "
                    "and views then update as it goes.", "Follow it"):
                self.follow(folder)
                return True
            return False
        checkpoint = last_checkpoint(folder)
        if checkpoint is None:
            self.reporter.error("Cannot open the run", f"{printable(folder.name)} holds no snapshot: it ended "
                                f"({run.status}) before its first epoch did.")
            return False
        return self._open_path(str(checkpoint))

    # Handlers
    def _on_timer(self) -> None:
        if not self._listing:  # a slow listing is not asked for again while it runs
            self.refresh()

    def _on_partly_listed(self, runs: list[RunInfo]) -> None:
        """The runs read so far in a long first listing: the table fills as it goes."""
        self.runs = runs
        self.view.set_runs(runs, self.runs_dir)

    def _on_listed(self, runs: list[RunInfo]) -> None:
        self._listed()
        if runs != self.runs:  # the same runs, unchanged, are the same objects: nothing to redraw
            self.runs = runs
            self.view.set_runs(runs, self.runs_dir)
        self.listed.emit(runs)
        if not self._recovery_offered:
            self._recovery_offered = True
            self._offer_recovery(runs)

    def _on_not_listed(self, message: str, details: str) -> None:
        self._listed()
        self.reporter.note(f"Cannot list the runs in {printable(self.runs_dir)}: {message}")

    def _listed(self) -> None:
        self._listing = False
        if self._again:
            self.refresh()

    def _offer_recovery(self, runs: list[RunInfo]) -> None:
        """After a crash or kill during a run: say which run stopped where, once, and offer to open it."""
        interrupted = [run for run in runs if run.status == "interrupted" and run.id not in self.settings.recovered_runs()]
        if not interrupted:
            return
        run = interrupted[0]
        self.settings.add_recovered_run(run.id)
        text = (f"The run “{run.name}” was interrupted at epoch {run.epochs_done} of {run.epochs_asked} "
                f"(the app or the computer stopped during it).")
        self.reporter.note(text)
        if dialogs.confirm(self._window, "A run was interrupted", f"{text} Open it to continue training?", "Open it"):
            self.open_run(run.folder)

    def _overlay(self, folders: list[Path]) -> None:
        if not folders:
            self.inference.cancel("overlay")
            self.plots.show_overlay([])
            return
        chosen = [run for run in self.runs if run.folder in folders]
        grouped = self._grouped

        def work():
            histories = [(run.name, run.config, read_metrics(run.folder)) for run in chosen]
            if grouped:
                return grouped_series(histories)
            return [run_series(name, history) for name, _, history in histories]

        self.inference.run("overlay", lambda job: work(), self.plots.show_overlay,
                           lambda message, details: self.reporter.error("Cannot read the runs' metrics", message, details))

    def _on_grouping_changed(self, grouped: bool) -> None:
        self._grouped = grouped
        self._overlay(self.view.selected())

    def _rename(self, folder: Path) -> None:
        run = next((r for r in self.runs if r.folder == folder), None)
        name = dialogs.text_input(self._window, "Rename run", "Name:", run.name if run else folder.name)
        if name:
            self._change(lambda: rename_run(folder, name), "Cannot rename the run")

    def _note(self, folder: Path) -> None:
        run = next((r for r in self.runs if r.folder == folder), None)
        note = dialogs.text_input(self._window, "Note", "A note about this run:", run.note if run else "")
        if note is not None:
            self._change(lambda: set_note(folder, note), "Cannot save the note")

    def _trash(self, folders: list[Path]) -> None:
        def move() -> None:
            self._trashed = [trash_run(folder) for folder in folders]

        if self._change(move, "Cannot move the run to the trash"):
            count = len(self._trashed)
            self.view.offer_undo(f"Undo: bring back {counted(count, 'run')}")
            self.reporter.note(f"Moved {counted(count, 'run')} to {self.runs_dir / '.trash'}.")

    def _undo(self) -> None:
        trashed, self._trashed = self._trashed, []
        if self._change(lambda: [restore_run(path) for path in trashed], "Cannot bring the run back"):
            self.view.offer_undo(None)

    def _change(self, change: Callable[[], object], title: str) -> bool:
        """A small change to a run folder, on the GUI thread (a rename writes one small file)."""
        try:
            change()
        except (OSError, ValueError) as exc:
            self.reporter.error(title, str(exc))
            return False
        self.refresh()
        return True

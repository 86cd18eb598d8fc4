"""File commands: open, save, save as, recent files, and what a dropped file means."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint, load_checkpoint
from fmnist_gui.imaging import IMAGE_SUFFIXES
from fmnist_gui.runs import RunDamaged, last_checkpoint
from fmnist_gui.runs.reader import load_run_json
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runtime import after_torch
from fmnist_gui.qt.state.runtime import TorchRuntime
from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.state.settings import Settings


class FilesController(QObject):
    def __init__(self, *, document: ModelDocument, session: TrainingSession, predictions: Predictions, settings: Settings,
                 reporter: Reporter, show_status: Callable[[str], None], runtime: TorchRuntime, window: QWidget) -> None:
        super().__init__(window)
        self.runtime = runtime
        self.document, self.session, self.predictions = document, session, predictions
        self.settings, self.reporter, self._show_status = settings, reporter, show_status
        self._window = window
        document.opened.connect(lambda checkpoint: setattr(self, "_file_accuracy", self.accuracy_of(checkpoint)))
        self._file_accuracy: float | None = None  # what the document's file holds, when known

    def accuracy_of(self, checkpoint: Checkpoint) -> float | None:
        """The test accuracy of a model: its last epoch's, or the evaluation on screen for one stopped mid-epoch."""
        if checkpoint.history and not checkpoint.extra_batches:
            return checkpoint.history[-1].test_accuracy
        return self.predictions.test.accuracy if self.predictions.test and self.predictions.checkpoint is checkpoint else None

    def open(self) -> None:
        path = dialogs.open_checkpoint_path(self._window, self.settings.last_folder())
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a checkpoint; a bad file, a refused prompt or a running run leave everything as it was.

        Before torch has loaded, the file opens once it has (False now)."""
        if not self.runtime.is_loaded:
            return after_torch(self.runtime, self.reporter, "open", f"{Path(path).name} opens", lambda: self.open_path(path))
        if self.session.active:
            self.reporter.error("Cannot open now", "Stop the training run before opening a checkpoint.")
            return False
        checkpoint = self.document.read(path)
        if checkpoint is None or not self.may_discard(f"open {Path(path).name}"):
            return False
        self.document.adopt(checkpoint, path)
        return True

    def reopen_last(self, inference_run: Callable[..., None]) -> None:
        """At start, the most recent model again, read and checked off the GUI thread: the window is usable at once,
        and a model that can no longer be read is a line in the log, not a dialog."""
        recent = self.settings.recent_files()
        if not recent or not self.settings.reopen_last_model() or self.document.checkpoint is not None:
            return
        path = recent[0]
        self.reporter.note(f"Opening the last model again: {path}")

        def opened(checkpoint: Checkpoint) -> None:
            if self.document.checkpoint is None and not self.session.active:  # nothing else took the screen meanwhile
                self.document.adopt(checkpoint, path)

        inference_run("reopen", lambda job: load_checkpoint(path), opened,
                      lambda message, details: self.reporter.note(f"The last model was not opened again: {message}"))

    def may_discard(self, action: str) -> bool:
        """True when nothing unsaved would be lost: saved now, discarded on purpose, or nothing to lose."""
        checkpoint = self.document.checkpoint
        if not self.document.unsaved or checkpoint is None:
            return True
        folder = self.document.run_folder
        if folder is not None and holds_as_last(folder, checkpoint):
            self.reporter.note(f"The model ({checkpoint.config.model}, {checkpoint.position}) is recorded in {folder}.")
            return True  # nothing would be lost: File → Open, the Runs tab or fmnist-gui RUN brings it back
        answer = dialogs.save_discard_cancel(
            self._window, "Keep the trained model?",
            f"The model trained so far ({checkpoint.config.model}, {checkpoint.position}) is not saved. "
            f"Save it before you {action}?")
        return answer == "discard" or (answer == "save" and self.save())

    def save(self) -> bool:
        if self.document.path and not self.session.active:
            return self.save_to(self.document.path)
        return self.save_as()

    def save_as(self) -> bool:
        suggested = str(Path(self.settings.last_folder()) / self.document.suggested_name())
        path = dialogs.save_checkpoint_path(self._window, suggested)
        if not path:
            return False
        return self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Save the model on screen; during a run, its last finished epoch (training goes on)."""
        running = self.session.active
        checkpoint: Checkpoint | None = self.session.checkpoint() if running else self.document.checkpoint
        if checkpoint is None:
            self.reporter.error("Nothing to save", "Train a model or open a checkpoint first.")
            return False
        accuracy = self.accuracy_of(checkpoint)
        what = f"{checkpoint.config.model} at {checkpoint.position}" + (f", test accuracy {accuracy:.2f}%" if accuracy else "")
        if not self._replaces_better(path, accuracy, what):
            return False
        saved = self.document.save(checkpoint, path, final=not running)
        if saved is None:
            return False
        if not running or path == self.document.path:
            self._file_accuracy = accuracy
        note = " (the last finished epoch; training goes on)" if running else ""
        self.reporter.note(f"Saved {saved}: {what}{note}")
        self._show_status(f"Saved {saved.name}: {what}{note}")
        return True

    def _replaces_better(self, path: str, accuracy: float | None, what: str) -> bool:
        """False when the user keeps a better model that the file already holds; True to go on saving."""
        better = self._file_accuracy
        if path != self.document.path or better is None or accuracy is None or accuracy >= better:
            return True
        return dialogs.confirm(self._window, "Replace a better model?",
                               f"{Path(path).name} holds a model with {better:.2f}% test accuracy. Replace it with "
                               f"{what}?", "Replace")

    def is_picture(self, path: str) -> bool:
        return Path(path).suffix.lower() in IMAGE_SUFFIXES


def holds_as_last(folder: Path, checkpoint: Checkpoint) -> bool:
    """Whether a run folder's last snapshot is this very model: its run.json says so and checkpoints/last.pt is there."""
    try:
        last_step = load_run_json(folder).get("last_step")
    except RunDamaged:
        return False
    return last_step == checkpoint.step and last_checkpoint(folder) is not None

"""File commands: open, save, save as, recent files, and what a dropped file means."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.imaging import IMAGE_SUFFIXES
from fmnist_gui.qt import dialogs
from fmnist_gui.qt.document import ModelDocument
from fmnist_gui.qt.reporter import Reporter
from fmnist_gui.qt.session import TrainingSession
from fmnist_gui.qt.settings import Settings


class FileCommands(QObject):
    def __init__(self, document: ModelDocument, session: TrainingSession, settings: Settings, reporter: Reporter,
                 window: QWidget) -> None:
        super().__init__(window)
        self.document, self.session, self.settings, self.reporter = document, session, settings, reporter
        self._window = window

    def open(self) -> None:
        path = dialogs.open_checkpoint_path(self._window, self.settings.last_folder())
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> bool:
        """Open a checkpoint; a bad file, a refused prompt or a running run leave everything as it was."""
        if self.session.active:
            self.reporter.error("Cannot open now", "Stop the training run before opening a checkpoint.")
            return False
        checkpoint = self.document.read(path)
        if checkpoint is None or not self.document.may_discard(self._window, f"Open {Path(path).name} instead"):
            return False
        self.document.adopt(checkpoint, path)
        return True

    def save(self) -> None:
        if self.document.path and not self.session.active:
            self.save_to(self.document.path)
        else:
            self.save_as()

    def save_as(self) -> None:
        suggested = str(Path(self.settings.last_folder()) / self.document.suggested_name())
        path = dialogs.save_checkpoint_path(self._window, suggested)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> bool:
        """Save the model on screen; during a run, its last finished epoch (training goes on)."""
        running = self.session.active
        checkpoint: Checkpoint | None = self.session.checkpoint() if running else self.document.checkpoint
        if checkpoint is None:
            self.reporter.error("Nothing to save", "Train a model or open a checkpoint first.")
            return False
        saved = self.document.save(checkpoint, path, final=not running)
        if saved is None:
            return False
        note = " (the last finished epoch; training goes on)" if running else ""
        self.reporter.note(f"Saved {saved}: {checkpoint.config.model}, epoch {checkpoint.epoch}{note}")
        return True

    def is_picture(self, path: str) -> bool:
        return Path(path).suffix.lower() in IMAGE_SUFFIXES

"""The model on screen: its checkpoint, the file it belongs to, whether it holds unsaved training.

Opening goes through one validating path (`load_checkpoint` checks the whole file and that
its weights fit) before anything changes; saving goes through `save_checkpoint`, which checks
its target and writes atomically. The window shows `title()` and listens to `changed`.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from fmnist_gui.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs import run_folder_of
from fmnist_gui.qt.state.settings import Settings

APP_TITLE = "Fashion-MNIST trainer"


class ModelDocument(QObject):
    changed = Signal()  # the model, its file or its saved state changed
    opened = Signal(Checkpoint)  # just read from a file
    failed = Signal(str, str)  # title, message: an open or save that did not happen
    recent_changed = Signal(list)  # list[str]

    def __init__(self, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.checkpoint: Checkpoint | None = None
        self.path: str | None = None  # the file it was opened from or last saved to
        self.unsaved = False  # training that no file holds
        self.training: str | None = None  # the model name of a run in progress, for the title
        self.following: str | None = None  # "NAME (model)" of a run another process writes, while it is followed
        self.run_folder: Path | None = None  # the recorded run the model belongs to, if any

    # Changes made by training
    def start_fresh(self) -> None:
        """A new run begins: its model belongs to no file yet, and there is none until an epoch ends."""
        self.checkpoint, self.path, self.unsaved, self.run_folder = None, None, False, None
        self.changed.emit()

    def set_trained(self, checkpoint: Checkpoint | None, trained: bool) -> None:
        """The run's latest model; `trained` says whether it learned anything no file holds yet."""
        self.checkpoint = checkpoint
        self.unsaved = checkpoint is not None and (self.unsaved or trained)
        self.changed.emit()

    def set_training(self, model_name: str | None) -> None:
        self.training = model_name
        self.changed.emit()

    # Questions
    def suggested_name(self) -> str:
        if self.checkpoint is None:
            return "model.pt"
        return f"{self.checkpoint.config.model}-epoch{self.checkpoint.epoch}.pt"

    def set_following(self, label: str | None) -> None:
        self.following = label
        self.changed.emit()

    def title(self, paused: bool = False) -> str:
        if self.following is not None:
            subject = f"following {self.following}"
        elif self.training is not None:
            subject = f"training {self.training}" + (" (paused)" if paused else "")
        elif self.checkpoint is not None:
            where = Path(self.path).name if self.path else "unsaved"
            if self.path and self.unsaved:
                where += " (changed)"
            subject = f"{where} — {self.checkpoint.config.model}, epoch {self.checkpoint.epoch}"
        else:
            subject = "no model"
        return f"{subject} — {APP_TITLE}"

    # Files
    def read(self, path: str) -> Checkpoint | None:
        """A checkpoint proven good (whole file checked, weights fit), or None after saying why."""
        try:
            return load_checkpoint(path)
        except UserFacingError as exc:
            self.failed.emit("Cannot open checkpoint", str(exc))
            return None

    def adopt(self, checkpoint: Checkpoint, path: str) -> None:
        """Show a checkpoint read by `read`: it becomes the model on screen and the file to save to."""
        self.checkpoint, self.path, self.unsaved = checkpoint, str(path), False
        self.run_folder = run_folder_of(Path(path))
        self._remember(path)
        self.opened.emit(checkpoint)
        self.changed.emit()

    def save(self, checkpoint: Checkpoint, path: str, final: bool = True) -> Path | None:
        """Write `checkpoint` to `path`; `final` is False for a snapshot of a run still going."""
        try:
            saved = save_checkpoint(checkpoint, path)
        except UserFacingError as exc:
            self.failed.emit("Cannot save checkpoint", str(exc))
            return None
        if final:
            self.path, self.unsaved = str(saved), False
        self._remember(str(saved))
        self.changed.emit()
        return saved

    def _remember(self, path: str) -> None:
        self.settings.set_last_folder(path)
        self.recent_changed.emit(self.settings.add_recent_file(path))

"""Every dialog the app opens, as static helpers: one place for tests to patch."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

if TYPE_CHECKING:
    from fmnist_gui.config import TrainConfig
    from fmnist_gui.qt.common.sweep_dialogs import SweepRequest

CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth);;All files (*)"


def open_checkpoint_path(parent: QWidget, folder: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open checkpoint", folder, CHECKPOINT_FILTER)
    return path or None


def save_checkpoint_path(parent: QWidget, suggested: str) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save checkpoint", suggested, CHECKPOINT_FILTER)
    if not path:
        return None
    if not Path(path).suffix:
        path += ".pt"
    return path


def data_folder(parent: QWidget, folder: str) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Choose the folder with the Fashion-MNIST files", folder) or None


def show_error(parent: QWidget, title: str, message: str, details: str = "") -> None:
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def confirm(parent: QWidget, title: str, question: str, action: str = "OK") -> bool:
    """True when the user chose `action` (the button's text); Cancel is the default, Esc and Enter included."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.NoButton, parent)
    chosen = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is chosen


def save_discard_cancel(parent: QWidget, title: str, question: str) -> str:
    """"save", "discard" or "cancel" for unsaved work; Cancel is the default, so Enter loses nothing."""
    buttons = QMessageBox.StandardButton
    box = QMessageBox(QMessageBox.Icon.Warning, title, question, buttons.Save | buttons.Discard | buttons.Cancel, parent)
    box.setDefaultButton(buttons.Cancel)
    box.setEscapeButton(buttons.Cancel)
    answer = box.exec()
    return {buttons.Save: "save", buttons.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")


def open_image_path(parent: QWidget, folder: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, "Open image", folder, "Images (*.png *.jpg *.jpeg *.gif *.webp);;All files (*)")
    return path or None


def text_input(parent: QWidget, title: str, label: str, text: str = "") -> str | None:
    """One line of text from the user, or None when cancelled."""
    value, accepted = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() if accepted else None


def save_path(parent: QWidget, title: str, suggested: str, file_filter: str) -> str | None:
    """Where to export something; the suffix of the filter's first pattern is added when none was typed."""
    path, _ = QFileDialog.getSaveFileName(parent, title, suggested, file_filter)
    if not path:
        return None
    if not Path(path).suffix:
        path += file_filter.split("*", 1)[1].split(")", 1)[0].split(" ", 1)[0]
    return path


def run_folder(parent: QWidget, folder: str) -> str | None:
    return QFileDialog.getExistingDirectory(parent, "Follow a run folder", folder) or None


def about(parent: QWidget, text: str) -> None:
    QMessageBox.about(parent, "About", text)


def shortcuts(parent: QWidget, rows: list[tuple[str, str, str]]) -> None:
    """Help → Keyboard shortcuts: (menu, action, keys) rows."""
    from fmnist_gui.qt.common.help import ShortcutsDialog

    ShortcutsDialog(rows, parent).exec()


def getting_started(parent: QWidget) -> None:
    from fmnist_gui.qt.common.help import GettingStartedDialog

    GettingStartedDialog(parent).exec()


def stop_or_leave(parent: QWidget, title: str, question: str) -> str:
    """"stop", "leave" or "cancel" for processes the app started that still run; Cancel is the default."""
    box = QMessageBox(QMessageBox.Icon.Question, title, question, QMessageBox.StandardButton.NoButton, parent)
    stop = box.addButton("Stop them", QMessageBox.ButtonRole.DestructiveRole)
    leave = box.addButton("Leave them running", QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return {id(stop): "stop", id(leave): "leave"}.get(id(box.clickedButton()), "cancel")


def new_sweep(parent: QWidget, config: TrainConfig, data_dir: str | None) -> SweepRequest | None:
    """New sweep…: the sweep asked for around the form's values `config`, checked; None when cancelled."""
    from fmnist_gui.qt.common.sweep_dialogs import NewSweepDialog

    dialog = NewSweepDialog(config, data_dir, parent)
    return dialog.accepted_request if dialog.exec() == NewSweepDialog.DialogCode.Accepted else None


def open_sweep(parent: QWidget, names: list[str], folder: str) -> tuple[str, str | None] | None:
    """Open sweep…: (name, database URL or None for the runs folder's journal), or None when cancelled."""
    from fmnist_gui.qt.common.sweep_dialogs import OpenSweepDialog

    dialog = OpenSweepDialog(names, folder, parent)
    return dialog.chosen if dialog.exec() == OpenSweepDialog.DialogCode.Accepted else None

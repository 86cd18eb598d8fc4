"""The menus: every action with its text and shortcut, and the handler it triggers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu

import fmnist_gui
from fmnist_gui.data import INSTALL_HINT
from fmnist_gui.qt import dialogs
from fmnist_gui.qt.docks import DOCKS
from fmnist_gui.qt.document import APP_TITLE

Shortcut = QKeySequence.StandardKey | str | None


@dataclass(frozen=True)
class ActionInfo:
    key: str
    menu: str
    text: str
    shortcut: Shortcut = None
    separator_before: bool = False


ACTIONS: tuple[ActionInfo, ...] = (
    ActionInfo("open", "&File", "&Open checkpoint…", QKeySequence.StandardKey.Open),
    ActionInfo("save", "&File", "&Save checkpoint", QKeySequence.StandardKey.Save),
    ActionInfo("save_as", "&File", "Save checkpoint &as…", QKeySequence.StandardKey.SaveAs),
    ActionInfo("choose_data", "&File", "Choose &data folder…", separator_before=True),
    ActionInfo("quit", "&File", "&Quit", "Ctrl+Q", separator_before=True),
    ActionInfo("open_picture", "&Edit", "Classify an image &file…"),
    ActionInfo("paste_picture", "&Edit", "&Paste image to classify", QKeySequence.StandardKey.Paste),
    ActionInfo("about", "&Help", "&About"),
)
MENUS = ("&File", "&Edit", "&View", "&Help")


class MenuActions:
    """Builds the menu bar from ACTIONS and DOCKS; `actions[key]` is the QAction of a row."""

    def __init__(self, window: QMainWindow, handlers: dict[str, Callable[[], object]], docks: dict[str, QDockWidget],
                 open_recent: Callable[[str], object]) -> None:
        self._open_recent = open_recent
        self.actions: dict[str, QAction] = {}
        menus = {title: window.menuBar().addMenu(title) for title in MENUS}
        for info in ACTIONS:
            menu = menus[info.menu]
            if info.separator_before:
                menu.addSeparator()
            action = QAction(info.text, window)
            if info.shortcut is not None:
                action.setShortcut(QKeySequence(info.shortcut))
            action.triggered.connect(handlers[info.key])
            menu.addAction(action)
            self.actions[info.key] = action
            if info.key == "open":
                self.recent_menu = QMenu("Open &recent", window)
                menu.addMenu(self.recent_menu)
        for info in DOCKS:
            menus["&View"].addAction(docks[info.key].toggleViewAction())

    def set_recent(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(paths))

    def update(self, idle: bool, has_model: bool) -> None:
        """Enable what makes sense now: files open only between runs; a model to save must exist."""
        for key in ("open", "choose_data"):
            self.actions[key].setEnabled(idle)
        self.recent_menu.setEnabled(idle and not self.recent_menu.isEmpty())
        for key in ("save", "save_as"):
            self.actions[key].setEnabled(has_model)


def show_about(window: QMainWindow) -> None:
    hint = INSTALL_HINT[:1].upper() + INSTALL_HINT[1:]  # str.capitalize() would lowercase the paths in it
    dialogs.about(window, f"<b>{APP_TITLE}</b> {fmnist_gui.__version__}<br>"
                  f"Train, watch and demo Fashion-MNIST models.<br>{hint}.")

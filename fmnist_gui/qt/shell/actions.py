"""The menus: every action with its text and shortcut, and the handler it triggers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMenu, QPushButton

import fmnist_gui
from fmnist_gui.data import INSTALL_HINT
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.shell.docks import DOCKS
from fmnist_gui.qt.state.document import APP_TITLE

Shortcut = QKeySequence.StandardKey | str | None


@dataclass(frozen=True)
class ActionInfo:
    key: str
    menu: str
    text: str
    shortcut: Shortcut = None
    separator_before: bool = False
    checkable: bool = False  # a setting turned on and off; its handler gets the new state


ACTIONS: tuple[ActionInfo, ...] = (
    ActionInfo("open", "&File", "&Open checkpoint…", QKeySequence.StandardKey.Open),
    ActionInfo("save", "&File", "&Save checkpoint", QKeySequence.StandardKey.Save),
    ActionInfo("save_as", "&File", "Save checkpoint &as…", QKeySequence.StandardKey.SaveAs),
    ActionInfo("compare_with", "&File", "&Compare with…", "Ctrl+Shift+O", separator_before=True),
    ActionInfo("stop_comparing", "&File", "Stop compar&ing"),
    ActionInfo("follow", "&File", "&Follow a run folder…", separator_before=True),
    ActionInfo("stop_following", "&File", "Stop follo&wing"),
    ActionInfo("export_metrics", "E&xport", "&Metrics as CSV…"),
    ActionInfo("export_plots_png", "E&xport", "&Plots as PNG…"),
    ActionInfo("export_plots_svg", "E&xport", "Plots as &SVG…"),
    ActionInfo("export_confusion_png", "E&xport", "&Confusion matrix as PNG…"),
    ActionInfo("export_confusion_csv", "E&xport", "Confusion matrix as CS&V…"),
    ActionInfo("export_onnx", "E&xport", "Model as &ONNX…"),
    ActionInfo("export_card", "E&xport", "Model &card (Markdown)…"),
    ActionInfo("choose_data", "&File", "Choose &data folder…", separator_before=True),
    ActionInfo("reopen_last", "&File", "Reopen the last model at start", checkable=True),
    ActionInfo("quit", "&File", "&Quit", "Ctrl+Q", separator_before=True),
    ActionInfo("open_picture", "&Edit", "Classify an image &file…"),
    ActionInfo("paste_picture", "&Edit", "&Paste image to classify", QKeySequence.StandardKey.Paste),
    ActionInfo("train", "&Run", "&Train a new model", "F5"),
    ActionInfo("continue", "&Run", "&Continue training", "Ctrl+F5"),
    ActionInfo("pause", "&Run", "&Pause", "F6"),
    ActionInfo("stop", "&Run", "&Stop", "Shift+F5"),
    ActionInfo("revert", "&Run", "&Revert to the best epoch", separator_before=True),
    ActionInfo("sweeps", "&Run", "S&weeps…", separator_before=True),
    ActionInfo("present", "&View", "&Present…", "F11"),
    ActionInfo("reset_layout", "&View", "&Reset layout", separator_before=True),
    ActionInfo("getting_started", "&Help", "&Getting started", QKeySequence.StandardKey.HelpContents),
    ActionInfo("shortcuts", "&Help", "&Keyboard shortcuts", "Ctrl+/"),
    ActionInfo("about", "&Help", "&About", separator_before=True),
)
MENUS = ("&File", "&Edit", "&Run", "&View", "&Help")
SUBMENUS = {"E&xport": "&File"}  # a submenu, placed in its parent where its first action comes
EXTRA_SHORTCUTS = {"stop": "Esc", "pause": "Ctrl+P"}  # the second ways to reach them


class MenuActions:
    """Builds the menu bar from ACTIONS and DOCKS; `actions[key]` is the QAction of a row."""

    def __init__(self, window: QMainWindow, handlers: dict[str, Callable[..., object]], docks: dict[str, QDockWidget],
                 open_recent: Callable[[str], object]) -> None:
        self._open_recent = open_recent
        self.actions: dict[str, QAction] = {}
        menus = {title: window.menuBar().addMenu(title) for title in MENUS}
        for info in ACTIONS:
            if info.menu not in menus:
                menus[info.menu] = menus[SUBMENUS[info.menu]].addMenu(info.menu)
            menu = menus[info.menu]
            if info.separator_before:
                menu.addSeparator()
            action = QAction(info.text, window)
            action.setCheckable(info.checkable)
            if info.shortcut is not None:
                action.setShortcuts([QKeySequence(info.shortcut)]
                                    + ([QKeySequence(EXTRA_SHORTCUTS[info.key])] if info.key in EXTRA_SHORTCUTS else []))
            if info.checkable:
                action.toggled.connect(handlers[info.key])
            else:
                action.triggered.connect(handlers[info.key])
            menu.addAction(action)
            self.actions[info.key] = action
            if info.key == "open":
                self.recent_menu = QMenu("Open &recent", window)
                menu.addMenu(self.recent_menu)
        menus["&View"].addSeparator()
        for dock in DOCKS:
            menus["&View"].addAction(docks[dock.key].toggleViewAction())

    def set_recent(self, paths: list[str]) -> None:
        self.recent_menu.clear()
        for path in paths:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self._open_recent(p))
        self.recent_menu.setEnabled(bool(paths))

    def follow_buttons(self, buttons: dict[str, QPushButton]) -> None:
        """The Run menu's actions mirror the run buttons: enabled with them, Pause named as its button is."""
        for key, button in buttons.items():
            self.actions[key].setEnabled(button.isEnabled() and not button.isHidden())
        self.actions["pause"].setText(buttons["pause"].text().replace("…", "") or "Pause")

    def update(self, idle: bool, has_model: bool, comparing: bool = False, following: bool = False) -> None:
        """Enable what makes sense now: files open only between runs; a model to save must exist."""
        self.actions["compare_with"].setEnabled(has_model)
        self.actions["stop_comparing"].setEnabled(comparing)
        self.actions["stop_following"].setEnabled(following)
        for key in ("open", "choose_data", "follow"):
            self.actions[key].setEnabled(idle)
        self.recent_menu.setEnabled(idle and not self.recent_menu.isEmpty())
        for key in ("save", "save_as", "present"):
            self.actions[key].setEnabled(has_model)


def shortcut_rows() -> list[tuple[str, str, str]]:
    """Every action that has a key, in menu order: what Help → Keyboard shortcuts lists."""
    rows = []
    for info in ACTIONS:
        if info.shortcut is None:
            continue
        keys = [QKeySequence(info.shortcut).toString(QKeySequence.SequenceFormat.NativeText)]
        if info.key in EXTRA_SHORTCUTS:
            keys.append(EXTRA_SHORTCUTS[info.key])
        rows.append((info.menu.replace("&", ""), info.text.replace("&", "").replace("…", ""), " or ".join(keys)))
    return rows


def about_text(data_folder: str | None, runs_folder: str) -> str:
    """Help → About: versions, where the data and the runs are, the licence; how to get the data only when it is missing."""
    import platform
    from importlib import metadata

    import PySide6

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    data = (f"Fashion-MNIST: {data_folder}" if data_folder
            else "Fashion-MNIST was not found: " + INSTALL_HINT[:1] + INSTALL_HINT[1:] + ".")
    return (f"<b>{APP_TITLE}</b> {fmnist_gui.__version__}<br>Train, watch and demo Fashion-MNIST models.<br><br>"
            f"{data}<br>Runs are recorded in {runs_folder}<br><br>"
            f"PyTorch {version('torch')}, torchvision {version('torchvision')}, Qt {PySide6.QtCore.qVersion()} "
            f"(PySide6 {PySide6.__version__}), Python {platform.python_version()}<br><br>"
            "Licensed under the MIT licence. Fashion-MNIST is © Zalando SE, under the MIT licence.")

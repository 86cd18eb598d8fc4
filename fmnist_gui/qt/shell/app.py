"""create_app(): names, icon and settings first; run_app(): the window and the event loop."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

import fmnist_gui
from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread
from fmnist_gui.qt.common.icons import app_icon

if TYPE_CHECKING:
    from fmnist_gui.qt.shell.main_window import MainWindow
    from fmnist_gui.qt.shell.quit_signals import EndOnSignals

ORGANIZATION = "fmnist-gui"
APPLICATION = "fmnist-gui"


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with the names QSettings needs set before anything reads settings."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(fmnist_gui.__version__)
    app = QApplication.instance()
    if not isinstance(app, QApplication):  # none yet; a test's runner may have made one already
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationDisplayName("Fashion-MNIST trainer")
    app.setDesktopFileName("fmnist-gui")
    app.setWindowIcon(app_icon())
    collect_garbage_in_gui_thread(app)
    return app


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def run_app(checkpoint: str | None = None) -> int:
    """Open the main window (and `checkpoint`, if given) and run until it closes.

    When this user's app is already running, it is handed `checkpoint` instead and this process
    ends at once, before torch is imported. Otherwise a splash shows while the window is built, and
    torch loads in the background once the window is up.
    """
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.qt.shell.single_instance import InstanceServer, hand_over

    if _no_display():
        raise UserFacingError("There is no display to open a window on; run it in a desktop session (or under xvfb-run).")
    if hand_over(checkpoint):
        return 0
    app = create_app()
    server = InstanceServer(parent=app)
    early: list[str | None] = []  # launches that arrive while the window is still being built
    server.open_requested.connect(early.append)
    server.listen()  # a failure only costs the hand-over: this window still opens
    from fmnist_gui.qt.shell.splash import show_splash

    splash = show_splash(app)
    from fmnist_gui.qt.shell.main_window import MainWindow  # no torch: it loads on the background layer

    window = MainWindow()
    end_on_signals(window)
    app.aboutToQuit.connect(window.shutdown)
    app.aboutToQuit.connect(server.close)
    window.show()
    splash.finish(window)
    collect_garbage_in_gui_thread(app).freeze_startup()
    server.open_requested.disconnect()
    server.open_requested.connect(lambda path: bring_up(window, path))
    for path in [checkpoint, *early]:
        if path:
            window.open_any(path)
    code = app.exec()
    window.shutdown()  # every thread has ended and the settings are written: nothing is left to do
    leave_now(code)
    return code


def end_on_signals(window: MainWindow) -> EndOnSignals:
    """SIGTERM, SIGHUP and Ctrl+C stop the run, keep the model and close the window (see quit_signals)."""
    from fmnist_gui.qt.shell.quit_signals import EndOnSignals, SignalWatcher

    ending = EndOnSignals(lambda: window.session.active, window.training.stop, window.session.run_finished,
                          window.keep_model_before_quitting, window.reporter.note, window.quit_with, window)
    watcher = SignalWatcher(window)
    watcher.received.connect(ending.handle)
    watcher.install()
    return ending


def bring_up(window: MainWindow, path: str | None) -> None:
    """Another launch asked for the window (and `path`): show it in front, then open the path."""
    if window.isMinimized():
        window.showNormal()
    window.raise_()
    window.activateWindow()
    if path:
        window.open_any(path)


def leave_now(code: int) -> None:
    """End the process without Python's teardown, which takes over a second once torch is loaded.

    By now every thread has ended and the settings are on disk; only memory would be freed.
    """
    QSettings().sync()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it anyway
            pass
    os._exit(code)

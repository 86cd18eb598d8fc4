"""create_app(): names, icon and settings first; run_app(): the window and the event loop."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QSettings
from PySide6.QtWidgets import QApplication

import fmnist_gui
from fmnist_gui.qt.icons import app_icon

ORGANIZATION = "fmnist-gui"
APPLICATION = "fmnist-gui"


def create_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication, with the names QSettings needs set before anything reads settings."""
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    QCoreApplication.setApplicationVersion(fmnist_gui.__version__)
    app = QApplication.instance() or QApplication(argv if argv is not None else [sys.argv[0]])
    app.setApplicationDisplayName("Fashion-MNIST trainer")
    app.setDesktopFileName("fmnist-gui")
    app.setWindowIcon(app_icon())
    return app


def _no_display() -> bool:
    return (
        sys.platform.startswith("linux")
        and not os.environ.get("QT_QPA_PLATFORM")
        and not os.environ.get("DISPLAY")
        and not os.environ.get("WAYLAND_DISPLAY")
    )


def run_app(checkpoint: str | None = None) -> int:
    """Open the main window (and `checkpoint`, if given) and run until it closes."""
    from fmnist_gui.errors import UserFacingError

    if _no_display():
        raise UserFacingError("There is no display to open a window on; run it in a desktop session (or under xvfb-run).")
    from fmnist_gui.qt.main_window import MainWindow

    app = create_app()
    window = MainWindow()
    app.aboutToQuit.connect(window.shutdown)
    window.show()
    if checkpoint and Path(checkpoint).is_dir():
        window.following.follow(Path(checkpoint))  # a run folder: watch it as another process writes it
    elif checkpoint:
        window.files.open_path(checkpoint)
    code = app.exec()
    window.shutdown()  # every thread has ended and the settings are written: nothing is left to do
    leave_now(code)
    return code


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

"""Runs a packaging script on a virtual screen (Debian's xvfb) when there is no display."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def needs_virtual_screen() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def rerun_under_xvfb(screen: str) -> int:
    """Start this very script again under xvfb-run, so Qt's real xcb plugin draws the window."""
    if shutil.which("xvfb-run") is None:
        print("No display and no xvfb-run: install xvfb (sudo apt-get install xvfb).", file=sys.stderr)
        return 2
    return subprocess.call(["xvfb-run", "-a", "-s", f"-screen 0 {screen}", sys.executable, *sys.argv])


def use_throwaway_settings_and_runs(runs: str | None = None) -> None:
    """A screenshot never depends on, or changes, the user's settings or runs; call before torch loads."""
    import tempfile

    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="fmnist-gui-shot-")
    os.environ["FMNIST_RUNS"] = runs or tempfile.mkdtemp(prefix="fmnist-gui-shot-runs-")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as `fmnist-gui` sets it for the window


def open_window(size: str, data_dir: str | None = None):  # noqa: ANN201 - Qt types load late
    """The app and its main window, shown at `size` (WIDTHxHEIGHT)."""
    from fmnist_gui.qt.shell.app import create_app
    from fmnist_gui.qt.shell.main_window import MainWindow

    app = create_app()
    window = MainWindow(data_dir=data_dir)
    window.resize(*(int(v) for v in size.split("x")))
    window.show()
    return app, window


def step_through(app, window, steps: list, pause_ms: int = 400, ready=lambda: True, at_end=lambda: None):  # noqa: ANN001, ANN201
    """A `next_step` to start the script's steps with: each runs once the window is idle and `ready()`
    says so, and may return how many milliseconds to wait after it; after the last, `at_end()`, then
    the window closes (nothing to keep: no question) and the app quits."""
    from PySide6.QtCore import QTimer

    def next_step() -> None:
        if window.busy or not ready():
            QTimer.singleShot(100, next_step)
            return
        if not steps:
            at_end()
            window.document.unsaved = False
            window.close()
            app.quit()
            return
        wait = steps.pop(0)()
        QTimer.singleShot(wait if isinstance(wait, int) and not isinstance(wait, bool) and wait > 0 else pause_ms, next_step)

    return next_step


def shot_arguments(description: str, out: str, size: str):  # noqa: ANN201 - argparse.Namespace
    """The options every screenshot script takes: --out FOLDER, --size WIDTHxHEIGHT, --data-dir DIR."""
    import argparse

    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--out", default=out)
    parser.add_argument("--size", default=size, help="window size, WIDTHxHEIGHT")
    parser.add_argument("--data-dir")
    return parser.parse_args()


def shoot_on_screen(screen: str, shoot, args) -> int:  # noqa: ANN001
    """Run `shoot(args)` with throwaway settings and runs, on a virtual screen when there is no display."""
    if needs_virtual_screen():
        return rerun_under_xvfb(screen)
    use_throwaway_settings_and_runs()
    return shoot(args)

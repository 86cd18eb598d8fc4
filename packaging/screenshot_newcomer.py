"""Screenshots of what a newcomer meets, at one window size: the learning-rate finder, the galleries,
Help, a run followed from the command line, and the window started again on the last model.

Trains the quickstart preset for one epoch in a throwaway runs folder on the real window (under
xvfb-run when there is no display), and writes newcomer-*-HEIGHT.png. A few minutes on 2 cores.
Usage: python packaging/screenshot_newcomer.py [--out docs] [--size 1280x720] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from virtual_screen import open_window, shoot_on_screen, shot_arguments, step_through

SCREEN = "1920x1080x24"


def main() -> int:
    return shoot_on_screen(SCREEN, shoot, shot_arguments(__doc__, "docs", "1280x720"))


def shoot(args: argparse.Namespace) -> int:  # noqa: C901 - one script of steps
    import os

    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QMessageBox

    from fmnist_gui.config import preset
    from fmnist_gui.qt.common import dialogs
    from fmnist_gui.qt.common.help import GettingStartedDialog, ShortcutsDialog

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    height = args.size.split("x")[1]
    runs = Path(os.environ["FMNIST_RUNS"])
    saved = Path(tempfile.mkdtemp(prefix="fmnist-gui-shot-")) / "demo.pt"
    app, window = open_window(args.size, args.data_dir)
    written: list[str] = []
    shown: list = []  # dialogs kept alive until they are pictured
    followed: list[subprocess.Popen] = []

    def save(widget, name: str) -> None:  # noqa: ANN001
        path = out / f"newcomer-{name}-{height}.png"
        widget.grab().save(str(path))
        written.append(path.name)

    def non_modal(dialog) -> None:  # noqa: ANN001
        dialog.setModal(False)
        dialog.show()
        shown.append(dialog)

    def about(parent, text: str) -> None:  # noqa: ANN001
        box = QMessageBox(QMessageBox.Icon.NoIcon, "About", text, QMessageBox.StandardButton.Ok, parent)
        non_modal(box)

    dialogs.about = about
    dialogs.shortcuts = lambda parent, rows: non_modal(ShortcutsDialog(rows, parent))
    dialogs.getting_started = lambda parent: non_modal(GettingStartedDialog(parent))

    def find_rate() -> int:
        window.controls.set_config(preset("default"))
        window.controls.find_lr.click()
        return 1000

    def finder() -> None:
        save(window.lr_finding.dialog, "finder")
        save(window, "finder-window")
        window.lr_finding.dialog.close()

    def train() -> int:
        window.controls.set_config(preset("quickstart").replace(epochs=1, lr=0.3))
        window.controls.train_button.click()
        return 1000

    def galleries() -> None:
        window.docks["samples"].raise_()
        save(window.docks["samples"], "samples")
        matrix = window.predictions.confusion.copy()
        np.fill_diagonal(matrix, 0)
        window.views.confusion.cell_clicked.emit(*(int(v) for v in np.unravel_index(matrix.argmax(), matrix.shape)))

    def mistakes() -> None:
        save(window.docks["mistakes"], "mistakes")
        save(window, "window")

    def help_dialogs() -> int:
        for key in ("shortcuts", "getting_started", "about"):
            window.menus.actions[key].trigger()
        return 1000

    def help_pictures() -> None:
        for dialog, name in zip(shown, ("shortcuts", "getting-started", "about"), strict=True):
            save(dialog, name)
            dialog.close()
        shown.clear()

    def follow_a_run() -> int:
        command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", "default", "--epochs", "2",
                   "--runs-dir", str(runs), "--name", "followed from the command line"]
        followed.append(subprocess.Popen(command + (["--data-dir", args.data_dir] if args.data_dir else []),
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return 8000

    def follow() -> int:
        newest = max((p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
        window.files.save_to(str(saved))  # the model on screen is kept, and is the last one for the restart
        window.following.follow(newest)
        return 1000

    def wait_for_an_epoch() -> int:
        if len(window.plots.test_accuracy.series.x) < 1:
            steps.insert(0, wait_for_an_epoch)
            return 1000
        return 1500

    def followed_run() -> None:
        save(window, "followed")
        window.following.stop()
        for process in followed:
            process.wait()

    steps = [find_rate, finder, train, galleries, mistakes, help_dialogs, help_pictures, follow_a_run, follow,
             wait_for_an_epoch, followed_run]
    ready = lambda: window.data_source.data is not None and not window.lr_finding.running and not window.session.active  # noqa: E731
    QTimer.singleShot(500, step_through(app, window, steps, pause_ms=600, ready=ready))
    app.exec()
    window.shutdown()

    # Started again: the last model opens by itself.
    from fmnist_gui.qt.shell.main_window import MainWindow

    again = MainWindow(data_dir=args.data_dir)
    again.resize(*(int(v) for v in args.size.split("x")))
    again.show()
    opened = lambda: again.document.path == str(saved.resolve()) and not again.busy  # noqa: E731
    QTimer.singleShot(500, step_through(app, again, [lambda: 1500, lambda: save(again, "restart")], ready=opened))
    app.exec()
    again.shutdown()
    print(f"wrote {', '.join(written)} in {out}")
    return 0 if len(written) == 10 else 1


if __name__ == "__main__":
    sys.exit(main())

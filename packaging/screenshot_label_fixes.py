"""Screenshots of fixing labels in the window: reviewing suspects one key at a time, the data map of a run
trained with the fixes (set-aside images hollow), and the comparison before and after the fixes.

Trains the quickstart MLP (rate 0.3) twice for 2 epochs on the real data, in a throwaway runs folder and
fix-set folder, on the real window (under xvfb-run when there is no display); about a minute on 2 cores.
Writes label-review.png, label-review-window.png, label-fixes-data-map.png and label-fixes-compare.png.
Usage: python packaging/screenshot_label_fixes.py [--out docs] [--size 1600x1000] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, shoot_on_screen, shot_arguments, step_through

SCREEN = "1920x1080x24"
KEYS = "AAXAKAXAAS" + "X" * 30  # accept, set aside, keep, skip: the fast path a reviewer takes; then set aside a few
EPOCHS = 2  # a map needs two epochs to spread out


def main() -> int:
    args = shot_arguments(__doc__, "docs", "1600x1000")
    if not needs_virtual_screen():  # in the run under xvfb-run: the fix sets go to a throwaway folder too
        os.environ["FMNIST_LABELS"] = tempfile.mkdtemp(prefix="fmnist-gui-shot-labels-")
    return shoot_on_screen(SCREEN, shoot, args)


def shoot(args: argparse.Namespace) -> int:  # noqa: C901 - one script of steps
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest

    from fmnist_gui.config import preset
    from fmnist_gui.qt.common import dialogs
    from fmnist_gui.qt.shell.docks import raise_dock

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    asked: list[str] = []
    dialogs.text_input = lambda *a, **k: "cleanup"  # the name of the new fix set
    dialogs.confirm = lambda parent, title, *a, **k: asked.append(title) or title == "Did the fixes help?"
    dialogs.show_error = lambda parent, title, message, *a, **k: print(f"error: {title}: {message}", file=sys.stderr)
    app, window = open_window(args.size, args.data_dir)
    written: list[str] = []

    def save(widget, name: str) -> None:  # noqa: ANN001
        path = out / f"{name}.png"
        widget.grab().save(str(path))
        written.append(path.name)

    def train() -> int:
        window.controls.set_config(preset("quickstart").replace(epochs=EPOCHS, lr=0.3))
        window.controls.train_button.click()
        return 1000

    def wait_for_suspects() -> int:
        raise_dock(window.docks, "suspects")  # its list is made once it is shown
        if window.dynamics_model.summary is None or not len(window.dynamics_views.suspects.listed):
            steps.insert(0, wait_for_suspects)
            return 500
        window.dynamics_views.suspects.table.setFocus()
        return 800

    def review() -> int:
        table = window.dynamics_views.suspects.table
        for key in KEYS:
            QTest.keyClick(table, getattr(Qt.Key, f"Key_{key}"))
        return 800

    def reviewed() -> None:
        save(window.docks["suspects"], "label-review")
        save(window, "label-review-window")

    def train_with_fixes() -> int:
        window.controls.labels.setCurrentIndex(window.controls.labels.findData("cleanup"))
        window.controls.train_button.click()
        return 1500

    def wait_for_the_comparison() -> int:
        if "Did the fixes help?" not in asked or window.comparison.other is None:
            steps.insert(0, wait_for_the_comparison)
            return 500
        return 2500

    def compared() -> None:
        raise_dock(window.docks, "compare")
        save(window, "label-fixes-compare")

    def data_map() -> int:
        raise_dock(window.docks, "data_map")
        return 1500

    steps = [train, wait_for_suspects, review, reviewed, train_with_fixes, wait_for_the_comparison, compared,
             data_map, lambda: save(window, "label-fixes-data-map")]
    ready = lambda: window.data_source.data is not None and not window.session.active  # noqa: E731
    QTimer.singleShot(500, step_through(app, window, steps, pause_ms=600, ready=ready))
    app.exec()
    window.shutdown()
    print(f"wrote {', '.join(written)} in {out}; questions asked: {asked}")
    return 0 if len(written) == 4 else 1


if __name__ == "__main__":
    sys.exit(main())

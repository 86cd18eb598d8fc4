"""The three pictures of Help → Getting started, taken from the real window after a real run.

Opens the window (under xvfb-run when there is no display) at 1280x800, pictures the preset and the
Train button, trains the default preset for one epoch and pictures the curves and the samples, then
opens the presenter on the model and pictures it. Writes fmnist_gui/resources/getting-started-{1,2,3}.png:
the form as it is on screen, the others 720 pixels wide (the dialog shows them at 360, sharp on a 2x
screen). About a minute on 2 cores.
Usage: python packaging/screenshot_getting_started.py [--out fmnist_gui/resources] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from virtual_screen import open_window, shoot_on_screen, shot_arguments, step_through

SCREEN = "1600x1000x24"
WIDTH = 720


def main() -> int:
    resources = Path(__file__).resolve().parents[1] / "fmnist_gui" / "resources"
    return shoot_on_screen(SCREEN, shoot, shot_arguments(__doc__, str(resources), "1280x800"))


def shoot(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QRect, Qt, QTimer
    from PySide6.QtGui import QPainter, QPixmap

    from fmnist_gui.config import preset

    out = Path(args.out)
    app, window = open_window(args.size, args.data_dir)
    written: list[str] = []
    presenters: list = []

    def save(picture: QPixmap, number: int, scale: bool = True) -> None:
        path = out / f"getting-started-{number}.png"
        if scale:
            picture = picture.scaledToWidth(WIDTH, Qt.TransformationMode.SmoothTransformation)
        picture.save(str(path))
        written.append(path.name)

    def form() -> None:
        """The preset and what it gives, then the Train button: the whole form would fill the dialog."""
        controls = window.controls
        note = controls.preset_note
        top = controls.grab(QRect(0, 0, controls.width(), note.mapTo(controls, note.rect().bottomLeft()).y() + 8))
        button = controls.train_button
        row = button.mapTo(controls, button.rect().topLeft()).y() - 6
        bottom = controls.grab(QRect(0, row, controls.width(), button.height() + 12))
        gap = 14
        picture = QPixmap(controls.width(), top.height() + gap + bottom.height())
        picture.fill(controls.palette().window().color())
        painter = QPainter(picture)
        painter.drawPixmap(0, 0, top)
        painter.setPen(controls.palette().placeholderText().color())
        painter.drawText(QRect(0, top.height(), controls.width(), gap), Qt.AlignmentFlag.AlignCenter, "⋯")
        painter.drawPixmap(0, top.height() + gap, bottom)
        painter.end()
        save(picture, 1, scale=False)
        window.controls.set_config(preset("default").replace(epochs=1))
        window.controls.train_button.click()

    def curves_and_samples() -> None:
        left = window.docks["curves"].geometry()
        right = window.docks["samples"].geometry()
        save(window.grab(left.united(right)), 2)

    def present() -> int:
        presenters.append(window.present())
        return 3000  # the first answers and the bars' animation

    def presenter() -> None:
        shown = presenters[0]
        save(shown.view.grab(), 3)
        shown.leave()

    steps = [form, lambda: None, curves_and_samples, present, presenter]
    ready = lambda: window.data_source.data is not None and not window.session.active  # noqa: E731
    QTimer.singleShot(0, step_through(app, window, steps, ready=ready))
    app.exec()
    window.shutdown()
    if len(written) != 3:
        print("screenshot_getting_started.py: the window did not reach every step", file=sys.stderr)
        return 1
    print(f"wrote {', '.join(written)} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

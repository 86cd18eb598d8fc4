"""Screenshots of the real app after a real training run: `make screenshot` refreshes docs/.

Runs on the current display; without one it starts itself again under xvfb-run (Debian's
xvfb), so the window is drawn by the real xcb platform plugin.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, step_through, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs", help="folder for the PNG files")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", help="override the preset's model")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT (logical pixels)")
    parser.add_argument("--screen", default=SCREEN, help="the virtual screen when there is no display, WxHxDEPTH")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(args.screen)
    use_throwaway_settings_and_runs()
    return take_screenshots(args)


def take_screenshots(args: argparse.Namespace) -> int:
    import numpy as np
    from PySide6.QtCore import QPointF, QTimer

    from fmnist_gui.config import preset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app, window = open_window(args.size, args.data_dir)
    config = preset(args.preset).replace(epochs=args.epochs)
    if args.model:
        config = config.replace(model=args.model)
    views = window.views
    outcome: dict[str, object] = {}
    steps: list = []

    def start() -> None:
        if window.data_source.data is None:
            if not window.busy:
                outcome["error"] = "no data: " + window.data_banner.text()
                app.quit()
            return
        poll.stop()
        window.controls.set_config(config)
        window.controls.train_button.click()

    def finished(result: object) -> None:
        outcome["result"] = result
        next_step()

    next_step = step_through(app, window, steps)

    def shoot(name: str, widget) -> None:
        widget.grab().save(str(out / name))

    def show(key: str) -> None:
        window.docks[key].raise_()

    def inspect_a_mistake() -> None:
        wrong = next((i for i, t in enumerate(views.samples.tiles) if t.correct is False), 0)
        views.samples.tiles[wrong].clicked.emit()

    def confused_cell() -> tuple[int, int]:
        matrix = window.predictions.confusion.copy()
        np.fill_diagonal(matrix, 0)
        return tuple(int(v) for v in np.unravel_index(matrix.argmax(), matrix.shape))

    def own_picture() -> None:
        from PIL import Image

        test = window.predictions.test
        item = int(np.flatnonzero(test.labels == 7)[0])  # a sneaker, as a product photo: dark on white
        photo = Image.fromarray(255 - test.images[item]).resize((240, 240), Image.Resampling.BICUBIC)
        path = Path(tempfile.mkdtemp()) / "sneaker-photo.png"
        photo.save(path)
        window.analysis.open_picture(str(path))

    def draw_trousers() -> None:
        show("draw")
        canvas = views.draw.canvas
        for x0, x1 in ((100, 80), (180, 200)):
            canvas.draw_line(QPointF(x0, 40), QPointF(x1, 250))
        canvas.draw_line(QPointF(100, 40), QPointF(180, 40))
        canvas.draw_line(QPointF(140, 40), QPointF(140, 120))

    steps += [
        inspect_a_mistake,
        lambda: shoot("view-inspector.png", window.docks["inspector"]),
        lambda: show("confusion"),
        lambda: shoot("view-confusion.png", window.docks["confusion"]),
        lambda: show("per_class"),
        lambda: shoot("view-per-class.png", window.docks["per_class"]),
        lambda: views.confusion.cell_clicked.emit(*confused_cell()),
        lambda: shoot("view-mistakes.png", window.docks["mistakes"]),
        lambda: show("browser"),
        lambda: shoot("view-browser.png", window.docks["browser"]),
        own_picture,
        lambda: shoot("view-your-image.png", window.docks["own_image"]),
        draw_trousers,
        lambda: None,  # the drawing is classified after a short pause
        lambda: shoot("view-draw.png", window.docks["draw"]),
        lambda: (window.docks["curves"].raise_(), window.docks["samples"].raise_()),
        lambda: shoot("screenshot.png", window),
    ]
    window.session.run_finished.connect(finished)
    poll = QTimer()
    poll.timeout.connect(start)
    poll.start(200)
    app.exec()
    window.shutdown()
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return 1
    print(f"{outcome.get('result')}\nwrote {', '.join(sorted(p.name for p in out.glob('*.png')))} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

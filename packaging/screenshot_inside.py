"""Screenshots of the projector and the layer views after real training runs on the real data.

Trains the small CNN (then the quickstart MLP, two epochs with AdamW) in the real window, and grabs the
Projector dock (PCA, then t-SNE when openTSNE is installed) and the Layers dock. Prints how
long each picture took. Without a display it starts itself again under xvfb-run.

    python packaging/screenshot_inside.py --out docs
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, step_through, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs", help="folder for the PNG files")
    parser.add_argument("--epochs", type=int, default=2, help="epochs of the small CNN")
    parser.add_argument("--cnn", help="open this checkpoint instead of training the CNN")
    parser.add_argument("--mlp", help="open this checkpoint instead of training the MLP")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT (logical pixels)")
    parser.add_argument("--screen", default=SCREEN, help="the virtual screen when there is no display, WxHxDEPTH")
    parser.add_argument("--window", action="store_true", help="also grab the whole window at each step (to check the layout)")
    parser.add_argument("--no-tsne", action="store_true", help="skip the t-SNE picture (a minute or two on a CPU)")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(args.screen)
    use_throwaway_settings_and_runs()
    return take_screenshots(args)


def take_screenshots(args: argparse.Namespace) -> int:
    import numpy as np
    from PySide6.QtCore import QPoint, QPointF, QRect, QRectF, QTimer

    from fmnist_gui.config import preset
    from fmnist_gui.engine.projection import METHODS

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app, window = open_window(args.size, args.data_dir)
    projector, layers = window.inside_views.projector, window.inside_views.layers
    outcome: dict[str, object] = {"timings": []}
    steps: list = []
    clock = {"start": 0.0}

    def start() -> None:
        if window.data_source.data is None:
            if not window.busy:
                outcome["error"] = "no data: " + window.data_banner.text()
                app.quit()
            return
        poll.stop()
        if args.cnn:
            window.files.open_path(args.cnn)
            next_step()
        else:
            train(preset("default").replace(epochs=args.epochs))

    def train(config) -> None:  # noqa: ANN001 - a TrainConfig
        window.document.unsaved = False  # a screenshot run: nothing to keep, so nothing to ask
        window.controls.set_config(config)
        window.controls.train_button.click()

    next_step = step_through(app, window, steps, pause_ms=300, ready=lambda: not window.session.active)

    def shoot(name: str, widget) -> None:  # noqa: ANN001 - a QWidget
        widget.grab().save(str(out / name))
        if args.window:
            window.grab().save(str(out / f"window-{name}"))

    def show(key: str) -> None:
        window.docks[key].raise_()

    def timed(label: str, action) -> None:  # noqa: ANN001 - a callable
        clock["start"], clock["label"] = time.perf_counter(), label
        action()

    def lap() -> None:
        outcome["timings"].append(f"{clock['label']}: {time.perf_counter() - clock['start']:.1f} s (with the GUI waiting on it)")

    def choose_method(key: str) -> None:
        projector.method.setCurrentIndex(projector.method.findData(key))

    def inspect_a_mistake() -> None:
        test = window.predictions.test
        wrong = np.flatnonzero(test.predictions != test.labels)
        window.analysis.inspect("test", wrong[:20], 0)

    def select_middle() -> None:
        """A rectangle around the densest place where shirts, T-shirts and pullovers meet."""
        coordinates, labels = projector.coordinates, window.predictions.test.labels
        shirts = coordinates[labels == 6]
        centre = np.median(shirts, axis=0)
        spread = coordinates.std(axis=0) * 0.2
        projector.view_box.band.setRect(QRectF(*(centre - spread), *(2 * spread)))
        projector.view_box.band.show()
        projector.select_rectangle(projector.view_box.band.rect())

    def hover_a_point() -> None:
        """Hover the first mistake's point, as the pointer would."""
        test = window.predictions.test
        index = int(np.flatnonzero(projector.predicted != test.labels)[0])
        projector._on_mouse_moved(projector.view_box.mapViewToScene(QPointF(*projector.coordinates[index])))

    def layers_top(name: str) -> None:
        """The first layer's caption and mosaic only."""
        bottom = layers.filters.mapTo(window.docks["layers"], QPoint(0, layers.filters.height()))
        dock = window.docks["layers"]
        dock.grab(QRect(0, 0, dock.width(), bottom.y() + 3)).save(str(out / name))

    def second_model() -> None:
        if args.mlp:
            window.files.open_path(args.mlp)
        else:
            # AdamW with weight decay: after two epochs the first layer's pictures show garment edges,
            # where the tutorial's plain SGD still shows its random start.
            train(preset("quickstart").replace(optimizer="adamw", lr=1e-3, weight_decay=0.05, batch_size=128, epochs=2))

    steps += [
        lambda: timed("PCA picture (features of 10,000 images + PCA)", lambda: show("projector")),
        lap,
        hover_a_point,
        select_middle,
        lambda: shoot("view-projector-pca.png", window.docks["projector"]),
    ]
    if METHODS["tsne"].available and not args.no_tsne:
        steps += [
            lambda: timed("t-SNE picture (10,000 points)", lambda: choose_method("tsne")),
            lap,
            hover_a_point,
            select_middle,
            lambda: shoot("view-projector-tsne.png", window.docks["projector"]),
            lambda: choose_method("pca"),
        ]
    steps += [
        inspect_a_mistake,
        lambda: show("layers"),
        lambda: layers_top("view-filters.png"),
        lambda: shoot("view-feature-maps.png", window.docks["layers"]),
        second_model,
        inspect_a_mistake,
        lambda: show("layers"),
        lambda: shoot("view-mlp-weights.png", window.docks["layers"]),
    ]
    def finished(result: object) -> None:
        outcome.setdefault("results", []).append(result)
        if len(outcome["results"]) == 1 and not args.cnn:  # the first run starts the steps; they wait out the second
            next_step()

    window.session.run_finished.connect(finished)
    poll = QTimer()
    poll.timeout.connect(start)
    poll.start(200)
    app.exec()
    window.shutdown()
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return 1
    for line in (*outcome.get("results", []), *outcome["timings"]):
        print(line)
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('*.png')))} in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

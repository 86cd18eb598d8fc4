"""How fast the data map redraws with 60,000 points: filling it, then panning and zooming.

Builds the view offscreen on made-up dynamics of 60,000 images and 10 epochs, then times
`setRange` + a full repaint (`grab`) frame by frame. Prints the median and worst milliseconds
per frame; a smooth pan wants well under 16 ms.

    QT_QPA_PLATFORM=offscreen python packaging/datamap_speed.py [--frames 50] [--size 900x700]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread  # noqa: E402

from fmnist_gui.data import CLASS_NAMES  # noqa: E402
from fmnist_gui.dynamics import TrainingDynamics, summarize  # noqa: E402
from fmnist_gui.qt.state.dynamics_model import DynamicsModel  # noqa: E402
from fmnist_gui.qt.state.predictions import Predictions  # noqa: E402
from fmnist_gui.qt.views.data_map import DataMapView  # noqa: E402


def made_up_dynamics(count: int, epochs: int, seed: int = 0) -> tuple[TrainingDynamics, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    difficulty = rng.beta(0.6, 0.25, count)
    spread = rng.random(count) * 0.35
    probability = np.clip(difficulty[None, :] + rng.normal(0, 1, (epochs, count)) * spread, 0, 1).astype(np.float16)
    predicted = np.where(probability > 0.5, labels[None, :], (labels[None, :] + 1) % 10).astype(np.uint8)
    dynamics = TrainingDynamics(labels, np.zeros(10, np.uint8), np.arange(1, epochs + 1), probability, predicted,
                                np.zeros((epochs, 10), np.float16), np.zeros((epochs, 10), np.uint8))
    return dynamics, rng.integers(0, 255, (count, 28, 28), dtype=np.uint8)


def timed(action) -> float:  # noqa: ANN001 - a callable
    start = time.perf_counter()
    action()
    return 1000 * (time.perf_counter() - start)


def report(name: str, times: list[float]) -> None:
    print(f"{name:<34} median {statistics.median(times):6.1f} ms   worst {max(times):6.1f} ms   ({len(times)} frames)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--points", type=int, default=60_000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--size", default="900x700")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.split("x"))
    app = QApplication.instance() or QApplication([])

    dynamics, images = made_up_dynamics(args.points, args.epochs)
    predictions = Predictions(CLASS_NAMES)
    predictions.set_data(np.zeros((10, 28, 28), np.uint8), np.zeros(10, np.int64), images, dynamics.train_labels.astype(np.int64))
    model = DynamicsModel()
    view = DataMapView(predictions, model)
    view.resize(width, height)
    view.show()
    app.processEvents()
    collect_garbage_in_gui_thread(app).freeze_startup()  # as the app does once its window is up

    summary_ms = timed(lambda: summarize(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels))
    summary = summarize(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels)
    fill_ms = timed(lambda: model.set_dynamics(dynamics, summary, "made-up run"))
    first_paint_ms = timed(lambda: view.plot_widget.grab())
    print(f"{args.points:,} points, {args.epochs} epochs, view {width}x{height}, platform {app.platformName()}")
    print(f"summarize (inference lane, not the GUI thread)  {summary_ms:6.1f} ms")
    print(f"set_dynamics: bins filled (GUI thread)          {fill_ms:6.1f} ms")
    print(f"first paint                                     {first_paint_ms:6.1f} ms")

    box = view.view_box
    pans, zooms, hovers = [], [], []
    full_collections = []  # a full garbage collection of the process (torch is loaded) shows as one slow frame
    gc.callbacks.append(lambda phase, info: phase == "stop" and info["generation"] == 2 and full_collections.append(1))
    for frame in range(args.frames):  # pan across the map at the full zoom
        shift = 0.1 * np.sin(frame / 6)
        pans.append(timed(lambda: (box.setRange(xRange=(shift, shift + 0.4), yRange=(0, 1), padding=0), view.plot_widget.grab())))
    for frame in range(args.frames):  # zoom in towards the hard-to-learn corner and out again
        scale = 0.05 + 0.95 * abs(np.cos(frame / 8))
        zooms.append(timed(lambda: (box.setRange(xRange=(0, 0.4 * scale), yRange=(0, scale), padding=0), view.plot_widget.grab())))
    box.setRange(xRange=(0, 0.4), yRange=(0, 1), padding=0)
    rng = np.random.default_rng(1)
    for _ in range(args.frames):
        x, y = rng.random() * 0.4, rng.random()
        hovers.append(timed(lambda: view.hover_at(x, y)))
    report("pan: setRange + repaint", pans)
    report("zoom: setRange + repaint", zooms)
    report("hover: nearest point + card", hovers)
    print(f"full garbage collections during the frames: {len(full_collections)} (each makes one frame slow)")


if __name__ == "__main__":
    main()

"""Screenshots of the presenter: test images, a drawing and a camera frame, at 1280x720 and 1920x1080, dark and light,
and two models side by side. Real models on the real data: trained first with `fmnist-gui train` unless given.

    python packaging/screenshot_presenter.py --out docs [--a A.pt --b B.pt]

The camera frame is synthetic: a test image's item grown onto a light, noisy table, as a webcam would
see a shoe held up to it. Without a display it starts itself again under xvfb-run.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from camera_speed import synthetic_frames
from virtual_screen import needs_virtual_screen, rerun_under_xvfb, use_throwaway_settings_and_runs

SCREEN = "1920x1080x24"
SIZES = ((1280, 720), (1920, 1080))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--a", help="model A (default: the default preset, trained 2 epochs now)")
    parser.add_argument("--b", help="model B (default: the quickstart MLP with AdamW, trained 2 epochs now)")
    return parser.parse_args()


def trained(path: str | None, name: str, options: list[str]) -> str:
    if path:
        return path
    out = str(Path(tempfile.mkdtemp(prefix="fmnist-gui-shot-")) / f"{name}.pt")
    subprocess.run([sys.executable, "-m", "fmnist_gui", "train", *options, "--out", out, "--no-record"], check=True,
                   stdout=subprocess.DEVNULL)
    return out


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    use_throwaway_settings_and_runs()
    a = trained(args.a, "small-cnn", ["--preset", "default", "--epochs", "2"])
    b = trained(args.b, "quickstart-mlp", ["--preset", "quickstart", "--optimizer", "adamw", "--epochs", "2"])
    return take(args, a, b)


def take(args: argparse.Namespace, path_a: str, path_b: str) -> int:
    import time

    import numpy as np
    from PySide6.QtCore import QPointF
    from PySide6.QtMultimedia import QVideoFrame

    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.data import CLASS_NAMES, load_fashion_mnist
    from fmnist_gui.qt.background.camera import CameraFeed
    from fmnist_gui.qt.background.inference import InferenceWorker
    from fmnist_gui.qt.background.tasks import BackgroundWork
    from fmnist_gui.qt.controllers.presenter import LabelledImages, PresenterController
    from fmnist_gui.qt.shell.app import create_app

    app = create_app()
    data = load_fashion_mnist()
    test = LabelledImages(data.test_images.numpy(), data.test_labels.numpy())
    models = [load_checkpoint(path_a), load_checkpoint(path_b)]
    names = [f"{Path(path_a).name} ({models[0].config.model})", f"{Path(path_b).name} ({models[1].config.model})"]
    work = BackgroundWork()
    inference = InferenceWorker(work)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    frame = synthetic_frames(1)[0]

    def settle(presenter: PresenterController, seconds: float = 0.8) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end or presenter.view.bars.moving or inference.busy:
            app.processEvents()
            time.sleep(0.01)

    def open_presenter(count: int, size: tuple[int, int], theme: str) -> PresenterController:
        feed = CameraFeed()
        feed._inputs = lambda: []  # type: ignore[method-assign]  # the synthetic frame stands in for a camera
        presenter = PresenterController(models=models[:count], names=names[:count], inference=inference, test=test,
                                        class_names=CLASS_NAMES, camera=feed, last_folder=lambda: "")
        presenter.view.set_theme(theme)
        presenter.view.resize(*size)
        presenter.view.show()
        presenter._predict_test_set()
        presenter.set_mode("test")
        while any(answer is None for answer in presenter._test_answers):
            app.processEvents()
            time.sleep(0.01)
        presenter.set_mode("test")
        return presenter

    shots = []
    for size in SIZES:
        for theme in ("dark", "light"):
            presenter = open_presenter(1, size, theme)
            view = presenter.view
            presenter._jump_to_class(7)  # a sneaker
            settle(presenter)
            shots.append(save(view, out / f"presenter-test-{theme}-{size[1]}.png"))
            presenter.set_mode("draw")
            draw_trousers(view.canvas, QPointF)
            settle(presenter, 1.0)
            shots.append(save(view, out / f"presenter-draw-{theme}-{size[1]}.png"))
            presenter.set_mode("camera")
            view.message.hide()  # "no camera": true here, where the frame below stands in for one
            presenter.camera.sink.setVideoFrame(QVideoFrame(frame))  # type: ignore[union-attr]
            settle(presenter, 1.0)
            shots.append(save(view, out / f"presenter-camera-{theme}-{size[1]}.png"))
            presenter.leave()
    for size, theme in ((SIZES[0], "dark"), (SIZES[1], "light")):
        presenter = open_presenter(2, size, theme)
        presenter._on_mistakes_toggled(True)  # an image they disagree on
        settle(presenter)
        shots.append(save(presenter.view, out / f"presenter-two-models-{theme}-{size[1]}.png"))
        presenter.leave()
    work.shutdown()
    print("\n".join(str(shot) for shot in shots))
    return 0


def draw_trousers(canvas, point):  # noqa: ANN001 - a DrawCanvas and QPointF
    """Two legs and a waistband, as a visitor draws trousers with a mouse."""
    for start, end in (((90, 40), (190, 40)), ((95, 45), (80, 245)), ((185, 45), (200, 245)), ((140, 60), (130, 240)),
                       ((140, 60), (150, 240))):
        canvas.draw_line(point(*start), point(*end))


def save(view, path: Path) -> Path:  # noqa: ANN001 - a QWidget
    view.grab().save(str(path))
    return path


if __name__ == "__main__":
    sys.exit(main())

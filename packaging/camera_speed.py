"""How fast the presenter answers a camera, and how long its event loop is ever blocked meanwhile.

Runs the presenter on a virtual screen in camera mode with a frame source standing in for a
camera: 640x480 frames at 30 a second, pushed into the camera's video sink as a real camera's
are. A 5 ms timer in the GUI thread records the gaps between its ticks. Prints the answers a
second and the longest gap and the 99th percentile, for the model given (default: the default
preset's small CNN, untrained: the speed does not depend on the weights). A timing: run it on a
quiet machine. Without a display it starts itself again under xvfb-run.

    python packaging/camera_speed.py [--seconds 20] [--model small-cnn] [--checkpoint FILE] [--size 1280x720]
"""

from __future__ import annotations

import argparse
import sys
import time

from virtual_screen import needs_virtual_screen, rerun_under_xvfb, use_throwaway_settings_and_runs

SCREEN = "1920x1080x24"
FRAME_MS = 33  # about 30 frames a second, as a webcam delivers
TICK_MS = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--model", default="small-cnn", help="a fresh model of this architecture, unless --checkpoint")
    parser.add_argument("--checkpoint", help="a checkpoint file to present instead")
    parser.add_argument("--size", default="1280x720", help="the presenter's size, WIDTHxHEIGHT")
    return parser.parse_args()


def synthetic_frames(count: int = 8):  # noqa: ANN201 - Qt types load late
    """Camera-like frames: a test image's item, grown to fill the guide, dark on a light table, with noise."""
    import numpy as np
    from PySide6.QtGui import QImage

    from fmnist_gui.data import load_fashion_mnist

    rng = np.random.default_rng(0)
    test = load_fashion_mnist().test_images.numpy()
    frames = []
    for index in range(count):
        item = np.kron(255 - test[index].astype(np.int16), np.ones((12, 12), dtype=np.int16))  # 336 x 336
        frame = np.full((480, 640), 215, dtype=np.int16) + rng.normal(0, 6, (480, 640)).astype(np.int16)
        frame[72:408, 152:488] = np.minimum(frame[72:408, 152:488], item + 20)
        gray = np.clip(frame, 0, 255).astype(np.uint8)
        frames.append(QImage(gray.data, 640, 480, 640, QImage.Format.Format_Grayscale8).copy())
    return frames


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    use_throwaway_settings_and_runs()
    import numpy as np
    from PySide6.QtCore import QTimer
    from PySide6.QtMultimedia import QVideoFrame

    from fmnist_gui.checkpoint import Checkpoint, load_checkpoint
    from fmnist_gui.config import TrainConfig
    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.models import get_model_spec
    from fmnist_gui.qt.background.camera import CameraFeed
    from fmnist_gui.qt.background.inference import InferenceWorker
    from fmnist_gui.qt.background.tasks import BackgroundWork
    from fmnist_gui.qt.controllers.presenter import PresenterController
    from fmnist_gui.qt.shell.app import create_app

    app = create_app()
    if args.checkpoint:
        model = load_checkpoint(args.checkpoint)
    else:
        model = Checkpoint(TrainConfig(model=args.model), get_model_spec(args.model).build().state_dict())
    work = BackgroundWork()
    feed = CameraFeed()
    feed._inputs = lambda: []  # type: ignore[method-assign]  # no camera: the frames below stand in for one
    presenter = PresenterController(models=[model], names=[model.config.model], inference=InferenceWorker(work),
                                    test=None, class_names=CLASS_NAMES, camera=feed, last_folder=lambda: "")
    width, height = (int(v) for v in args.size.split("x"))
    presenter.view.resize(width, height)
    presenter.view.show()
    presenter.set_mode("camera")
    frames = synthetic_frames()
    answers, gaps = [0], []
    original = presenter._show_answers

    def counted(result):  # noqa: ANN001, ANN202
        answers[0] += 1
        original(result)

    presenter._show_answers = counted  # type: ignore[method-assign]
    pushed = [0]

    def push() -> None:
        feed.sink.setVideoFrame(QVideoFrame(frames[(pushed[0] // 30) % len(frames)]))  # a new item each second
        pushed[0] += 1

    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(1000 * (now - last[0]))
        last[0] = now

    source, ticker = QTimer(), QTimer()
    source.timeout.connect(push)
    ticker.timeout.connect(tick)
    warm = 2.0  # the first answers build the model: not counted
    state = {"start": 0.0}

    def begin() -> None:
        answers[0] = 0
        gaps.clear()
        last[0] = time.perf_counter()
        state["start"] = time.perf_counter()
        QTimer.singleShot(int(1000 * args.seconds), app.quit)

    source.start(FRAME_MS)
    ticker.start(TICK_MS)
    QTimer.singleShot(int(1000 * warm), begin)
    app.exec()
    elapsed = time.perf_counter() - state["start"]
    source.stop()
    ticker.stop()
    work.shutdown()
    overshoot = np.array(gaps) - TICK_MS
    print(f"{model.config.model}: {answers[0] / elapsed:.1f} answers a second from {pushed[0] / (elapsed + warm):.0f} "
          f"frames a second over {elapsed:.0f} s; event loop: longest gap {max(gaps):.1f} ms, 99th percentile "
          f"{np.percentile(gaps, 99):.1f} ms, {int((overshoot > 50).sum())} gaps over 50 ms beyond the 5 ms tick")
    return 0


if __name__ == "__main__":
    sys.exit(main())

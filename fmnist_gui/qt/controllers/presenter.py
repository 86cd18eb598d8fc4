"""The presenter's controller: which input is on screen, and one or two models' answers to it.

Test images are answered at once from each model's predictions on the whole test set (computed
once, in the background, when the presenter opens); a drawing, a picture or a camera frame is
fitted to 28x28 and answered on the inference worker, newest wins. Camera frames are sent one at
a time: the next goes once the last is answered, so nothing queues however fast the camera is.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage, QScreen

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.imaging import camera_input, read_grayscale
from fmnist_gui.qt.background.inference import Classified, InferenceWorker
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.views.presenter import ModelLabel, PresenterView
from fmnist_gui.qt.views.widgets import qimage_to_gray

if TYPE_CHECKING:
    from fmnist_gui.qt.background.camera import CameraFeed

PLAY_MS = 3000  # a test image stays this long when the carousel plays
TEST_KEY, PICTURE_KEY, CAMERA_KEY = "present-test", "present-picture", "present-camera"


@dataclass(frozen=True)
class LabelledImages:
    """The test images and labels the carousel shows."""

    images: np.ndarray  # (N, 28, 28) uint8
    labels: np.ndarray  # (N,) int64


class PresenterController(QObject):
    """Opens the presenter for `models` (one, or two to compare) and answers every input it shows."""

    left = Signal()  # the presenter was closed (Esc)

    def __init__(self, *, models: list[Checkpoint], names: list[str], inference: InferenceWorker, test: LabelledImages | None,
                 class_names: tuple[str, ...], camera: CameraFeed | None, last_folder: Callable[[], str],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.models, self.inference, self.test, self.camera = models, inference, test, camera
        self._last_folder = last_folder
        self.names = names
        self.view = PresenterView(class_names, comparing=len(models) == 2)
        self.view.set_models([ModelLabel(name, _detail(model)) for name, model in zip(names, models)])
        self._test_answers: list[np.ndarray | None] = [None] * len(models)  # each model's (N, 10) on the test set
        self._order = np.arange(0) if test is None else np.random.default_rng(0).permutation(len(test.labels))
        self._position = 0
        self._mistakes_only = False
        self._frame_in_flight = False
        self._waiting_frame: QImage | None = None
        self._frozen = False
        self._play = QTimer(self)
        self._play.setInterval(PLAY_MS)
        self._play.timeout.connect(lambda: self._step(1))
        self._connect()

    def _connect(self) -> None:
        view = self.view
        view.leave_requested.connect(self.leave)
        view.mode_requested.connect(self.set_mode)
        view.step_requested.connect(self._step)
        view.class_requested.connect(self._jump_to_class)
        view.mistakes_toggled.connect(self._on_mistakes_toggled)
        view.playing_toggled.connect(lambda playing: self._play.start() if playing else self._play.stop())
        view.drawing_settled.connect(lambda gray: self._classify(PICTURE_KEY, lambda: gray, "Your drawing"))
        view.picture_requested.connect(self._choose_picture)
        view.picture_pasted.connect(lambda gray: self._show_picture(lambda: gray, "A pasted picture"))
        view.picture_dropped.connect(self._open_picture)
        view.freeze_toggled.connect(self._on_frozen)
        view.camera_chosen.connect(self._choose_camera)
        if self.camera is not None:
            self.camera.frame_arrived.connect(self._on_frame)
            self.camera.failed.connect(lambda message: view.show_message(message, lasting=True))
            self.camera.devices_changed.connect(lambda names: view.set_cameras(names, self.camera.current if self.camera else 0))

    # Opening and leaving
    def present(self, screen: QScreen | None = None) -> None:
        """Full screen on `screen` (the main window's), on the test images."""
        if screen is not None:
            self.view.setScreen(screen)
            self.view.setGeometry(screen.geometry())
        self.view.showFullScreen()
        self.view.activateWindow()
        self.view.setFocus()
        self._predict_test_set()
        self.set_mode("test")

    def leave(self) -> None:
        self._play.stop()
        if self.camera is not None:
            self.camera.stop()
        for key in (TEST_KEY, PICTURE_KEY, CAMERA_KEY):
            self.inference.cancel(key)
        self.view.close()
        self.left.emit()

    def set_mode(self, mode: str) -> None:
        if mode != "test":
            self._play.stop()
        if self.camera is not None and mode != "camera":
            self.camera.stop()
        self.view.set_mode(mode)
        if mode == "test":
            self._show_test_image()
        elif mode == "camera":
            self._start_camera()

    # Test images
    def _predict_test_set(self) -> None:
        if self.test is None:
            self.view.show_message("The test images are not loaded; Draw, Camera and Picture still work.", lasting=True)
            return
        for index, model in enumerate(self.models):
            self.inference.predict(f"{TEST_KEY}-{index}", model, self.test.images, partial(self._on_test_answers, index),
                                   self._on_failed)

    def _on_failed(self, message: str, details: str) -> None:
        self.view.show_message(message, lasting=True)

    def _on_test_answers(self, index: int, answers: np.ndarray) -> None:
        self._test_answers[index] = answers
        self.view.set_models([ModelLabel(name, _detail(model, self._test_answers[i], self.test))
                              for i, (name, model) in enumerate(zip(self.names, self.models))])
        if self.view.mode == "test":
            self._show_test_image()

    def _shown_order(self) -> np.ndarray:
        """The carousel's order: every test image, or those a model gets wrong (two models: those they disagree on)."""
        if not self._mistakes_only or self.test is None or any(a is None for a in self._test_answers):
            return self._order
        predicted = [np.argmax(a, axis=1)[self._order] for a in self._test_answers if a is not None]
        if len(predicted) == 2:
            keep = predicted[0] != predicted[1]
        else:
            keep = predicted[0] != self.test.labels[self._order]
        return self._order[keep]

    def _show_test_image(self) -> None:
        if self.test is None:
            return
        order = self._shown_order()
        if len(order) == 0:
            self.view.show_message("No test image fits: the models agree on every one." if len(self.models) == 2
                                   else "No test image fits: the model gets every one right.", lasting=True)
            return
        self._position %= len(order)
        index = int(order[self._position])
        label = int(self.test.labels[index])
        what = (" (they disagree)" if len(self.models) == 2 else " (only mistakes)") if self._mistakes_only else ""
        self.view.show_test_image(self.test.images[index], label,
                                  f"Test image {index + 1:,} · {self._position + 1:,} of {len(order):,}{what} · "
                                  f"labelled {self.view.class_names[label]}")
        for model, answers in enumerate(self._test_answers):
            if answers is not None:
                self.view.show_answer(model, answers[index])

    def _step(self, delta: int) -> None:
        if self.view.mode == "test":
            self._position += delta
            self._show_test_image()

    def _jump_to_class(self, label: int) -> None:
        """The next test image of class `label` after the one on screen."""
        if self.test is None or label >= len(self.view.class_names):
            return
        order = self._shown_order()
        shifted = np.roll(order, -(self._position + 1))
        matches = np.flatnonzero(self.test.labels[shifted] == label)
        if len(matches):
            self._position = (self._position + 1 + int(matches[0])) % len(order)
            self._show_test_image()
        else:
            self.view.show_message(f"No {self.view.class_names[label]} among these test images.")

    def _on_mistakes_toggled(self, only: bool) -> None:
        current = int(self._shown_order()[self._position % max(1, len(self._shown_order()))]) if self.test is not None else 0
        self._mistakes_only = only
        order = self._shown_order()
        after = np.flatnonzero(order >= current)  # stay near the image on screen
        self._position = int(after[0]) if len(after) else 0
        self._show_test_image()

    # Pictures and drawings
    def _choose_picture(self) -> None:
        path = dialogs.open_image_path(self.view, self._last_folder())
        if path:
            self._open_picture(path)

    def _open_picture(self, path: str) -> None:
        self.set_mode("picture")
        self._show_picture(lambda: read_grayscale(path), path.rsplit("/", 1)[-1])

    def _show_picture(self, load: Callable[[], np.ndarray], caption: str) -> None:
        if self.view.mode != "picture":
            self.set_mode("picture")
        holder: dict[str, np.ndarray] = {}

        def loaded() -> np.ndarray:
            holder["gray"] = load()
            return holder["gray"]

        def shown(result: Classified) -> None:
            self.view.show_picture(holder["gray"], result.model_input, caption)
            self._show_answers(result)

        self._classify(PICTURE_KEY, loaded, caption, shown)

    def _classify(self, key: str, load: Callable[[], np.ndarray], caption: str,
                  shown: Callable[[Classified], None] | None = None, fit: Callable[[np.ndarray], np.ndarray] | None = None,
                  ) -> None:
        def answered(result: Classified) -> None:
            if shown is not None:
                shown(result)
            else:
                self.view.show_model_input(result.model_input)
                self._show_answers(result)

        extra = {} if fit is None else {"fit": fit}
        self.inference.classify(key, self.models, load, answered,
                                lambda message, details: self.view.show_message(f"{caption}: {message}"), **extra)

    def _show_answers(self, result: Classified) -> None:
        for model, probabilities in enumerate(result.probabilities):
            self.view.show_answer(model, probabilities)

    # The camera
    def _start_camera(self) -> None:
        if self.camera is None:
            self.view.show_message("The camera needs Qt Multimedia: pip install 'fmnist-gui[camera]'. "
                                   "Test images, Draw and Picture work without it.", lasting=True)
            return
        self.view.set_cameras(self.camera.devices(), self.camera.current)
        self.camera.start(self.camera.current)

    def _choose_camera(self, index: int) -> None:
        if self.camera is not None:
            self.camera.start(index)
            self.view.set_cameras(self.camera.devices(), index)

    def _on_frozen(self, frozen: bool) -> None:
        self._frozen = frozen

    def _on_frame(self, frame: QImage) -> None:
        if self._frozen or self.view.mode != "camera":
            return
        self.view.show_camera_frame(frame)
        if self._frame_in_flight:
            self._waiting_frame = frame  # the newest one goes next; older ones are never asked about
            return
        self._send_frame(frame)

    def _send_frame(self, frame: QImage) -> None:
        self._frame_in_flight = True
        picture = frame.copy()  # the worker reads its own copy while the camera fills new frames

        def answered(result: Classified) -> None:
            self.view.show_model_input(result.model_input)
            self._show_answers(result)
            self._next_frame()

        def failed(message: str, details: str) -> None:
            self.view.show_message(message)
            self._next_frame()

        self.inference.classify(CAMERA_KEY, self.models, lambda: qimage_to_gray(picture), answered, failed,
                                fit=camera_input)

    def _next_frame(self) -> None:
        self._frame_in_flight = False
        frame, self._waiting_frame = self._waiting_frame, None
        if frame is not None and not self._frozen and self.view.mode == "camera":
            self._send_frame(frame)


def _detail(model: Checkpoint, answers: np.ndarray | None = None, test: LabelledImages | None = None) -> str:
    """ "epoch 3 · 91.43% on the test set": measured now when the test set was predicted, else as the file says."""
    parts = [f"epoch {model.epoch}" if model.history or model.epoch else model.origin.replace("-", " ")]
    if answers is not None and test is not None and len(test.labels):
        accuracy = 100.0 * float(np.mean(np.argmax(answers, axis=1) == test.labels))
        parts.append(f"{accuracy:.2f}% test accuracy")
    elif model.history:
        parts.append(f"{model.history[-1].test_accuracy:.2f}% test accuracy")
    return " · ".join(parts)

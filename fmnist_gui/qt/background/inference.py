"""Everything the app asks of a model outside training, served by one long-lived worker.

Test-set evaluation, training-set predictions, single images (probabilities and saliency), a
look inside the layers and picture decoding all run on the "inference" lane of the
background-work layer; a projection's 2-D layout, which needs no model, on a lane of its own.
Each caller names a key; a newer request of a key replaces an older one (newest wins). The model built
from a checkpoint is cached in the worker thread, so a drawing classified as it is drawn
costs one forward pass, not a model build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from PySide6.QtCore import QObject, Signal
from torch import nn

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.engine.evaluation import Evaluation, evaluate, predict_probabilities
from fmnist_gui.engine.features import Cancel, Features, penultimate_features
from fmnist_gui.engine.layers import LayerPictures, layer_pictures
from fmnist_gui.engine.projection import Projection, project_2d
from fmnist_gui.engine.saliency import Explanation, explain
from fmnist_gui.imaging import read_grayscale, to_fashion_mnist
from fmnist_gui.qt.background.tasks import BackgroundWork, Done, Failed

LANE = "inference"
PROJECTION_LANE = "projection"  # the 2-D layout needs no model: a slow t-SNE must not hold up the inference lane
Progress = Callable[[str, float], None]  # stage ("features" or "layout"), fraction done; in the GUI thread


class _ProgressRelay(QObject):
    """Carries a job's progress from its thread to the GUI thread, dropping a superseded request's."""

    reported = Signal(object, str, int, str, float)  # callback, key, request number, stage, fraction

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.requests: dict[str, int] = {}  # the newest request number of each key; written in the GUI thread
        self.reported.connect(self._on_reported)

    def is_current(self, key: str, number: int) -> bool:
        return self.requests.get(key) == number

    def _on_reported(self, callback: Progress, key: str, number: int, stage: str, fraction: float) -> None:
        if self.is_current(key, number):
            callback(stage, fraction)


class InferenceWorker:
    """Submits model work to the inference lane; callbacks run in the GUI thread."""

    def __init__(self, work: BackgroundWork) -> None:
        self._lane = work.lane(LANE)
        self._cached: tuple[Checkpoint, nn.Module] | None = None  # touched only in the lane's thread
        self._layout_lane = work.lane(PROJECTION_LANE)
        self._progress = _ProgressRelay(work)
        self._features: tuple[Checkpoint, np.ndarray, Features] | None = None  # the last ones, for another method
        work.on_shutdown(self._stop_projections)  # a t-SNE halfway through must not hold up quitting

    @property
    def busy(self) -> bool:
        return self._lane.busy

    def evaluate(self, checkpoint: Checkpoint, images: np.ndarray, labels: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """Loss, accuracy, confusion and probabilities of `checkpoint` on a labelled set."""

        def work() -> Evaluation:
            model = self._model(checkpoint)
            return evaluate(model, torch.from_numpy(images), torch.from_numpy(labels), checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit("evaluate", work, on_done, on_failed)

    def predict(self, key: str, checkpoint: Checkpoint, images: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """(N, 10) float32 probabilities for uint8 images."""

        def work() -> np.ndarray:
            model = self._model(checkpoint)
            return predict_probabilities(model, torch.from_numpy(images), checkpoint.spec.mean, checkpoint.spec.std).numpy()

        self._lane.submit(key, work, on_done, on_failed)

    def explain(self, key: str, checkpoint: Checkpoint, image: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """Probabilities and a saliency map for one (28, 28) uint8 image."""
        image = np.array(image, dtype=np.uint8, copy=True)

        def work() -> Explanation:
            return explain(self._model(checkpoint), image, checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit(key, work, on_done, on_failed)

    def prepare_picture(self, key: str, load: Callable[[], np.ndarray], on_done: Done, on_failed: Failed) -> None:
        """Decode a picture (`load` returns it as grayscale) and fit it to 28x28: (gray, model input)."""

        def work() -> tuple[np.ndarray, np.ndarray]:
            gray = load()
            return gray, to_fashion_mnist(gray)

        self._lane.submit(key, work, on_done, on_failed)

    def prepare_picture_file(self, key: str, path: str, on_done: Done, on_failed: Failed) -> None:
        self.prepare_picture(key, lambda: read_grayscale(path), on_done, on_failed)

    def run(self, key: str, function: Callable[[], Any], on_done: Done, on_failed: Failed) -> None:
        """Any other short job (loading the data set) on the same worker."""
        self._lane.submit(key, function, on_done, on_failed)

    def project(self, key: str, checkpoint: Checkpoint, images: np.ndarray, method: str, progress: Progress,
                on_done: Done, on_failed: Failed) -> None:
        """The penultimate-layer features of `images` laid out in 2-D by `method`: a Projection.

        Newest wins: a newer request of `key` (or `cancel(key)`) stops an older one between
        batches or t-SNE iterations. The features of the last model are kept, so choosing
        another method for the same model skips straight to the layout.
        """
        number = self._progress.requests.get(key, 0) + 1
        self._progress.requests[key] = number

        def stale() -> bool:
            return not self._progress.is_current(key, number)

        def report(stage: str) -> Callable[[float], None]:
            shown = [-1]

            def tell(fraction: float) -> None:
                percent = int(100 * fraction)
                if percent != shown[0]:  # at most a hundred signals a stage
                    shown[0] = percent
                    self._progress.reported.emit(progress, key, number, stage, fraction)
            return tell

        def lay_out(features: Features | None) -> None:
            if features is None or stale():
                return  # cancelled in the worker thread: nothing to show
            self._features = (checkpoint, images, features)

            def layout() -> Projection | None:
                try:
                    coordinates = project_2d(method, features.values, report("layout"), stale)
                except Cancel:
                    return None
                return Projection(method, coordinates, features.predicted)

            self._layout_lane.submit(key, layout, lambda result: result is None or stale() or on_done(result), on_failed)

        known = self._features
        if known is not None and known[0] is checkpoint and known[1] is images:
            lay_out(known[2])
            return

        def extract() -> Features | None:
            try:
                return penultimate_features(self._model(checkpoint), images, checkpoint.spec.mean, checkpoint.spec.std,
                                            report("features"), stale)
            except Cancel:
                return None

        self._lane.submit(f"{key}-features", extract, lay_out, on_failed)

    def layers(self, key: str, checkpoint: Checkpoint, image: np.ndarray | None, on_done: Done, on_failed: Failed) -> None:
        """The first layer's weights and, for an image, every layer's activations: LayerPictures."""
        image = None if image is None else np.array(image, dtype=np.uint8, copy=True)

        def work() -> LayerPictures:
            return layer_pictures(self._model(checkpoint), image, checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit(key, work, on_done, on_failed)

    def cancel(self, key: str) -> None:
        self._lane.cancel(key)
        if key in self._progress.requests:  # a projection: stop it where it is, on either lane
            self._progress.requests[key] += 1
            self._lane.cancel(f"{key}-features")
            self._layout_lane.cancel(key)

    def _stop_projections(self) -> None:
        for key in self._progress.requests:
            self._progress.requests[key] += 1

    def _model(self, checkpoint: Checkpoint) -> nn.Module:
        if self._cached is None or self._cached[0] is not checkpoint:
            self._cached = (checkpoint, checkpoint.build_model("cpu").eval())
        return self._cached[1]

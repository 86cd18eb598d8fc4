"""Everything the app asks of a model outside training, served by one long-lived worker.

Test-set evaluation, training-set predictions, single images (probabilities and saliency) and
picture decoding all run on the "inference" lane of the background-work layer. Each caller
names a key; a newer request of a key replaces an older one (newest wins). The model built
from a checkpoint is cached in the worker thread, so a drawing classified as it is drawn
costs one forward pass, not a model build.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.engine.evaluation import Evaluation, evaluate, predict_probabilities
from fmnist_gui.engine.saliency import Explanation, explain
from fmnist_gui.imaging import read_grayscale, to_fashion_mnist
from fmnist_gui.qt.tasks import BackgroundWork, Done, Failed

LANE = "inference"


class InferenceService:
    """Submits model work to the inference lane; callbacks run in the GUI thread."""

    def __init__(self, work: BackgroundWork) -> None:
        self._lane = work.lane(LANE)
        self._cached: tuple[Checkpoint, nn.Module] | None = None  # touched only in the lane's thread

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

    def cancel(self, key: str) -> None:
        self._lane.cancel(key)

    def _model(self, checkpoint: Checkpoint) -> nn.Module:
        if self._cached is None or self._cached[0] is not checkpoint:
            self._cached = (checkpoint, checkpoint.build_model("cpu").eval())
        return self._cached[1]

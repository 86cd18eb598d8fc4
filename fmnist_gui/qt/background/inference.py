"""Everything the app asks of a model outside training, served by one long-lived worker.

Test-set evaluation, training-set predictions, single images (probabilities and saliency), a
look inside the layers and picture decoding all run on the "inference" lane of the
background-work layer; a projection's 2-D layout, which needs no model, on a lane of its own.
Each caller names a key; a newer request of a key replaces an older one (newest wins), and a job
that can stop early (a projection) asks its `Job` whether it is still wanted. The model built
from a checkpoint is cached in the worker thread, so a drawing classified as it is drawn
costs one forward pass, not a model build.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.engine.projection import Projection, project_2d
from fmnist_gui.engine.work import Cancel
from fmnist_gui.imaging import read_grayscale, to_fashion_mnist
from fmnist_gui.lazy import lazy_module
from fmnist_gui.qt.background.tasks import BackgroundWork, Done, Failed, Job, Progress

# The model work runs in the lane's thread, which imports torch and the engine there when first asked:
# the window is built before torch has loaded.
if TYPE_CHECKING:
    import torch
    from torch import nn

    from fmnist_gui.engine import evaluation, layers, saliency
    from fmnist_gui.engine import features as feature_extraction
    from fmnist_gui.engine.evaluation import Evaluation
    from fmnist_gui.engine.features import Features
    from fmnist_gui.engine.layers import LayerPictures
    from fmnist_gui.engine.saliency import Explanation
else:
    torch = lazy_module("torch")
    evaluation = lazy_module("fmnist_gui.engine.evaluation")
    feature_extraction = lazy_module("fmnist_gui.engine.features")
    layers = lazy_module("fmnist_gui.engine.layers")
    saliency = lazy_module("fmnist_gui.engine.saliency")

MODELS_KEPT = 3  # built models kept in the worker thread: the model on screen, a second to compare, one more
LANE = "inference"
PROJECTION_LANE = "projection"  # the 2-D layout needs no model: a slow t-SNE must not hold up the inference lane
StageProgress = Callable[[str, float], None]  # stage ("features" or "layout"), fraction done; in the GUI thread


class InferenceWorker:
    """Submits model work to the inference lane; callbacks run in the GUI thread."""

    def __init__(self, work: BackgroundWork) -> None:
        self._lane = work.lane(LANE)
        self._cached: list[tuple[Checkpoint, nn.Module]] = []  # newest last; touched only in the lane's thread
        self._layout_lane = work.lane(PROJECTION_LANE)
        self._features: tuple[Checkpoint, np.ndarray, Features] | None = None  # the last ones, for another method

    @property
    def busy(self) -> bool:
        return self._lane.busy

    def evaluate(self, checkpoint: Checkpoint, images: np.ndarray, labels: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """Loss, accuracy, confusion and probabilities of `checkpoint` on a labelled set."""

        def work(job: Job[Evaluation]) -> Evaluation:
            model = self._model(checkpoint)
            return evaluation.evaluate(model, torch.from_numpy(images), torch.from_numpy(labels), checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit("evaluate", work, on_done, on_failed)

    def predict(self, key: str, checkpoint: Checkpoint, images: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """(N, 10) float32 probabilities for uint8 images."""

        def work(job: Job[np.ndarray]) -> np.ndarray:
            model = self._model(checkpoint)
            return evaluation.predict_probabilities(model, torch.from_numpy(images), checkpoint.spec.mean, checkpoint.spec.std).numpy()

        self._lane.submit(key, work, on_done, on_failed)

    def explain(self, key: str, checkpoint: Checkpoint, image: np.ndarray, on_done: Done, on_failed: Failed) -> None:
        """Probabilities and a saliency map for one (28, 28) uint8 image."""
        image = np.array(image, dtype=np.uint8, copy=True)

        def work(job: Job[Explanation]) -> Explanation:
            return saliency.explain(self._model(checkpoint), image, checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit(key, work, on_done, on_failed)

    def prepare_picture(self, key: str, load: Callable[[], np.ndarray], on_done: Done, on_failed: Failed) -> None:
        """Decode a picture (`load` returns it as grayscale) and fit it to 28x28: (gray, model input)."""

        def work(job: Job[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
            gray = load()
            return gray, to_fashion_mnist(gray)

        self._lane.submit(key, work, on_done, on_failed)

    def prepare_picture_file(self, key: str, path: str, on_done: Done, on_failed: Failed) -> None:
        self.prepare_picture(key, lambda: read_grayscale(path), on_done, on_failed)

    def run(self, key: str, function: Callable[[Job[Any]], Any], on_done: Done, on_failed: Failed,
            on_progress: Progress | None = None) -> None:
        """Any other job (loading the data set, reading a run folder) on the same worker; `function` gets its Job,
        and what it reports reaches `on_progress`."""
        self._lane.submit(key, function, on_done, on_failed, on_progress)

    def project(self, key: str, checkpoint: Checkpoint, images: np.ndarray, method: str, progress: StageProgress,
                on_done: Done, on_failed: Failed) -> None:
        """The penultimate-layer features of `images` laid out in 2-D by `method`: a Projection.

        Newest wins: a newer request of `key` (or `cancel(key)`) stops an older one between
        batches or t-SNE iterations, in either of its two stages. The features of the last model
        are kept, so choosing another method for the same model skips straight to the layout.
        """
        self._layout_lane.cancel(key)  # an older request may be laying out already

        def lay_out(features: Features | None) -> None:
            if features is None:
                return  # cancelled in the worker thread: nothing to show
            self._features = (checkpoint, images, features)

            def layout(job: Job[Projection | None]) -> Projection | None:
                try:
                    coordinates = project_2d(method, features.values, lambda f: job.report(("layout", f)),
                                             lambda: job.cancelled)
                except Cancel:
                    return None
                return Projection(method, coordinates, features.predicted)

            def show(result: Projection | None) -> None:
                if result is not None:  # None: cancelled in the worker thread
                    on_done(result)

            self._layout_lane.submit(key, layout, show, on_failed, lambda stage: progress(*stage))

        known = self._features
        if known is not None and known[0] is checkpoint and known[1] is images:
            lay_out(known[2])
            return

        def extract(job: Job[Features | None]) -> Features | None:
            try:
                return feature_extraction.penultimate_features(self._model(checkpoint), images, checkpoint.spec.mean, checkpoint.spec.std,
                                            lambda f: job.report(("features", f)), lambda: job.cancelled)
            except Cancel:
                return None

        self._lane.submit(f"{key}-features", extract, lay_out, on_failed, lambda stage: progress(*stage))

    def layers(self, key: str, checkpoint: Checkpoint, image: np.ndarray | None, on_done: Done, on_failed: Failed) -> None:
        """The first layer's weights and, for an image, every layer's activations: LayerPictures."""
        image = None if image is None else np.array(image, dtype=np.uint8, copy=True)

        def work(job: Job[LayerPictures]) -> LayerPictures:
            return layers.layer_pictures(self._model(checkpoint), image, checkpoint.spec.mean, checkpoint.spec.std)

        self._lane.submit(key, work, on_done, on_failed)

    def cancel(self, key: str) -> None:
        """Forget the request of `key`; a projection stops where it is, on either lane."""
        self._lane.cancel(key)
        self._lane.cancel(f"{key}-features")
        self._layout_lane.cancel(key)

    def classify(self, key: str, checkpoints: list[Checkpoint], load: Callable[[], np.ndarray], on_done: Done,
                 on_failed: Failed, fit: Callable[[np.ndarray], np.ndarray] = to_fashion_mnist) -> None:
        """A picture (`load` returns it as grayscale, in the worker) fitted to 28x28 by `fit` and answered by
        every model: a Classified. Newest wins, so a drawing or a camera never builds a queue."""

        def work(job: Job[Classified]) -> Classified:
            model_input = fit(load())
            answers = [evaluation.predict_probabilities(self._model(c), torch.from_numpy(model_input[None]), c.spec.mean,
                                             c.spec.std).numpy()[0] for c in checkpoints]
            return Classified(model_input, answers)

        self._lane.submit(key, work, on_done, on_failed)

    def probabilities(self, checkpoint: Checkpoint, images: np.ndarray) -> np.ndarray:
        """For a job on the inference lane: (N, 10) float32 probabilities of uint8 images."""
        model = self.model(checkpoint)
        return evaluation.predict_probabilities(model, torch.from_numpy(images), checkpoint.spec.mean, checkpoint.spec.std).numpy()

    def model(self, checkpoint: Checkpoint) -> nn.Module:
        """For a job on the inference lane: the checkpoint's model, built once and kept while it is among the last
        few asked for (only that lane's thread may touch the cache)."""
        return self._model(checkpoint)

    def _model(self, checkpoint: Checkpoint) -> nn.Module:
        """The checkpoint's model, built once and kept while it is among the last few asked for."""
        for index, (known, model) in enumerate(self._cached):
            if known is checkpoint:
                self._cached.append(self._cached.pop(index))
                return model
        model = checkpoint.build_model("cpu").eval()
        self._cached = [*self._cached[-(MODELS_KEPT - 1):], (checkpoint, model)]
        return model


@dataclass(frozen=True)
class Classified:
    """One picture as the models saw it, and each model's probabilities, in the order asked."""

    model_input: np.ndarray  # (28, 28) uint8
    probabilities: list[np.ndarray]  # (10,) float32 per model

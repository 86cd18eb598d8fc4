"""Wires the views that explain a model to the predictions and to the inference worker.

The current model and its test-set results live in `Predictions`; everything here follows from
them: the sample grid, the matrix, the per-class bars, the galleries, the inspector, your own
picture and the drawing canvas. Views never compute with the model: they ask through signals
and this controller answers them from the inference worker.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.formats import format_loss
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.state.predictions import Baseline, Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.views.confusion import ConfusionMatrixView
from fmnist_gui.qt.views.draw import DrawView
from fmnist_gui.qt.views.gallery import DatasetBrowser, MistakesView
from fmnist_gui.qt.views.inspector import InspectorView
from fmnist_gui.qt.views.own_image import OwnImageView
from fmnist_gui.qt.views.per_class import PerClassAccuracyView
from fmnist_gui.qt.views.samples import SampleGrid

if TYPE_CHECKING:
    from fmnist_gui.engine.evaluation import Evaluation
    from fmnist_gui.engine.saliency import Explanation

Raise = Callable[[str], None]  # brings a dock forward by its key


class AnalysisViews:
    """The widgets of the analysis docks, built once from the class names and predictions."""

    def __init__(self, predictions: Predictions) -> None:
        names = predictions.class_names
        self.samples = SampleGrid(names)
        self.confusion = ConfusionMatrixView(names)
        self.per_class = PerClassAccuracyView(names)
        self.mistakes = MistakesView(predictions)
        self.browser = DatasetBrowser(predictions)
        self.inspector = InspectorView(predictions)
        self.own_image = OwnImageView(names)
        self.draw = DrawView(names)


class AnalysisController(QObject):
    explained = Signal(str, object)  # key ("inspector", "own_image", "draw"), Explanation: shown just now

    def __init__(self, *, views: AnalysisViews, predictions: Predictions, inference: InferenceWorker,
                 reporter: Reporter, raise_dock: Raise, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.views = views
        self.predictions = predictions
        self.inference = inference
        self.reporter = reporter
        self._raise = raise_dock
        self.sample_indices = np.zeros(0, dtype=np.int64)
        self._comparison: tuple[Checkpoint, str] | None = None  # another epoch's model beside the inspector's
        self._rng = np.random.default_rng()
        v = views
        predictions.results_changed.connect(self._on_results_changed)
        predictions.data_changed.connect(self._on_data_changed)
        v.samples.resample_requested.connect(lambda: self.draw_samples(keep_indices=False))
        v.samples.sample_clicked.connect(self._on_sample_clicked)
        v.confusion.cell_clicked.connect(self._on_cell_clicked)
        v.mistakes.image_chosen.connect(self.inspect)
        v.browser.image_chosen.connect(self.inspect)
        v.browser.train_predictions_wanted.connect(self._on_train_predictions_wanted)
        v.inspector.explanation_wanted.connect(self._on_explanation_wanted)
        v.own_image.file_chosen.connect(self.open_picture)
        v.own_image.image_pasted.connect(self._on_image_pasted)
        v.own_image.failed.connect(lambda message: reporter.note(f"Cannot use that picture: {message}"))  # shown in the view
        v.draw.drawing_settled.connect(self._on_drawing_settled)

    # Entry points for the window
    def evaluate(self, checkpoint: Checkpoint, then: Callable[[Evaluation], None] | None = None) -> None:
        """Predict the whole test set with `checkpoint` in the background, show it everywhere, then call `then`."""
        test = self.predictions.test
        if test is None:
            return

        def done(result: Evaluation) -> None:
            self.predictions.set_results(checkpoint, result.probabilities, result.confusion, result.per_class_accuracy,
                                         Baseline.of(checkpoint))
            self.reporter.note(f"Evaluated on {len(test.labels):,} test images: accuracy {result.accuracy:.2f}%, "
                               f"loss {format_loss(result.loss)}")
            if then is not None:
                then(result)

        self.inference.evaluate(checkpoint, test.images, test.labels, done,
                                lambda message, details: self.reporter.error("Cannot evaluate the model", message, details))

    def cancel_evaluation(self) -> None:
        self.inference.cancel("evaluate")

    def inspect(self, split_name: str, indices: np.ndarray, position: int) -> None:
        self.views.inspector.show_images(split_name, indices, position)
        self._raise("inspector")
        self.views.inspector.setFocus()

    def open_picture(self, path: str) -> None:
        """Decode a picture file in the background and classify it in the Your image view."""
        self._raise("own_image")
        name = path.rsplit("/", 1)[-1]
        self.views.own_image.show_loading(name)
        self.inference.prepare_picture_file("picture", path, lambda result: self._on_picture_ready(result, name),
                                            self._on_picture_failed)

    def paste_picture(self) -> None:
        self._raise("own_image")
        self.views.own_image.paste()

    def draw_samples(self, keep_indices: bool = True) -> None:
        test = self.predictions.test
        if test is None:
            return
        count = min(self.views.samples.capacity, len(test.labels))
        if not keep_indices or len(self.sample_indices) != count:
            self.sample_indices = np.sort(self._rng.choice(len(test.labels), size=count, replace=False))
        index = self.sample_indices
        probabilities = None if test.probabilities is None else test.probabilities[index]
        self.views.samples.set_samples(test.images[index], test.labels[index], probabilities)

    # Handlers
    def _on_data_changed(self) -> None:
        self.draw_samples(keep_indices=False)

    def _on_results_changed(self) -> None:
        p = self.predictions
        self.inference.cancel("train")  # predictions of the previous model would be wrong now
        self.draw_samples()
        self.views.confusion.set_matrix(p.confusion)
        self.views.per_class.set_accuracies(p.per_class, p.baseline.previous, p.baseline.label, p.baseline.previous_label)
        for key, view in (("own_image", self.views.own_image), ("draw", self.views.draw)):
            if view.model_input is not None:  # the new model's verdict on what is on screen
                self._classify(key, view.model_input)

    def _classify(self, key: str, image: np.ndarray) -> None:
        view = self.views.own_image if key == "own_image" else self.views.draw
        checkpoint = self.predictions.checkpoint
        if checkpoint is None:
            view.show_probabilities(None)
            return
        def done(explanation: Explanation) -> None:
            view.show_probabilities(explanation.probabilities)
            self.explained.emit(key, explanation)

        self.inference.explain(key, checkpoint, image, done,
                               lambda message, details: self.reporter.error("Cannot classify the image", message, details))

    def _on_explanation_wanted(self, tag: object, image: np.ndarray) -> None:
        checkpoint = self.predictions.checkpoint
        if checkpoint is None:
            return
        self.inference.explain("inspector", checkpoint, image,
                               lambda explanation: self._on_explained(tag, explanation),
                               lambda message, details: self.reporter.error("Cannot explain the image", message, details))

    def _on_explained(self, tag: object, explanation: Explanation) -> None:
        self.views.inspector.show_explanation(tag, explanation)
        self.explained.emit("inspector", explanation)
        self._explain_comparison(tag)

    def set_comparison(self, checkpoint: Checkpoint | None, label: str = "") -> None:
        """Show `checkpoint`'s probabilities beside the inspected image's, or none."""
        self._comparison = None if checkpoint is None else (checkpoint, label)
        if checkpoint is None:
            self.views.inspector.show_comparison(None)
        else:
            self._explain_comparison(self.views.inspector.tag)

    def _explain_comparison(self, tag: object) -> None:
        inspector = self.views.inspector
        image = inspector.current_image()
        if self._comparison is None or image is None:
            return
        checkpoint, label = self._comparison
        inspector.show_comparison(label)

        def show(explanation: Explanation) -> None:
            if tag == inspector.tag:  # the inspector still shows the image asked about
                inspector.show_comparison(label, explanation.probabilities)

        self.inference.explain("inspector-compare", checkpoint, image, show,
                               lambda message, details: self.reporter.error("Cannot explain the image", message, details))

    def _on_image_pasted(self, gray: np.ndarray) -> None:
        self.views.own_image.show_loading("clipboard")
        self.inference.prepare_picture("picture", lambda: gray, lambda result: self._on_picture_ready(result, "clipboard"),
                                       self._on_picture_failed)

    def _on_drawing_settled(self, gray: np.ndarray) -> None:
        self.inference.prepare_picture("drawing", lambda: gray, self._on_drawing_ready,
                                       lambda message, details: self.reporter.error("Cannot read the drawing", message, details))

    def _on_drawing_ready(self, result: tuple[np.ndarray, np.ndarray]) -> None:
        model_input = result[1]
        if self.views.draw.show_model_input(model_input):
            self._classify("draw", model_input)

    def _on_picture_ready(self, result: tuple[np.ndarray, np.ndarray], source: str) -> None:
        gray, model_input = result
        self.views.own_image.show_picture(gray, model_input, source)
        self._classify("own_image", model_input)

    def _on_picture_failed(self, message: str, details: str) -> None:
        self.views.own_image.show_failure(message)
        self.reporter.error("Cannot use that picture", message, details)

    def _on_sample_clicked(self, position: int) -> None:
        if position < len(self.sample_indices):
            self.inspect("test", self.sample_indices, position)

    def _on_cell_clicked(self, true_class: int, predicted_class: int) -> None:
        self.views.mistakes.show_cell(true_class, predicted_class)
        self._raise("mistakes")

    def _on_train_predictions_wanted(self) -> None:
        p = self.predictions
        if p.checkpoint is None or p.train is None or p.train.probabilities is not None:
            return
        self.inference.predict("train", p.checkpoint, p.train.images, p.set_train_probabilities,
                               lambda message, details: self.reporter.error("Cannot predict the training set", message, details))

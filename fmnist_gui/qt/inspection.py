"""The views for understanding a model, wired to each other, to the predictions and to the classifier.

The main window decides what the current model and its test-set results are (Predictions);
everything here follows from that: the matrix, the per-class bars, the galleries, the
inspector, your own image and the drawing canvas.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow

from fmnist_gui.engine.evaluation import predict_probabilities
from fmnist_gui.engine.saliency import Explanation
from fmnist_gui.qt.classifier import Classifier
from fmnist_gui.qt.confusion import ConfusionMatrixView
from fmnist_gui.qt.draw import DrawView
from fmnist_gui.qt.gallery import DatasetBrowser, MistakesView
from fmnist_gui.qt.inspector import InspectorView
from fmnist_gui.qt.own_image import OwnImageView
from fmnist_gui.qt.per_class import PerClassAccuracyView
from fmnist_gui.qt.predictions import Predictions
from fmnist_gui.qt.worker import Task


IMAGE_VIEWS = ("inspector", "own_image", "draw")


class InspectionViews(QObject):
    def __init__(self, window: QMainWindow, predictions: Predictions, report_error: Callable[[str, str], None]) -> None:
        super().__init__(window)
        self.window = window
        self.predictions = predictions
        self.report_error = report_error
        self.classifier = Classifier(self)
        self._train_task: Task | None = None
        self._train_generation = -1
        names = predictions.class_names
        self.confusion = ConfusionMatrixView(names)
        self.per_class = PerClassAccuracyView(names)
        self.mistakes = MistakesView(predictions)
        self.browser = DatasetBrowser(predictions)
        self.inspector = InspectorView(predictions)
        self.own_image = OwnImageView(names)
        self.draw = DrawView(names)
        self.docks: dict[str, QDockWidget] = {}
        for key, title, widget in (
            ("confusion", "Confusion", self.confusion),
            ("per_class", "Per class", self.per_class),
            ("mistakes", "Mistakes", self.mistakes),
            ("browser", "Browse", self.browser),
            ("inspector", "Inspect", self.inspector),
            ("own_image", "Your image", self.own_image),
            ("draw", "Draw", self.draw),
        ):
            dock = QDockWidget(title, window)
            dock.setObjectName(f"{key}_dock")
            dock.setWidget(widget)
            self.docks[key] = dock
        for key, panel in (("mistakes", self.mistakes), ("browser", self.browser)):
            self.docks[key].visibilityChanged.connect(panel.set_shown)
        self._connect()

    def place(self, analysis_beside: QDockWidget, images_beside: QDockWidget) -> None:
        """The views that need room go in tabs with the curves, the ones about one image with the samples."""
        for key, dock in self.docks.items():
            beside = images_beside if key in IMAGE_VIEWS else analysis_beside
            self.window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
            self.window.tabifyDockWidget(beside, dock)
        analysis_beside.raise_()
        images_beside.raise_()

    def _connect(self) -> None:
        p = self.predictions
        p.results_changed.connect(self._on_results_changed)
        p.data_changed.connect(self._on_results_changed)
        self.confusion.cell_clicked.connect(self._on_cell_clicked)
        self.mistakes.image_chosen.connect(self.inspect)
        self.browser.image_chosen.connect(self.inspect)
        self.browser.train_predictions_wanted.connect(self._on_train_predictions_wanted)
        self.inspector.explanation_wanted.connect(lambda tag, image: self.classifier.request("inspector", tag, image))
        self.own_image.image_ready.connect(lambda image: self._classify("own_image", image))
        self.own_image.failed.connect(lambda message: self.report_error("Cannot use that picture", message))
        self.draw.image_ready.connect(lambda image: self._classify("draw", image))
        self.classifier.explained.connect(self._on_explained)
        self.classifier.failed.connect(lambda key, message: self.report_error("Cannot classify the image", message))

    # Entry points for the window
    def inspect(self, split_name: str, indices: np.ndarray, position: int) -> None:
        self.inspector.show_images(split_name, indices, position)
        self._raise("inspector")
        self.inspector.setFocus()

    def open_picture(self, path: str) -> None:
        self._raise("own_image")
        self.own_image.load_file(path)

    def paste_picture(self) -> None:
        self._raise("own_image")
        self.own_image.paste()

    @property
    def busy(self) -> bool:
        return self.classifier.busy or self._train_task is not None

    def shutdown(self) -> None:
        self.classifier.shutdown()
        if self._train_task is not None:
            self._train_task.wait()

    # Handlers
    def _on_results_changed(self) -> None:
        p = self.predictions
        self.classifier.set_checkpoint(p.checkpoint)
        self.confusion.set_matrix(p.confusion)
        self.per_class.set_accuracies(p.per_class, p.previous_per_class, p.epoch)
        for key, view in (("own_image", self.own_image), ("draw", self.draw)):
            if view.model_input is not None:  # the new model's verdict on what is on screen
                self._classify(key, view.model_input)

    def _classify(self, key: str, image: np.ndarray) -> None:
        view = self.own_image if key == "own_image" else self.draw
        if not self.classifier.request(key, None, image):
            view.show_probabilities(None)

    def _on_explained(self, key: str, tag: object, explanation: Explanation) -> None:
        if key == "inspector":
            self.inspector.show_explanation(tag, explanation)
        elif key == "own_image":
            self.own_image.show_probabilities(explanation.probabilities)
        elif key == "draw":
            self.draw.show_probabilities(explanation.probabilities)

    def _on_cell_clicked(self, true_class: int, predicted_class: int) -> None:
        self.mistakes.show_cell(true_class, predicted_class)
        self._raise("mistakes")

    def _on_train_predictions_wanted(self) -> None:
        p = self.predictions
        if p.checkpoint is None or p.train is None or self._train_generation == p.generation or self._train_task is not None:
            return
        checkpoint, images, generation = p.checkpoint, p.train.images, p.generation
        self._train_generation = generation

        def work() -> np.ndarray:
            model = checkpoint.build_model("cpu")
            probabilities = predict_probabilities(model, torch.from_numpy(images), checkpoint.spec.mean, checkpoint.spec.std)
            return probabilities.numpy()

        def done(probabilities: np.ndarray) -> None:
            self.predictions.set_train_probabilities(generation, probabilities)

        self._train_task = Task(work, done, lambda message, _: self.report_error("Cannot predict the training set", message), self)
        self._train_task.ended.connect(self._on_train_task_ended)

    def _on_train_task_ended(self) -> None:
        if self._train_task is not None:
            self._train_task.deleteLater()
        self._train_task = None
        if self.browser.split_choice.currentData() == "train" and self.predictions.train is not None and self.predictions.train.probabilities is None:
            self._on_train_predictions_wanted()  # the model changed while it ran

    def _raise(self, key: str) -> None:
        dock = self.docks[key]
        dock.show()
        dock.raise_()



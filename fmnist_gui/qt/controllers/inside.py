"""Looking inside the model: the projector and the layer views, fed from the inference worker.

Both follow the model on screen (`Predictions.results_changed`: an epoch's end, an opened
checkpoint, an epoch chosen in the timeline) and compute only while their dock is in front;
a hidden one remembers that it is stale and catches up when shown. During a run the projector
lets its last picture finish before starting the next and waits a little between pictures,
so it never takes the training's processor time epoch after epoch.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, QTimer

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.engine.projection import METHODS, Projection, aligned
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.run_state import RunState
from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.views.layers import LayersView
from fmnist_gui.qt.views.projector import ProjectorView

if TYPE_CHECKING:
    from fmnist_gui.engine.layers import LayerPictures

PROJECTION_KEY = "projection"
LAYERS_KEY = "layers"
SECONDS_BETWEEN_PICTURES_IN_A_RUN = 10.0
STAGE_TEXT = {"features": "Computing the features of the test images…", "layout": "Laying them out"}


class InsideViews:
    """The widgets of the two docks."""

    def __init__(self, predictions: Predictions) -> None:
        self.projector = ProjectorView(predictions)
        self.layers = LayersView()


class InsideController(QObject):
    def __init__(self, *, views: InsideViews, predictions: Predictions, inference: InferenceWorker,
                 analysis: AnalysisController, reporter: Reporter, session: TrainingSession,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.projector, self.layers = views.projector, views.layers
        self.predictions, self.inference, self.analysis, self.reporter = predictions, inference, analysis, reporter
        self.session = session
        self._projection_stale = self._layers_stale = True
        self._projecting: Checkpoint | None = None  # the model whose picture is being computed
        self._last_start = -np.inf
        self._shown: tuple[str, np.ndarray] | None = None  # method and coordinates on screen, to align the next
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self._project)
        self.projector.set_methods([(m.key, m.label, m.available, m.hint) for m in METHODS.values()])
        self.projector.clear("Train a model or open a checkpoint to see where it puts each test image.")

        predictions.results_changed.connect(self._on_model_changed)
        predictions.data_changed.connect(self._on_model_changed)
        self.projector.method_chosen.connect(self._on_method_chosen)
        self.projector.image_chosen.connect(analysis.inspect)
        self.projector.shown_changed.connect(self._on_projector_shown)
        self.layers.shown_changed.connect(self._on_layers_shown)
        analysis.explained.connect(self._on_explained)
        session.state_changed.connect(self._on_run_state_changed)

    # The projector
    def _training(self) -> bool:
        """Whether a run takes the processor now (a paused one does not)."""
        return self.session.state in (RunState.RUNNING, RunState.PAUSING, RunState.STOPPING)

    def _on_run_state_changed(self) -> None:
        if self._later.isActive() and not self._training():  # the run ended or paused: no reason to wait
            self._later.stop()
            self._project()

    def _on_model_changed(self) -> None:
        self._projection_stale = self._layers_stale = True
        self._project()
        self._show_layers()

    def _on_projector_shown(self, shown: bool) -> None:
        if shown:
            self._project()

    def _on_method_chosen(self, method: str) -> None:
        self._projection_stale = True
        self._projecting = None  # a new method is a new request, even for the same model
        self._last_start = -np.inf
        self._project()

    def _project(self) -> None:
        """Start the newest picture if it is wanted now, or schedule it for when it may start."""
        checkpoint, test = self.predictions.checkpoint, self.predictions.test
        if checkpoint is None or test is None:
            self.inference.cancel(PROJECTION_KEY)
            self._projecting, self._shown = None, None
            self.projector.clear("Train a model or open a checkpoint to see where it puts each test image.")
            return
        if not self._projection_stale or not self.projector.shown:
            return
        if self._training():
            if self._projecting is not None:
                return  # the running picture finishes first; done() starts the newest
            wait = self._last_start + SECONDS_BETWEEN_PICTURES_IN_A_RUN - time.monotonic()
            if wait > 0:
                self._later.start(int(1000 * wait) + 1)
                return
        method = self.projector.current_method
        self._projection_stale, self._projecting, self._last_start = False, checkpoint, time.monotonic()
        label = METHODS[method].label
        self.projector.set_status(f"{STAGE_TEXT['features']}", 0.0)

        def progress(stage: str, fraction: float) -> None:
            text = STAGE_TEXT["features"] if stage == "features" else f"{STAGE_TEXT['layout']} ({label})…"
            self.projector.set_status(text, fraction)

        def done(projection: Projection) -> None:
            self._projecting = None
            self._show_projection(checkpoint, projection)
            if self._projection_stale:
                self._project()

        def failed(message: str, details: str) -> None:
            self._projecting = None
            self.projector.set_status(f"No picture: {message}")
            self.reporter.error("Cannot lay out the test set", message, details)

        self.inference.project(PROJECTION_KEY, checkpoint, test.images, method, progress, done, failed)

    def _show_projection(self, checkpoint: Checkpoint, projection: Projection) -> None:
        test = self.predictions.test
        if test is None or len(test.labels) != len(projection.coordinates):
            return
        previous = self._shown[1] if self._shown is not None and self._shown[0] == projection.method else None
        coordinates = aligned(projection.coordinates, previous, rotate=projection.method != "pca")
        self._shown = (projection.method, coordinates)
        names = ("first principal axis", "second principal axis") if projection.method == "pca" else None
        self.projector.set_points(test, coordinates, projection.predicted, names)
        wrong = int((projection.predicted != test.labels).sum())
        self.projector.set_status(
            f"{METHODS[projection.method].label} of the {len(test.labels):,} test images' features at {checkpoint.position}; "
            f"{wrong:,} predicted wrong (ringed).")

    # The layers
    def _on_explained(self, key: str, explanation: object) -> None:
        if key == "inspector":
            self._layers_stale = True
            self._show_layers()

    def _on_layers_shown(self, shown: bool) -> None:
        if shown:
            self._show_layers()

    def _show_layers(self) -> None:
        checkpoint = self.predictions.checkpoint
        if checkpoint is None:
            self.inference.cancel(LAYERS_KEY)
            self.layers.clear("Train a model or open a checkpoint to see its first layer.")
            return
        if not self._layers_stale or not self.layers.shown:
            return
        self._layers_stale = False
        inspector = self.analysis.views.inspector
        image, index, label = inspector.current_image(), inspector.current_index, inspector.current_label
        names = self.predictions.class_names
        title = None if image is None else (
            f"{inspector.split_name.capitalize()} image #{index}" + ("" if label is None else f" ({names[label]})"))

        def done(pictures: LayerPictures) -> None:
            self.layers.show_first_layer(pictures.first_layer)
            self.layers.show_activations(title, pictures.activations)

        self.inference.layers(LAYERS_KEY, checkpoint, image, done,
                              lambda message, details: self.reporter.error("Cannot look inside the layers", message, details))

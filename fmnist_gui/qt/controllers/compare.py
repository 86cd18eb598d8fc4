"""Two models side by side: File → Compare with…, two runs from the Runs tab, or another epoch; then the Compare
view, the inspector's second set of bars and the presenter all answer with both.

Model A is the model on screen; B is read through the one validating path before anything changes.
A's predictions on the test set come with the model on screen; B's are computed on the inference
worker; the comparison itself (McNemar's test, the bootstrap) is numpy, a few milliseconds, also
there. The images listed get both models' saliency maps, computed for those only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint, load_checkpoint
from fmnist_gui.compare import Comparison, compare_predictions
from fmnist_gui.dynamics import likely_mislabelled
from fmnist_gui.runs import last_checkpoint
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.background.tasks import Job
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.state.comparison import ComparisonState
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.views.compare import SHOWN, CompareView, DisagreementTile
from fmnist_gui.safe_text import printable

LOAD_KEY, PREDICT_KEY, COMPARE_KEY, SALIENCY_KEY = "compare-load", "compare-predict", "compare", "compare-saliency"


class CompareController(QObject):
    def __init__(self, *, view: CompareView, state: ComparisonState, predictions: Predictions, document: ModelDocument,
                 analysis: AnalysisController, inference: InferenceWorker, reporter: Reporter, settings: Settings,
                 dynamics: DynamicsModel, open_path: Callable[[str], bool], window: QWidget) -> None:
        super().__init__(window)
        self._open_path, self.dynamics = open_path, dynamics
        self.view, self.state, self.predictions, self.document = view, state, predictions, document
        self.analysis, self.inference, self.reporter, self.settings = analysis, inference, reporter, settings
        self._window = window
        self._other_answers: tuple[Checkpoint, np.ndarray] | None = None  # B's probabilities on the test set
        self._suspects: frozenset[int] = frozenset()
        predictions.results_changed.connect(self._recompare)
        dynamics.changed.connect(self._find_suspects)
        view.stop_requested.connect(self.stop)
        view.cell_chosen.connect(self._list_cell)
        view.image_chosen.connect(lambda indices, position: analysis.inspect("test", np.array(indices), position))

    # Choosing B
    def choose(self) -> None:
        """File → Compare with…: a checkpoint file as model B."""
        path = dialogs.open_checkpoint_path(self._window, self.settings.last_folder())
        if path:
            self.compare_with_file(path)

    def compare_with_file(self, path: str, name: str | None = None) -> None:
        name = name or Path(path).name
        self.inference.run(LOAD_KEY, lambda job: load_checkpoint(path), lambda checkpoint: self.compare_with(checkpoint, name),
                           lambda message, details: self.reporter.error("Cannot compare with this file", message, details))

    def compare_runs(self, first: Path, second: Path) -> None:
        """Two runs picked in the Runs tab: the first's last model opens (as File → Open would), the second's is B."""
        paths = [last_checkpoint(folder) for folder in (first, second)]
        if paths[0] is None or paths[1] is None:
            self.reporter.error("Cannot compare these runs", "Both runs need a saved model: "
                                f"{printable((first if paths[0] is None else second).name)} has none yet.")
            return
        if self._open_path(str(paths[0])):
            self.compare_with_file(str(paths[1]), printable(second.name))

    def compare_with(self, checkpoint: Checkpoint | None, name: str) -> None:
        """Model B, already read and checked (None: stop comparing); every comparing view answers with it from now on."""
        if checkpoint is None:
            self.stop()
            return
        self.state.set_other(checkpoint, printable(name))
        self._other_answers = None
        self.analysis.set_comparison(checkpoint, f"B: {printable(name)}")
        self.reporter.note(f"Comparing with {printable(name)} ({checkpoint.config.model}, {checkpoint.position}).")
        self._recompare()

    def _find_suspects(self) -> None:
        """The test images the open run's training dynamics find suspicious (hard to learn, predicted as one other
        class in most epochs), flagged in the list of disagreements."""
        dynamics = self.dynamics.dynamics
        if dynamics is None or not dynamics.epoch_count:
            self._suspects = frozenset()
            return

        def work(job: Job[frozenset[int]]) -> frozenset[int]:
            found = likely_mislabelled(dynamics.test_probability, dynamics.test_predicted, dynamics.test_labels)
            return frozenset(suspect.index for suspect in found)

        self.inference.run("compare-suspects", work, self._on_suspects,
                           lambda message, details: self.reporter.note(f"Suspects of the comparison: {message}"))

    def _on_suspects(self, suspects: frozenset[int]) -> None:
        self._suspects = suspects
        if self.state.result is not None:
            self._list_cell(-1, -1)

    def stop(self) -> None:
        for key in (LOAD_KEY, PREDICT_KEY, COMPARE_KEY, SALIENCY_KEY):
            self.inference.cancel(key)
        self.state.set_other(None)
        self._other_answers = None
        self.analysis.set_comparison(None)
        self.view.show_pending("Compare two models: File → Compare with… picks the second one.")

    # Comparing
    def _names(self) -> tuple[str, str]:
        a = Path(self.document.path).name if self.document.path else (
            self.document.checkpoint.config.model if self.document.checkpoint is not None else "A")
        return printable(a), self.state.other_name or "B"

    def _recompare(self) -> None:
        other, test = self.state.other, self.predictions.test
        if other is None:
            return
        if test is None or test.probabilities is None or self.predictions.checkpoint is None:
            self.view.show_pending(f"Comparing with {self.state.other_name}: waiting for the model on screen to be "
                                   "evaluated on the test set.")
            return
        self.view.show_pending(f"Comparing with {self.state.other_name}…")
        answers_a, labels, images = test.probabilities, test.labels, test.images
        known = self._other_answers

        def work(job: Job[tuple[np.ndarray, Comparison]]) -> tuple[np.ndarray, Comparison]:
            answers_b = known[1] if known is not None and known[0] is other else self.inference.probabilities(other, images)
            return answers_b, compare_predictions(answers_a, answers_b, labels, top=None)

        self.inference.run(COMPARE_KEY, work, lambda result: self._on_compared(other, *result),
                           lambda message, details: self.reporter.error("Cannot compare the two models", message, details))

    def _on_compared(self, other: Checkpoint, answers_b: np.ndarray, comparison: Comparison) -> None:
        if other is not self.state.other:
            return
        self._other_answers = (other, answers_b)
        names = self._names()
        self.state.set_result(comparison, names)
        self.view.show_comparison(comparison, names)
        self._list_cell(-1, -1)

    def _list_cell(self, a_class: int, b_class: int) -> None:
        comparison, test = self.state.result, self.predictions.test
        if comparison is None or test is None:
            return
        if a_class < 0:
            chosen = [d.index for d in comparison.disagreements[:SHOWN]]
            caption = (f"The {min(SHOWN, len(comparison.disagreements)):,} of {len(comparison.disagreements):,} "
                       "disagreements where one model is much surer than the other, most lopsided first:")
        else:
            cell = comparison.cell_indices(a_class, b_class)
            lopsided = np.abs(comparison.a.confidence[cell] - comparison.b.confidence[cell])
            chosen = [int(i) for i in cell[np.argsort(-lopsided, kind="stable")][:SHOWN]]
            names = self.predictions.class_names
            caption = f"A says {names[a_class]}, B says {names[b_class]}: {len(cell):,} images" + (
                f", the {SHOWN} most lopsided:" if len(cell) > SHOWN else ":")
        a, b = comparison.a, comparison.b
        tiles = [DisagreementTile(i, int(comparison.labels[i]), int(a.predictions[i]), int(b.predictions[i]),
                                  float(a.confidence[i]), float(b.confidence[i]), i in self._suspects) for i in chosen]
        self.view.list_images(tiles, test.images, caption, is_cell=a_class >= 0)
        self._explain_listed(chosen, test.images)

    def _explain_listed(self, chosen: list[int], images: np.ndarray) -> None:
        model_a, model_b = self.predictions.checkpoint, self.state.other
        if model_a is None or model_b is None or not chosen:
            return

        def work(job: Job[dict[int, tuple[np.ndarray, np.ndarray]]]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
            from fmnist_gui.engine.saliency import explain  # in the lane's thread

            maps = {}
            for index in chosen:
                if job.cancelled:
                    break
                pair = tuple(explain(self.inference.model(m), images[index], m.spec.mean, m.spec.std).saliency
                             for m in (model_a, model_b))
                maps[index] = (pair[0], pair[1])
            return maps

        self.inference.run(SALIENCY_KEY, work, self.view.set_saliency,
                           lambda message, details: self.reporter.note(f"Saliency maps of the comparison: {message}"))

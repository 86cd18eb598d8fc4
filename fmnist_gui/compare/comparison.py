"""Two models' answers on the same labelled images, side by side: the numbers a comparison shows (numpy only).

Built from probabilities, so the command line, the window and the tests share one builder; fmnist_gui.compare.models
gets the probabilities from two checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fmnist_gui.compare.stats import BOOTSTRAP_RESAMPLES, bootstrap_difference_interval, mcnemar_p, verdict

DEFAULT_TOP = 20  # disagreements kept, most lopsided first


@dataclass(frozen=True, eq=False)
class ModelAnswers:
    """One model's answers on every image; the arrays are read-only."""

    probabilities: np.ndarray  # (N, classes) float32
    predictions: np.ndarray  # (N,) int64, the most probable class
    accuracy: float  # percent

    @property
    def confidence(self) -> np.ndarray:
        """(N,) the probability of the class the model predicts."""
        return np.take_along_axis(self.probabilities, self.predictions[:, None], axis=1)[:, 0]


@dataclass(frozen=True)
class Disagreement:
    """One image the two models put in different classes."""

    index: int  # position in the test set
    label: int  # its true class
    a: int  # A's predicted class
    b: int  # B's predicted class
    pa: float  # A's probability of its own predicted class
    pb: float  # B's probability of its own predicted class


@dataclass(frozen=True, eq=False)
class Comparison:
    """A and B on the same labelled images: accuracy, agreement, the paired counts and whether the difference is real."""

    a: ModelAnswers
    b: ModelAnswers
    labels: np.ndarray  # (N,) int64, read-only
    agreement: float  # fraction of images (0..1) both put in the same class, right or wrong
    both_right: int
    only_a_right: int
    only_b_right: int
    both_wrong: int
    mcnemar_p: float  # exact two-sided; 1 when no image is right for one model only
    difference_ci: tuple[float, float]  # 95% paired bootstrap interval of B − A, in percentage points
    disagreement_matrix: np.ndarray  # (classes, classes) int64: rows A's prediction, columns B's; diagonal 0
    disagreements: tuple[Disagreement, ...]  # sorted by |pa − pb|, largest first; at most the `top` asked for

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def difference(self) -> float:
        """Accuracy of B − accuracy of A, in percentage points."""
        return self.b.accuracy - self.a.accuracy

    def cell_indices(self, a_class: int, b_class: int) -> np.ndarray:
        """The images of one cell of the disagreement matrix: A says a_class, B says b_class (none on the diagonal)."""
        if a_class == b_class:
            return np.empty(0, dtype=np.int64)
        return np.flatnonzero((self.a.predictions == a_class) & (self.b.predictions == b_class))

    def verdict(self, name_a: str = "A", name_b: str = "B") -> str:
        """The result as one sentence, naming the models by the short labels given."""
        return verdict(self.only_a_right, self.only_b_right, name_a, name_b)


def compare_predictions(probabilities_a: np.ndarray, probabilities_b: np.ndarray, labels: np.ndarray,
                        top: int | None = DEFAULT_TOP, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0) -> Comparison:
    """Compare two models from their (N, classes) probabilities on the same N labelled images; top=None keeps every
    disagreement."""
    labels = _read_only(np.array(labels, dtype=np.int64))  # a copy, as for the probabilities
    if probabilities_a.shape != probabilities_b.shape or probabilities_a.shape[:1] != labels.shape:
        raise ValueError(f"probabilities {probabilities_a.shape} and {probabilities_b.shape} do not fit {len(labels)} labels")
    a, b = _answers(probabilities_a, labels), _answers(probabilities_b, labels)
    right_a, right_b = a.predictions == labels, b.predictions == labels
    only_a_right, only_b_right = int(np.sum(right_a & ~right_b)), int(np.sum(right_b & ~right_a))
    differ = a.predictions != b.predictions
    return Comparison(
        a=a, b=b, labels=labels,
        agreement=1.0 - float(np.mean(differ)) if len(labels) else 1.0,
        both_right=int(np.sum(right_a & right_b)), only_a_right=only_a_right, only_b_right=only_b_right,
        both_wrong=int(np.sum(~right_a & ~right_b)),
        mcnemar_p=mcnemar_p(only_a_right, only_b_right),
        difference_ci=bootstrap_difference_interval(right_a, right_b, resamples, seed),
        disagreement_matrix=_read_only(_disagreement_matrix(a.predictions, b.predictions, differ, probabilities_a.shape[1])),
        disagreements=_most_lopsided(a, b, labels, differ, top),
    )


def _answers(probabilities: np.ndarray, labels: np.ndarray) -> ModelAnswers:
    probabilities = _read_only(np.array(probabilities, dtype=np.float32))  # a copy: the caller's array stays writable
    predictions = _read_only(probabilities.argmax(axis=1).astype(np.int64))
    accuracy = 100.0 * float(np.mean(predictions == labels)) if len(labels) else float("nan")
    return ModelAnswers(probabilities, predictions, accuracy)


def _disagreement_matrix(predictions_a: np.ndarray, predictions_b: np.ndarray, differ: np.ndarray, classes: int) -> np.ndarray:
    cells = predictions_a[differ] * classes + predictions_b[differ]
    return np.bincount(cells, minlength=classes * classes).reshape(classes, classes).astype(np.int64)


def _most_lopsided(a: ModelAnswers, b: ModelAnswers, labels: np.ndarray, differ: np.ndarray,
                   top: int | None) -> tuple[Disagreement, ...]:
    """The disagreements where one model is much surer of its class than the other is of its own: those are worth a
    look first. Ties keep test-set order."""
    indices = np.flatnonzero(differ)
    confidence_a, confidence_b = a.confidence[indices], b.confidence[indices]
    order = np.argsort(-np.abs(confidence_a - confidence_b), kind="stable")[:top]
    return tuple(Disagreement(int(indices[i]), int(labels[indices[i]]), int(a.predictions[indices[i]]),
                              int(b.predictions[indices[i]]), float(confidence_a[i]), float(confidence_b[i]))
                 for i in order)


def _read_only(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array

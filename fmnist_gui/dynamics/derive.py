"""What the per-epoch records say about each image: a data map, forgetting, and likely label errors.

Dataset Cartography (Swayamdipta et al. 2020): the mean probability of an image's label over
the epochs (confidence) against its spread (variability) separates easy-to-learn, ambiguous and
hard-to-learn images; hard-to-learn ones are often mislabelled. Example forgetting (Toneva et
al. 2019): an image right at one epoch and wrong at the next was forgotten.
Plain numpy on (epochs, images) arrays; an image not seen in an epoch leaves that epoch out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from fmnist_gui.data import NUM_CLASSES
from fmnist_gui.engine.events import NOT_SEEN

AMBIGUOUS_VARIABILITY = 0.2  # above it the label's probability swings between epochs
EASY_CONFIDENCE = 0.5  # below it, and steady, the model keeps disagreeing with the label
MIN_AGREEMENT = 0.5  # a suspect is predicted as one other class in at least this share of its epochs


class Region(IntEnum):
    EASY = 0
    AMBIGUOUS = 1
    HARD = 2

    @property
    def label(self) -> str:
        return ("easy to learn", "ambiguous", "hard to learn")[self]


@dataclass(frozen=True)
class ExampleStatistics:
    """One value per image, from the epochs it was seen in (NaN or 0 for an image never seen)."""

    confidence: np.ndarray  # float32: mean probability of the given label
    variability: np.ndarray  # float32: its standard deviation over the epochs
    correctness: np.ndarray  # float32: the share of epochs it was predicted as labelled
    forgetting: np.ndarray  # int32: right at one epoch, wrong at the next
    never_learned: np.ndarray  # bool: seen, never predicted as labelled
    unforgettable: np.ndarray  # bool: learned at some epoch and never forgotten after
    regions: np.ndarray  # int8 Region codes
    # Images the run set aside (never trained on, yet given a probability at each epoch's end): where a
    # data map draws them, apart; every other statistic leaves them out (NaN or 0).
    set_aside: np.ndarray | None = None  # bool
    set_aside_confidence: np.ndarray | None = None  # float32, NaN but for set-aside images
    set_aside_variability: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.confidence)


@dataclass(frozen=True)
class Suspect:
    """A training image whose label the model keeps disputing."""

    index: int  # position in the training set
    given: int  # its label
    predicted: int  # the other class the model predicts most often
    confidence: float
    variability: float
    forgetting: int
    agreement: float  # the share of its epochs predicted as `predicted`
    score: float  # agreement x (1 - confidence): higher is more likely mislabelled


def example_statistics(probability: np.ndarray, predicted: np.ndarray, labels: np.ndarray) -> ExampleStatistics:
    """Statistics of (E, N) probabilities of the given label and predicted classes, labels (N,)."""
    probability = np.asarray(probability, dtype=np.float32)
    predicted = np.asarray(predicted)
    seen = predicted != NOT_SEEN
    correct = seen & (predicted == np.asarray(labels)[None, :])
    counts = seen.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        masked = np.where(seen, probability, np.nan)
        confidence = _nan_mean(masked, counts)
        variability = np.sqrt(_nan_mean((masked - confidence[None, :]) ** 2, counts))
        correctness = np.where(counts > 0, correct.sum(axis=0) / np.maximum(counts, 1), np.nan).astype(np.float32)
    forgetting = forgetting_events(correct, seen)
    learned = correct.any(axis=0)
    aside = (counts == 0) & np.isfinite(probability).any(axis=0)
    aside_confidence = aside_variability = None
    if aside.any():
        placed = np.where(aside[None, :], probability, np.nan)
        placed_counts = np.isfinite(placed).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            aside_confidence = _nan_mean(placed, placed_counts)
            aside_variability = np.sqrt(_nan_mean((placed - aside_confidence[None, :]) ** 2, placed_counts))
    return ExampleStatistics(
        confidence=confidence, variability=variability, correctness=correctness, forgetting=forgetting,
        never_learned=(counts > 0) & ~learned, unforgettable=learned & (forgetting == 0),
        regions=regions(confidence, variability), set_aside=aside if aside.any() else None,
        set_aside_confidence=aside_confidence, set_aside_variability=aside_variability,
    )


def forgetting_events(correct: np.ndarray, seen: np.ndarray | None = None) -> np.ndarray:
    """(N,) int32: per image, how often it went from right to wrong between consecutive seen epochs."""
    correct = np.asarray(correct, dtype=bool)
    seen = np.ones_like(correct) if seen is None else np.asarray(seen, dtype=bool)
    events = np.zeros(correct.shape[1], dtype=np.int32)
    previous = np.full(correct.shape[1], -1, dtype=np.int8)  # -1 not seen yet, else 0 wrong / 1 right
    for row, row_seen in zip(correct, seen):
        events += (previous == 1) & row_seen & ~row
        previous = np.where(row_seen, row.astype(np.int8), previous)
    return events


def regions(confidence: np.ndarray, variability: np.ndarray) -> np.ndarray:
    """Region codes: ambiguous where the probability swings, else easy or hard by its mean."""
    codes = np.where(confidence >= EASY_CONFIDENCE, Region.EASY, Region.HARD).astype(np.int8)
    codes[variability > AMBIGUOUS_VARIABILITY] = Region.AMBIGUOUS
    return codes


def likely_mislabelled(probability: np.ndarray, predicted: np.ndarray, labels: np.ndarray,
                       statistics: ExampleStatistics | None = None, top: int | None = None) -> list[Suspect]:
    """Hard-to-learn images consistently predicted as one other class, most suspicious first."""
    return _suspects(probability, predicted, labels, statistics, top)[0]


def _suspects(probability: np.ndarray, predicted: np.ndarray, labels: np.ndarray,
              statistics: ExampleStatistics | None, top: int | None) -> tuple[list[Suspect], int]:
    """The `top` suspects (all when None) and how many there are in all."""
    predicted = np.asarray(predicted)
    labels = np.asarray(labels)
    stats = statistics or example_statistics(probability, predicted, labels)
    rival, agreement = _most_predicted_other_class(predicted, labels)
    score = agreement * (1.0 - stats.confidence)
    candidates = np.flatnonzero((stats.regions == Region.HARD) & (agreement >= MIN_AGREEMENT) & np.isfinite(score))
    # Most suspicious first; the steadier of two equal scores first; then by position, for a stable list.
    order = np.lexsort((candidates, stats.variability[candidates], -score[candidates]))
    chosen = candidates[order][:top] if top is not None else candidates[order]
    suspects = [Suspect(int(i), int(labels[i]), int(rival[i]), float(stats.confidence[i]), float(stats.variability[i]),
                        int(stats.forgetting[i]), float(agreement[i]), float(score[i])) for i in chosen]
    return suspects, len(candidates)


def forgetting_by_class(forgetting: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """(10,) int64: forgetting events of the images of each given class."""
    return np.bincount(np.asarray(labels, dtype=np.int64), weights=forgetting, minlength=NUM_CLASSES).astype(np.int64)


def most_forgotten(forgetting: np.ndarray, count: int, labels: np.ndarray | None = None, label: int | None = None) -> np.ndarray:
    """Positions of the `count` images forgotten most often (at least once), optionally of one class."""
    forgetting = np.asarray(forgetting)
    candidates = np.flatnonzero(forgetting > 0)
    if label is not None and labels is not None:
        candidates = candidates[np.asarray(labels)[candidates] == label]
    order = np.lexsort((candidates, -forgetting[candidates]))
    return candidates[order][:count]


def forgetting_epochs(probability_history: np.ndarray, predicted_history: np.ndarray, label: int) -> np.ndarray:
    """Indices into one image's (E,) history of the epochs at which it was forgotten."""
    predicted_history = np.asarray(predicted_history)
    seen = predicted_history != NOT_SEEN
    correct = seen & (predicted_history == label)
    events = []
    previous: bool | None = None
    for epoch, (is_seen, is_correct) in enumerate(zip(seen, correct)):
        if not is_seen:
            continue
        if previous and not is_correct:
            events.append(epoch)
        previous = bool(is_correct)
    return np.array(events, dtype=np.int64)


def _most_predicted_other_class(predicted: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per image: the class other than its label predicted most often, and the share of seen epochs it was."""
    seen = predicted != NOT_SEEN
    counts = np.stack([((predicted == c) & (labels[None, :] != c)).sum(axis=0) for c in range(NUM_CLASSES)])
    rival = counts.argmax(axis=0)
    epochs_seen = np.maximum(seen.sum(axis=0), 1)
    return rival, counts.max(axis=0) / epochs_seen


def _nan_mean(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    total = np.nansum(values, axis=0)
    return np.where(counts > 0, total / np.maximum(counts, 1), np.nan).astype(np.float32)


@dataclass(frozen=True)
class DynamicsSummary:
    """Everything the views show, derived once per change of the dynamics (off the GUI thread)."""

    statistics: ExampleStatistics
    suspects: tuple[Suspect, ...]  # most suspicious first, at most SUSPECTS_KEPT
    suspect_count: int  # how many images the finder names in all
    forgetting_per_class: np.ndarray  # (10,) int64
    epochs: int


SUSPECTS_KEPT = 1000


def summarize(probability: np.ndarray, predicted: np.ndarray, labels: np.ndarray) -> DynamicsSummary:
    stats = example_statistics(probability, predicted, labels)
    suspects, found = _suspects(probability, predicted, labels, stats, SUSPECTS_KEPT)
    return DynamicsSummary(stats, tuple(suspects), found, forgetting_by_class(stats.forgetting, labels), len(probability))

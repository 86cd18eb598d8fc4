"""The mislabel finder's suspects as fixes to accept in bulk: relabel each to the class the model said, or set it aside."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.dynamics import TrainingDynamics, likely_mislabelled
from fmnist_gui.labels.fixes import Action
from fmnist_gui.labels.fixset import FixSet


@dataclass(frozen=True)
class Suggestion:
    index: int  # position in the training set
    label: int  # the class the model predicted most often instead of the image's label
    note: str  # where the suggestion came from, for the file's note column


@dataclass(frozen=True)
class Accepted:
    accepted: int  # suggestions made into fixes
    already_reviewed: int  # left as they were: a person's (or an earlier) decision wins over a bulk suggestion


def suggestions_from(dynamics: TrainingDynamics, top: int, source: str) -> list[Suggestion]:
    """The `top` likely mislabelled images of a run's dynamics, most suspicious first; `source` names the run."""
    suspects = likely_mislabelled(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels, top=top)
    return [Suggestion(s.index, s.predicted, f"datamap {source}: the model says {CLASS_NAMES[s.predicted]} "
                                             f"in {s.agreement:.0%} of epochs, confidence {s.confidence:.3f}")
            for s in suspects]


def accept(fix_set: FixSet, suggestions: Sequence[Suggestion], action: Action = Action.RELABEL) -> Accepted:
    """Make each suggestion for an image not yet reviewed a fix (relabel or exclude), all as one undo step."""
    if action is Action.KEEP:
        raise ValueError("a suggestion is accepted as a relabel or an exclusion")
    accepted = 0
    with fix_set.one_step():
        for suggestion in suggestions:
            if suggestion.index in fix_set:
                continue
            if action is Action.RELABEL:
                fix_set.relabel(suggestion.index, suggestion.label, suggestion.note)
            else:
                fix_set.exclude(suggestion.index, suggestion.note)
            accepted += 1
    return Accepted(accepted, len(suggestions) - accepted)

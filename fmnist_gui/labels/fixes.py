"""One image's fix and what a set of them does to a split's labels: the plain records under a fix set.

A fix is a reviewer's decision about one image, by its position in the split: `relabel` (it trains with
another class), `exclude` (it is set aside: never drawn into a batch) or `keep` (reviewed, its label kept;
it changes nothing a model trains on, and tells a review list not to show the image again).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

import numpy as np

from fmnist_gui.data import CLASS_NAMES, NUM_CLASSES
from fmnist_gui.names import FIX_SET_HASH_DIGITS


class Action(str, Enum):
    RELABEL = "relabel"
    EXCLUDE = "exclude"
    KEEP = "keep"

    @property
    def changes_training(self) -> bool:
        return self is not Action.KEEP


@dataclass(frozen=True)
class Fix:
    """The decision about the image at `index`; `given` is the data set's own label there."""

    index: int
    given: int  # class number, as the data files hold it
    action: Action
    label: int | None = None  # the class it trains with: for relabel only
    note: str = ""  # a reviewer's remark, as fileformat.clean_note keeps it

    def __post_init__(self) -> None:
        if (self.label is not None) != (self.action is Action.RELABEL):
            raise ValueError("a relabel names its new class, and only a relabel does")
        if self.label is not None and not (0 <= self.label < NUM_CLASSES and self.label != self.given):
            raise ValueError(f"a relabel moves the image to another class, not to {self.label}")

    @property
    def trained_label(self) -> int:
        return self.label if self.label is not None else self.given


@dataclass(frozen=True)
class FixCounts:
    """What a review has done so far, as the window's counters show it."""

    reviewed: int  # images with any decision, kept ones included
    relabelled: int
    set_aside: int

    @property
    def changed(self) -> int:
        """Images a model trains on differently: relabelled or set aside."""
        return self.relabelled + self.set_aside


def count(fixes: Iterable[Fix]) -> FixCounts:
    actions = [fix.action for fix in fixes]
    return FixCounts(len(actions), actions.count(Action.RELABEL), actions.count(Action.EXCLUDE))


def content_hash(fixes: Mapping[int, Fix]) -> str:
    """The short sha256 of the rows that change training (index, given, action, label), by index.

    Notes and `keep` rows are left out: they change nothing a model trains on, so reviewing more
    images as they are does not make a run's recorded fix set look like another one.
    """
    digest = hashlib.sha256()
    for index in sorted(fixes):
        fix = fixes[index]
        if fix.action.changes_training:
            label = CLASS_NAMES[fix.label] if fix.label is not None else ""
            digest.update(f"{fix.index},{CLASS_NAMES[fix.given]},{fix.action.value},{label}\n".encode())
    return digest.hexdigest()[:FIX_SET_HASH_DIGITS]


def apply_fixes(fixes: Mapping[int, Fix], labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(labels to train with, keep_mask): a copy of the split's `labels` with the relabels made, and False
    where an image is set aside. The caller has checked the fixes against these labels (FixSet does)."""
    trained = np.array(labels, copy=True)
    keep_mask = np.ones(len(trained), dtype=bool)
    for fix in fixes.values():
        if fix.action is Action.RELABEL:
            trained[fix.index] = fix.trained_label
        elif fix.action is Action.EXCLUDE:
            keep_mask[fix.index] = False
    return trained, keep_mask

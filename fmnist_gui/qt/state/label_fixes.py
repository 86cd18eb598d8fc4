"""The label fix set under review: one shared object that the review panel, Inspect and the galleries read.

Only the label-fixes controller changes it. It wraps the Qt-free `FixSet` (fmnist_gui.labels): each
decision is one undo step, and `changed` tells the views to redraw.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal

from fmnist_gui.labels import Action, Fix, FixCounts, FixSet, fix_set_path, list_fix_sets


class LabelFixes(QObject):
    changed = Signal()  # a decision, an undo or redo, another fix set (or none) under review
    listed = Signal()  # `names_known` changed
    # What a view's user asked for: (training-set positions, Action or None to take decisions back, class or None).
    decision_requested = Signal(object, object, object)

    def __init__(self, labels_dir: Path, class_names: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.labels_dir, self.class_names = labels_dir, class_names
        self.fix_set: FixSet | None = None
        self.names_known: list[str] = []  # the training fix sets in the folder when last listed

    def request(self, indices: np.ndarray, action: Action | None, label: int | None = None) -> None:
        """A view passes on a decision its user made; the controller records it (or asks for a fix set first)."""
        self.decision_requested.emit(np.asarray(indices, dtype=np.int64), action, label)

    @property
    def name(self) -> str | None:
        return None if self.fix_set is None else self.fix_set.name

    def list_names(self) -> list[str]:
        """List the training fix sets in the labels folder again (a few file names): `names_known`."""
        self.names_known = [found.name for found in list_fix_sets(self.labels_dir) if found.split == "train"]
        self.listed.emit()
        return self.names_known

    def activate(self, name: str, given_labels: np.ndarray) -> None:
        """Review the fix set `name` (a new, empty one if there is none yet); LabelsError when it cannot be read
        or belongs to other data. What is under review now stays until this succeeds."""
        opened = FixSet.open(fix_set_path(self.labels_dir, name), "train", given_labels)
        self.fix_set = opened
        self.changed.emit()

    def deactivate(self) -> None:
        if self.fix_set is not None:
            self.fix_set = None
            self.changed.emit()

    # Decisions
    def decide(self, indices: Iterable[int], action: Action, label: int | None = None) -> int:
        """One undo step: relabel (to `label`), set aside or keep each image. How many there were."""
        fix_set = self._active()
        chosen = [int(index) for index in indices]
        with fix_set.one_step():
            for index in chosen:
                if action is Action.RELABEL:
                    assert label is not None
                    fix_set.relabel(index, label)
                elif action is Action.EXCLUDE:
                    fix_set.exclude(index)
                else:
                    fix_set.keep(index)
        self.changed.emit()
        return len(chosen)

    def forget(self, indices: Iterable[int]) -> None:
        """The images are unreviewed again (one undo step)."""
        fix_set = self._active()
        with fix_set.one_step():
            for index in indices:
                if int(index) in fix_set:
                    fix_set.forget(int(index))
        self.changed.emit()

    def undo(self) -> bool:
        done = self.fix_set is not None and self.fix_set.undo()
        if done:
            self.changed.emit()
        return done

    def redo(self) -> bool:
        done = self.fix_set is not None and self.fix_set.redo()
        if done:
            self.changed.emit()
        return done

    def save(self) -> None:
        """Write what changed (merged with what another window saved meanwhile); LabelsError or SaveError."""
        if self.fix_set is not None and self.fix_set.dirty:
            self.fix_set.save()
            self.changed.emit()  # another writer's decisions may have come in with the merge

    # Reading
    @property
    def counts(self) -> FixCounts:
        return self.fix_set.counts if self.fix_set is not None else FixCounts(0, 0, 0)

    def fix_of(self, index: int) -> Fix | None:
        return None if self.fix_set is None else self.fix_set.get(int(index))

    def reviewed(self) -> np.ndarray:
        """Training-set positions with a decision (the review list leaves them out)."""
        return self.fix_set.reviewed() if self.fix_set is not None else np.zeros(0, dtype=np.int64)

    def decision_text(self, index: int) -> str:
        """What the fix set says of a training image, for people: "fixed to Dress", "set aside", "kept as is", ""."""
        fix = self.fix_of(index)
        if fix is None:
            return ""
        if fix.action is Action.RELABEL and fix.label is not None:
            return f"fixed to {self.class_names[fix.label]}"
        return "set aside" if fix.action is Action.EXCLUDE else "kept as is"

    def summary(self) -> str:
        """The counter: "Fix set cleanup: 12 reviewed · 8 relabelled · 2 set aside"."""
        if self.fix_set is None:
            return "No fix set: choose or make one to record decisions."
        counts = self.counts
        return (f"Fix set {self.fix_set.name}: {counts.reviewed:,} reviewed · {counts.relabelled:,} relabelled · "
                f"{counts.set_aside:,} set aside")

    def _active(self) -> FixSet:
        if self.fix_set is None:
            raise RuntimeError("no fix set is under review")
        return self.fix_set

"""A named, reversible set of label fixes: edits with undo and redo, saved by merging with what is on disk.

Made to be driven by a review screen as well as a script: open it, make one change per key press,
undo and redo, read the counts, save. Two windows (or a window and `fmnist-gui labels apply`) may edit
one fix set at once without losing a fix: a save takes the file's lock, reads the file again, lays this
writer's own changes since it last loaded or saved on top (per image, the later save wins), and writes
the result atomically. The data files are never touched; a fix set only ever changes labels in memory.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from fmnist_gui import atomic
from fmnist_gui.data import CLASS_NAMES, FULL_COUNTS
from fmnist_gui.file_lock import exclusive_lock
from fmnist_gui.labels import fixes as plain
from fmnist_gui.labels.fileformat import SPLIT_WORDS, LabelsError, clean_note, fix_file_bytes, read_fix_file
from fmnist_gui.labels.fixes import Action, Fix, FixCounts
from fmnist_gui.labels.place import check_name
from fmnist_gui.safe_text import printable

_Change = tuple[int, "Fix | None", "Fix | None"]  # (index, before, after); None: no row for the image


class FixSet:
    """The fixes of one split's labels kept in one file; `given_labels` are the split's labels in the data.

    Without `given_labels` a fix set can be read, counted and exported, but not changed (a fix records the
    data's label) nor checked against the data.
    """

    def __init__(self, path: Path, split: str = "train", given_labels: np.ndarray | None = None,
                 fixes: dict[int, Fix] | None = None) -> None:
        self.path = Path(path)
        self.name = check_name(self.path.stem)
        self.split = split
        self.given_labels = None if given_labels is None else np.asarray(given_labels)
        self._base: dict[int, Fix] = dict(fixes or {})  # as on disk when last loaded or saved
        self._entries: dict[int, Fix] = dict(self._base)  # as this writer has it now
        self._undo: list[list[_Change]] = []
        self._redo: list[list[_Change]] = []
        self._step: list[_Change] | None = None  # the changes one_step() is gathering

    @classmethod
    def open(cls, path: Path, split: str = "train", given_labels: np.ndarray | None = None,
             must_exist: bool = False) -> FixSet:
        """The fix set in `path`, checked whole (against `given_labels` when given); a missing file is a new,
        empty set unless `must_exist`."""
        try:
            fixes = read_fix_file(path, split, given_labels)
        except FileNotFoundError:
            if must_exist:
                raise LabelsError(f"There is no fix set {printable(Path(path).stem)} ({printable(path)} does not exist); "
                                  "`fmnist-gui labels list` lists them.") from None
            fixes = {}
        return cls(path, split, given_labels, fixes)

    # Reading
    @property
    def size(self) -> int:
        """How many images the split has (Fashion-MNIST's count when the data is not known)."""
        return len(self.given_labels) if self.given_labels is not None else FULL_COUNTS[self.split]

    @property
    def fixes(self) -> tuple[Fix, ...]:
        return tuple(self._entries[index] for index in sorted(self._entries))

    def get(self, index: int) -> Fix | None:
        return self._entries.get(index)

    def __contains__(self, index: object) -> bool:
        """Whether the image at `index` has been reviewed (any decision, keep included)."""
        return index in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def reviewed(self) -> np.ndarray:
        """The positions of the reviewed images, in order: what a review list leaves out."""
        return np.array(sorted(self._entries), dtype=np.int64)

    @property
    def counts(self) -> FixCounts:
        return plain.count(self._entries.values())

    @property
    def content_hash(self) -> str:
        return plain.content_hash(self._entries)

    @property
    def identity(self) -> str:
        """NAME@HASH: what a run, checkpoint and model card record of the fix set they trained with."""
        return f"{self.name}@{self.content_hash}"

    @property
    def dirty(self) -> bool:
        """Whether this writer has changes that are not saved."""
        return self._entries != self._base

    # Changes, each undoable
    def relabel(self, index: int, label: int, note: str = "") -> None:
        """The image trains with `label`; relabelling it to its own label records it as kept."""
        given = self._given(index)
        if not 0 <= label < len(CLASS_NAMES):
            raise LabelsError(f"{label} is not a class: classes run from 0 to {len(CLASS_NAMES) - 1}.")
        note = clean_note(note)
        fix = Fix(index, given, Action.RELABEL, label, note) if label != given else Fix(index, given, Action.KEEP, None, note)
        self._set(index, fix)

    def exclude(self, index: int, note: str = "") -> None:
        """Set the image aside: no run trained with this fix set draws it into a batch."""
        self._set(index, Fix(index, self._given(index), Action.EXCLUDE, None, clean_note(note)))

    def keep(self, index: int, note: str = "") -> None:
        """Reviewed, label kept as it is: the image trains as before and leaves the review list."""
        self._set(index, Fix(index, self._given(index), Action.KEEP, None, clean_note(note)))

    def forget(self, index: int) -> None:
        """Drop the image's row: it is unreviewed again."""
        self._check_index(index)
        self._set(index, None)

    @contextlib.contextmanager
    def one_step(self) -> Iterator[None]:
        """Changes made inside are one step for undo and redo (a bulk accept of suggestions)."""
        if self._step is not None:
            yield  # already inside one: the outer step gathers these too
            return
        self._step = []
        try:
            yield
        finally:
            step, self._step = self._step, None
            if step:
                self._undo.append(step)
                self._redo.clear()

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def undo(self) -> bool:
        """Take back the last step; False when there is none."""
        return self._replay(self._undo, self._redo, backwards=True)

    def redo(self) -> bool:
        """Make the last undone step again; False when there is none."""
        return self._replay(self._redo, self._undo, backwards=False)

    # The file
    def refresh(self) -> None:
        """Read the file again and lay this writer's unsaved changes on top: what other writers saved shows."""
        mine = self._unsaved()
        try:
            on_disk = read_fix_file(self.path, self.split, self.given_labels)
        except FileNotFoundError:
            on_disk = {}
        self._base = on_disk
        self._entries = dict(on_disk)
        for index, fix in mine.items():
            self._put(index, fix)

    def save(self) -> None:
        """Merge with the file under its lock and write it atomically (LabelsError or SaveError says why not)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LabelsError(f"Cannot save the fix set {self.name}: {printable(self.path.parent)} "
                              f"cannot be made ({exc.strerror or exc}).") from None
        with exclusive_lock(self.path.parent / f".{self.path.name}.lock"):
            self.refresh()
            atomic.write_bytes(self.path, fix_file_bytes(self._entries.values()))
        self._base = dict(self._entries)

    # Training
    def apply_fixes(self, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(labels to train with, keep_mask) for the split's `labels` in the data; LabelsError when the fix set
        was made for other data."""
        labels = np.asarray(labels)
        if len(labels) != self.size and self.given_labels is not None:
            raise LabelsError(f"The fix set {self.name} is for {self.size:,} images, the data holds {len(labels):,}.")
        for fix in self._entries.values():
            if fix.index >= len(labels) or int(labels[fix.index]) != fix.given:
                found = f"labelled {CLASS_NAMES[int(labels[fix.index])]}" if fix.index < len(labels) else "missing"
                raise LabelsError(f"The fix set {self.name} belongs to other data: image {fix.index} is {found} in it, "
                                  f"not {CLASS_NAMES[fix.given]}.")
        return plain.apply_fixes(self._entries, labels)

    # Inside
    def _given(self, index: int) -> int:
        self._check_index(index)
        if self.given_labels is None:
            raise LabelsError(f"The fix set {self.name} was opened without the data's labels; it can be read but not changed.")
        return int(self.given_labels[index])

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise LabelsError(f"Image {index} is outside {SPLIT_WORDS[self.split]} (0 to {self.size - 1:,}).")

    def _set(self, index: int, fix: Fix | None) -> None:
        before = self._entries.get(index)
        if before == fix:
            return
        self._put(index, fix)
        change = (index, before, fix)
        if self._step is not None:
            self._step.append(change)
        else:
            self._undo.append([change])
            self._redo.clear()

    def _put(self, index: int, fix: Fix | None) -> None:
        if fix is None:
            self._entries.pop(index, None)
        else:
            self._entries[index] = fix

    def _replay(self, source: list[list[_Change]], target: list[list[_Change]], backwards: bool) -> bool:
        if not source:
            return False
        step = source.pop()
        for index, before, after in reversed(step) if backwards else step:
            self._put(index, before if backwards else after)
        target.append(step)
        return True

    def _unsaved(self) -> dict[int, Fix | None]:
        """This writer's changes since it last loaded or saved, per image (None: the row was dropped)."""
        indices = self._base.keys() | self._entries.keys()
        return {i: self._entries.get(i) for i in indices if self._base.get(i) != self._entries.get(i)}

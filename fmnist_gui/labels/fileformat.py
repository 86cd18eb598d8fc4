"""A fix set's file: CSV with the header `index,given,action,label,note`, one row per reviewed image, by index.

`given` is the data set's own label there and `label` the new class of a relabel (empty otherwise), both
as class names, so a person can read and edit the file in a spreadsheet; `given` also tells a fix set
made for other data. Reading trusts nothing: only a regular file of at most one line per image of the
split is opened, each line is read up to the longest a fix set can have, and the first thing wrong is
one LabelsError line naming the file, the line and the reason.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NoReturn

import numpy as np

from fmnist_gui.data import CLASS_NAMES, FULL_COUNTS
from fmnist_gui.errors import UserFacingError
from fmnist_gui.export.tables import csv_text, spreadsheet_text
from fmnist_gui.labels.fixes import Action, Fix
from fmnist_gui.regular_file import open_regular
from fmnist_gui.safe_text import printable

HEADER = ("index", "given", "action", "label", "note")
NOTE_CHARS = 300  # a note is a reviewer's remark, cut to this many characters
LINE_BYTES = 2048  # the longest line a fix set can have: a note of NOTE_CHARS four-byte characters fits
SPLIT_WORDS = {"train": "the training set", "test": "the test set"}
_CLASS_NUMBERS = {name: number for number, name in enumerate(CLASS_NAMES)}


class LabelsError(UserFacingError):
    """A fix set that cannot be read, found, changed or saved; the message is one line that says why."""


def clean_note(text: str) -> str:
    """A note as the file keeps it: one printable line that a spreadsheet shows as text, cut to NOTE_CHARS."""
    return spreadsheet_text(text)[:NOTE_CHARS]


def fix_file_bytes(fixes: Iterable[Fix]) -> bytes:
    """The file's content: the header, then one row per fix by index."""
    rows = [HEADER]
    for fix in sorted(fixes, key=lambda fix: fix.index):
        label = CLASS_NAMES[fix.label] if fix.label is not None else ""
        rows.append((str(fix.index), CLASS_NAMES[fix.given], fix.action.value, label, fix.note))
    return csv_text(rows).encode("utf-8")


def read_fix_file(path: str | os.PathLike[str], split: str, given_labels: np.ndarray | None = None) -> dict[int, Fix]:
    """The fixes in `path`, by index, every row checked; with `given_labels` (the split's labels in the data)
    each row's `given` must match them. FileNotFoundError when there is no such file."""
    size = len(given_labels) if given_labels is not None else FULL_COUNTS[split]
    name = printable(path)
    with open_regular(path, name, LabelsError, (size + 1) * LINE_BYTES) as stream:
        return _Parser(name, split, size, given_labels).parse(stream)


class _Parser:
    def __init__(self, name: str, split: str, size: int, given_labels: np.ndarray | None) -> None:
        self.name, self.split, self.size, self.given_labels = name, split, size, given_labels

    def parse(self, stream: BinaryIO) -> dict[int, Fix]:
        fixes: dict[int, Fix] = {}
        first_line: dict[int, int] = {}
        headed = False
        for number, text in _lines(stream, self.name):
            if not headed:
                if tuple(self._fields(number, text)) != HEADER:
                    self._refuse(number, f"the header must be {','.join(HEADER)}, not {printable(text)[:60]!r}")
                headed = True
                continue
            if not text.strip():
                continue  # a blank line, as an editor may leave at the end
            if len(fixes) == self.size:
                self._refuse(number, f"more rows than {SPLIT_WORDS[self.split]} has images ({self.size:,})")
            fix = self._fix(number, self._fields(number, text))
            if fix.index in fixes:
                self._refuse(number, f"image {fix.index} is fixed twice (also on line {first_line[fix.index]})")
            fixes[fix.index], first_line[fix.index] = fix, number
        if not headed:
            raise LabelsError(f"{self.name} is empty: a fix set starts with the header {','.join(HEADER)}.")
        return fixes

    def _fields(self, number: int, text: str) -> list[str]:
        try:
            return next(csv.reader([text], strict=True))
        except (csv.Error, StopIteration) as exc:
            self._refuse(number, f"it is not a CSV row ({printable(exc) or 'empty'})")

    def _fix(self, number: int, fields: list[str]) -> Fix:
        if len(fields) != len(HEADER):
            self._refuse(number, f"it has {len(fields)} fields, a row has {len(HEADER)} ({','.join(HEADER)})")
        index_text, given_text, action_text, label_text, note = fields
        if not index_text.isdigit() or not index_text.isascii():
            self._refuse(number, f"the index {printable(index_text)[:20]!r} is not a whole number")
        index = int(index_text)
        if index >= self.size:
            self._refuse(number, f"index {index} is outside {SPLIT_WORDS[self.split]} (0 to {self.size - 1:,})")
        given = self._class(number, given_text, "given")
        if self.given_labels is not None and int(self.given_labels[index]) != given:
            self._refuse(number, f"image {index} is labelled {CLASS_NAMES[int(self.given_labels[index])]} in the data, "
                                 f"not {CLASS_NAMES[given]}: the fix set belongs to other data")
        try:
            action = Action(action_text)
        except ValueError:
            self._refuse(number, f"the action must be {', '.join(a.value for a in Action)}, not {printable(action_text)[:20]!r}")
        label = self._label(number, action, label_text, given)
        return Fix(index, given, action, label, clean_note(note))

    def _label(self, number: int, action: Action, text: str, given: int) -> int | None:
        if action is not Action.RELABEL:
            if text:
                self._refuse(number, f"{action.value} takes no label (found {printable(text)[:30]!r})")
            return None
        if not text:
            self._refuse(number, "a relabel names the new class in its label field")
        label = self._class(number, text, "label")
        if label == given:
            self._refuse(number, f"it relabels the image to its own label, {CLASS_NAMES[label]}")
        return label

    def _class(self, number: int, text: str, field: str) -> int:
        if text not in _CLASS_NUMBERS:
            self._refuse(number, f"the {field} {printable(text)[:30]!r} is not a class; the classes are {', '.join(CLASS_NAMES)}")
        return _CLASS_NUMBERS[text]

    def _refuse(self, number: int, reason: str) -> NoReturn:
        raise LabelsError(f"{self.name}, line {number}: {reason}.")


def _lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    """(line number, text without its line break), each line read only up to LINE_BYTES."""
    number = 0
    while raw := stream.readline(LINE_BYTES + 1):
        number += 1
        if len(raw) > LINE_BYTES:
            raise LabelsError(f"{name}, line {number}: it is longer than a fix set's line can be ({LINE_BYTES:,} bytes).")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise LabelsError(f"{name}, line {number}: it is not UTF-8 text.") from None
        if number == 1:
            text = text.removeprefix("\ufeff")  # the byte-order mark a spreadsheet may write
        yield number, text.rstrip("\r\n")

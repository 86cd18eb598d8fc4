"""The likely-mislabelled images as CSV: a header, one row per suspect in order, never a partial file."""

from __future__ import annotations

import csv

import pytest

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.dynamics import Suspect
from fmnist_gui.export import ExportError, write_suspects_csv
from fmnist_gui.export.suspects import SUSPECTS_HEADER

SUSPECTS = [Suspect(4021, 6, 0, 0.08, 0.03, 1, 0.9, 0.828), Suspect(17, 2, 4, 0.21, 0.05, 0, 0.75, 0.5925)]


def test_each_suspect_is_a_row_with_its_labels_named_and_its_scores(tmp_path):
    path = write_suspects_csv(SUSPECTS, tmp_path / "suspects.csv")
    with open(path, newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert tuple(rows[0]) == SUSPECTS_HEADER
    assert rows[1] == ["4021", "6", "Shirt", "0", "T-shirt/top", "0.828", "0.08", "0.03", "1", "0.9"]
    assert rows[2][:5] == ["17", "2", "Pullover", "4", "Coat"] and len(rows) == 3


def test_class_names_that_look_like_formulas_are_quoted(tmp_path):
    names = ("=cmd", *CLASS_NAMES[1:])
    path = write_suspects_csv(SUSPECTS[:1], tmp_path / "suspects.csv", names)
    assert "'=cmd" in path.read_text(encoding="utf-8")


def test_a_target_that_cannot_be_written_is_refused_and_the_old_file_kept(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        write_suspects_csv(SUSPECTS, tmp_path / "missing" / "suspects.csv")
    with pytest.raises(ExportError, match="it is a folder"):
        write_suspects_csv(SUSPECTS, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_keeps_the_file_that_was_there(tmp_path, monkeypatch):
    old = tmp_path / "suspects.csv"
    old.write_text("kept")
    def full_disk(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("fmnist_gui.atomic.os.fsync", full_disk)
    with pytest.raises(ExportError, match="No space left"):
        write_suspects_csv(SUSPECTS, old)
    assert old.read_text() == "kept" and [p.name for p in tmp_path.iterdir()] == ["suspects.csv"]

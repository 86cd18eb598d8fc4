"""A fix set's file: its round trip, its content hash, where it lives, and every damage as one clear line."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.labels import HEADER, Action, Fix, FixSet, LabelsError, default_labels_dir, list_fix_sets, read_fix_file
from fmnist_gui.labels.fileformat import LINE_BYTES, fix_file_bytes
from fmnist_gui.labels.place import BadFixSetName, fix_set_path, locate

LABELS = np.arange(600) % 10  # the split's labels in the data: image i is class i % 10
GOOD = "index,given,action,label,note\n3,Dress,relabel,Sandal,looks like a sandal\n7,Sneaker,exclude,,\n"


def write(tmp_path: Path, text: str | bytes, name: str = "fixes.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def test_a_fix_set_reads_back_exactly_as_it_was_saved(tmp_path):
    fix_set = FixSet.open(tmp_path / "round.csv", "train", LABELS)
    fix_set.relabel(3, CLASS_NAMES.index("Sandal"), 'a note, with "quotes" and a comma')
    fix_set.exclude(7, "blurry")
    fix_set.keep(19)
    fix_set.relabel(420, 6, "=HYPERLINK(\"http://x\")")  # a formula in a note is kept as text
    fix_set.save()
    again = FixSet.open(tmp_path / "round.csv", "train", LABELS, must_exist=True)
    assert again.fixes == fix_set.fixes
    assert again.identity == fix_set.identity and not again.dirty
    assert (tmp_path / "round.csv").read_text().splitlines()[0] == ",".join(HEADER)
    assert again.get(420).note.startswith("'=")
    assert [f.action for f in again.fixes] == [Action.RELABEL, Action.EXCLUDE, Action.KEEP, Action.RELABEL]


def test_the_written_rows_are_by_index_with_class_names(tmp_path):
    fixes = [Fix(7, 7, Action.EXCLUDE), Fix(3, 3, Action.RELABEL, 5, "x"), Fix(9, 9, Action.KEEP)]
    assert fix_file_bytes(fixes).decode() == (
        "index,given,action,label,note\n3,Dress,relabel,Sandal,x\n7,Sneaker,exclude,,\n9,Ankle boot,keep,,\n")


def test_a_spreadsheets_byte_order_mark_and_line_ends_are_accepted(tmp_path):
    path = write(tmp_path, "\ufeff" + GOOD.replace("\n", "\r\n") + "\r\n")
    assert sorted(read_fix_file(path, "train", LABELS)) == [3, 7]


def test_the_content_hash_counts_only_what_changes_training(tmp_path):
    one = FixSet.open(tmp_path / "a.csv", "train", LABELS)
    one.relabel(3, 5)
    other = FixSet.open(tmp_path / "b.csv", "train", LABELS)
    other.relabel(3, 5, "a note")
    other.keep(11)  # reviewed and kept: nothing a model trains on changes
    assert one.content_hash == other.content_hash and len(one.content_hash) == 12
    other.exclude(12)
    assert other.content_hash != one.content_hash
    assert one.identity == f"a@{one.content_hash}"


DAMAGED = {
    "a bad header": ("index,given,action\n3,Dress,relabel\n", "line 1: the header must be index,given,action,label,note"),
    "a bad action": ("index,given,action,label,note\n3,Dress,fix,Sandal,\n",
                     "line 2: the action must be relabel, exclude, keep, not 'fix'"),
    "an index out of range": ("index,given,action,label,note\n600,T-shirt/top,exclude,,\n",
                              "line 2: index 600 is outside the training set (0 to 599)"),
    "a duplicate index": (GOOD + "3,Dress,exclude,,\n", "line 4: image 3 is fixed twice (also on line 2)"),
    "a wrong given label": ("index,given,action,label,note\n3,Shirt,exclude,,\n",
                            "line 2: image 3 is labelled Dress in the data, not Shirt: the fix set belongs to other data"),
    "a huge line": ("index,given,action,label,note\n3,Dress,exclude,," + "x" * 100_000 + "\n",
                    f"line 2: it is longer than a fix set's line can be ({LINE_BYTES:,} bytes)"),
    "a negative index": ("index,given,action,label,note\n-3,Dress,exclude,,\n", "line 2: the index '-3' is not a whole number"),
    "an unknown class": ("index,given,action,label,note\n3,Dress,relabel,Sandals,\n", "line 2: the label 'Sandals' is not a class"),
    "a relabel to its own label": ("index,given,action,label,note\n3,Dress,relabel,Dress,\n",
                                   "line 2: it relabels the image to its own label, Dress"),
    "a relabel without a class": ("index,given,action,label,note\n3,Dress,relabel,,\n",
                                  "line 2: a relabel names the new class in its label field"),
    "an exclusion with a class": ("index,given,action,label,note\n3,Dress,exclude,Coat,\n",
                                  "line 2: exclude takes no label (found 'Coat')"),
    "too few fields": ("index,given,action,label,note\n3,Dress,exclude\n", "line 2: it has 3 fields, a row has 5"),
    "an unclosed quote": ('index,given,action,label,note\n3,Dress,exclude,,"open\n', "line 2: it is not a CSV row"),
    "bytes that are not UTF-8": (b"index,given,action,label,note\n3,Dress,exclude,,\xff\xfe\n", "line 2: it is not UTF-8 text"),
    "an empty file": ("", "is empty: a fix set starts with the header"),
}


@pytest.mark.parametrize("damage", DAMAGED, ids=list(DAMAGED))
def test_a_damaged_file_is_one_line_naming_the_file_the_line_and_the_reason(tmp_path, damage):
    text, expected = DAMAGED[damage]
    path = write(tmp_path, text)
    with pytest.raises(LabelsError) as raised:
        FixSet.open(path, "train", LABELS)
    message = str(raised.value)
    assert message.startswith(str(path)) and expected in message, message
    assert "\n" not in message and len(message) < 300


def test_more_rows_than_the_split_has_images_are_refused_while_reading(tmp_path):
    small = np.arange(3) % 10
    rows = "".join(f"{i},{CLASS_NAMES[i]},exclude,,\n" for i in range(3))
    path = write(tmp_path, "index,given,action,label,note\n" + rows + "\n" * 10 + "0,T-shirt/top,keep,,\n")
    with pytest.raises(LabelsError, match=r"line 15: more rows than the training set has images \(3\)"):
        read_fix_file(path, "train", small)


def test_a_file_larger_than_any_fix_set_of_the_split_is_refused_before_it_is_read(tmp_path):
    path = write(tmp_path, "index,given,action,label,note\n" + "\n" * (5 * LINE_BYTES))
    with pytest.raises(LabelsError, match="is too large"):
        read_fix_file(path, "train", np.arange(3) % 10)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no fifos here")
def test_a_fifo_in_place_of_a_fix_set_is_refused_without_waiting(tmp_path):
    os.mkfifo(tmp_path / "fifo.csv")
    with pytest.raises(LabelsError, match="is not a regular file"):
        FixSet.open(tmp_path / "fifo.csv", "train", LABELS)


def test_without_the_data_a_file_is_read_and_checked_against_fashion_mnists_size(tmp_path):
    path = write(tmp_path, "index,given,action,label,note\n59999,Shirt,exclude,,\n")
    assert FixSet.open(path, "train").counts.set_aside == 1  # given is not checked: the data is not known
    with pytest.raises(LabelsError, match="outside the test set"):
        FixSet.open(path, "test")


def test_fix_sets_live_beside_the_runs_folder_unless_told(tmp_path, monkeypatch):
    monkeypatch.delenv("FMNIST_LABELS", raising=False)
    monkeypatch.setenv("FMNIST_RUNS", str(tmp_path / "somewhere" / "runs"))
    assert default_labels_dir() == tmp_path / "somewhere" / "labels"
    monkeypatch.setenv("FMNIST_LABELS", str(tmp_path / "mine"))
    assert default_labels_dir() == tmp_path / "mine"
    assert default_labels_dir(tmp_path / "given") == tmp_path / "given"
    assert fix_set_path(tmp_path, "a") == tmp_path / "a.csv"
    assert fix_set_path(tmp_path, "a", "test") == tmp_path / "test" / "a.csv"
    assert locate(str(tmp_path / "elsewhere" / "b.csv"), tmp_path) == tmp_path / "elsewhere" / "b.csv"
    with pytest.raises(BadFixSetName, match="cannot name a fix set"):
        fix_set_path(tmp_path, "../escape")


def test_the_listing_holds_training_and_test_fix_sets_and_nothing_else(tmp_path):
    for path in (tmp_path / "b.csv", tmp_path / "a.csv", tmp_path / "test" / "t.csv"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(",".join(HEADER) + "\n")
    (tmp_path / ".a.csv.lock").write_text("")
    (tmp_path / "notes.txt").write_text("")
    assert [(f.name, f.split) for f in list_fix_sets(tmp_path)] == [("a", "train"), ("b", "train"), ("t", "test")]

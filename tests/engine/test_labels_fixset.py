"""The FixSet a review screen drives: changes, counts, undo and redo, and saves that merge so no fix is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmnist_gui.labels import Action, FixCounts, FixSet, LabelsError, Suggestion, accept, read_fix_file

LABELS = np.arange(600) % 10
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fix_set(tmp_path) -> FixSet:
    return FixSet.open(tmp_path / "review.csv", "train", LABELS)


def test_each_decision_is_recorded_and_counted(fix_set):
    fix_set.relabel(3, 5)
    fix_set.exclude(7)
    fix_set.keep(9)
    assert fix_set.counts == FixCounts(reviewed=3, relabelled=1, set_aside=1)
    assert 9 in fix_set and 10 not in fix_set
    assert fix_set.reviewed().tolist() == [3, 7, 9]
    assert fix_set.get(9).action is Action.KEEP and fix_set.get(3).label == 5 and fix_set.get(3).given == 3
    fix_set.relabel(9, 9)  # to its own label: reviewed, kept
    assert fix_set.get(9).action is Action.KEEP
    fix_set.forget(7)
    assert 7 not in fix_set and fix_set.counts == FixCounts(2, 1, 0)


def test_undo_and_redo_walk_the_changes_back_and_forth(fix_set):
    assert not fix_set.can_undo and not fix_set.undo()
    fix_set.relabel(3, 5)
    fix_set.relabel(3, 6)
    fix_set.exclude(4)
    assert fix_set.undo() and 4 not in fix_set and fix_set.get(3).label == 6
    assert fix_set.undo() and fix_set.get(3).label == 5
    assert fix_set.can_redo and fix_set.redo() and fix_set.get(3).label == 6
    fix_set.keep(8)  # a new change drops what could be redone
    assert not fix_set.can_redo
    while fix_set.undo():
        pass
    assert len(fix_set) == 0 and not fix_set.dirty


def test_a_change_that_changes_nothing_is_no_step(fix_set):
    fix_set.exclude(4)
    fix_set.exclude(4)
    assert fix_set.undo() and not fix_set.can_undo


def test_a_bulk_accept_is_one_step_and_leaves_reviewed_images_alone(fix_set):
    fix_set.keep(2, "a person looked")
    suggestions = [Suggestion(2, 6, "s"), Suggestion(3, 6, "s"), Suggestion(4, 6, "s")]
    result = accept(fix_set, suggestions)
    assert (result.accepted, result.already_reviewed) == (2, 1)
    assert fix_set.get(2).action is Action.KEEP and fix_set.get(3).label == 6
    assert fix_set.undo() and fix_set.reviewed().tolist() == [2]
    accept(fix_set, suggestions, Action.EXCLUDE)
    assert fix_set.counts == FixCounts(3, 0, 2)


def test_apply_fixes_gives_the_training_labels_and_the_keep_mask(fix_set):
    fix_set.relabel(3, 5)
    fix_set.exclude(7)
    fix_set.keep(9)
    labels, keep_mask = fix_set.apply_fixes(LABELS)
    assert labels[3] == 5 and labels[9] == 9 and np.array_equal(np.delete(labels, 3), np.delete(LABELS, 3))
    assert np.flatnonzero(~keep_mask).tolist() == [7]
    assert LABELS[3] == 3  # the caller's labels are not touched
    with pytest.raises(LabelsError, match="belongs to other data: image 3 is labelled Shirt in it, not Dress"):
        fix_set.apply_fixes(np.where(np.arange(600) == 3, 6, LABELS))


def test_wrong_indices_and_changes_without_the_data_are_one_line(tmp_path, fix_set):
    with pytest.raises(LabelsError, match=r"Image 600 is outside the training set \(0 to 599\)"):
        fix_set.exclude(600)
    with pytest.raises(LabelsError, match="11 is not a class"):
        fix_set.relabel(3, 11)
    unknown_data = FixSet.open(tmp_path / "x.csv", "train")
    with pytest.raises(LabelsError, match="opened without the data's labels"):
        unknown_data.exclude(3)
    with pytest.raises(LabelsError, match="There is no fix set nothing"):
        FixSet.open(tmp_path / "nothing.csv", "train", LABELS, must_exist=True)


def test_two_writers_merge_their_changes_and_the_later_save_wins_an_image(tmp_path):
    path = tmp_path / "shared.csv"
    first, second = FixSet.open(path, "train", LABELS), FixSet.open(path, "train", LABELS)
    first.relabel(1, 2)
    first.exclude(5)
    first.save()
    second.exclude(2)
    second.relabel(5, 9)  # the same image: this later save wins it
    second.save()
    assert {i: f.action for i, f in read_fix_file(path, "train", LABELS).items()} == {
        1: Action.RELABEL, 2: Action.EXCLUDE, 5: Action.RELABEL}
    first.forget(1)  # forgetting a fix is a change too: another writer's save must not bring it back
    second.keep(8)
    second.save()
    first.save()
    assert sorted(read_fix_file(path, "train", LABELS)) == [2, 5, 8]
    assert first.get(5).label == 9  # a save also brings in what the others saved
    first.undo()  # takes back the forget: the fix comes back and is saved with the next save
    first.save()
    assert sorted(read_fix_file(path, "train", LABELS)) == [1, 2, 5, 8]


def test_refresh_shows_what_another_writer_saved_and_keeps_unsaved_changes(tmp_path):
    path = tmp_path / "shared.csv"
    window, script = FixSet.open(path, "train", LABELS), FixSet.open(path, "train", LABELS)
    window.keep(4)
    script.exclude(6)
    script.save()
    window.refresh()
    assert window.reviewed().tolist() == [4, 6] and window.dirty


WRITER = """
import sys
import numpy as np
from fmnist_gui.labels import FixSet
path, start = sys.argv[1], int(sys.argv[2])
labels = np.arange(600) % 10
fix_set = FixSet.open(path, "train", labels)  # loaded once: every save must merge what the other wrote since
for index in range(start, start + 60, 2):
    fix_set.relabel(index, (labels[index] + 1) % 10, f"writer {start}")
    fix_set.save()
print(len(fix_set))
"""


def test_two_processes_saving_at_once_lose_no_fix(tmp_path):
    path = tmp_path / "busy.csv"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(start)], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for start in (0, 1)]
    seen = []
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err
        seen.append(int(out))
    fixes = read_fix_file(path, "train", LABELS)
    assert sorted(fixes) == list(range(60))  # 30 from each, interleaved
    assert {fix.note for fix in fixes.values()} == {"writer 0", "writer 1"}
    assert not list(tmp_path.glob(".busy.csv.*.tmp"))
    assert max(seen) == 60  # the writer that saved last had merged every fix of the other

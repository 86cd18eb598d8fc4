"""Reviewing suspect labels in the window: the keys, undo and redo, the file they are saved to, what Inspect and
the galleries say, training with the fixes and the comparison before and after."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

from fmnist_gui.dynamics import TrainingDynamics, summarize
from fmnist_gui.labels import Action, read_fix_file
from fmnist_gui.qt.shell.docks import raise_dock
from tests.qt.helpers import QUICK, train

PLANTED = (7, 11, 23, 42, 56)  # predicted as the next class in every epoch, the first the most suspicious


@pytest.fixture
def labels_dir(tmp_path, monkeypatch):
    folder = tmp_path / "labels"
    monkeypatch.setenv("FMNIST_LABELS", str(folder))
    return folder


def plant_suspects(qtbot, window) -> np.ndarray:
    """Made-up dynamics in which the PLANTED images are steadily predicted as another class; the Suspects tab shown."""
    labels = window.predictions.train.labels.astype(np.uint8)
    test_labels = window.predictions.test.labels.astype(np.uint8)
    predicted = np.tile(labels, (3, 1))
    probability = np.full(predicted.shape, 0.9, dtype=np.float32)
    for rank, index in enumerate(PLANTED):
        predicted[:, index] = (labels[index] + 1) % 10
        probability[:, index] = 0.05 + 0.02 * rank
    probability = probability.astype(np.float16)
    dynamics = TrainingDynamics(labels, test_labels, np.arange(1, 4), probability, predicted,
                                np.full((3, len(test_labels)), 0.9, np.float16), np.tile(test_labels, (3, 1)))
    window.dynamics_model.set_dynamics(dynamics, summarize(probability, predicted, labels), "this run")
    suspects = window.dynamics_views.suspects
    raise_dock(window.docks, "suspects")
    qtbot.waitUntil(lambda: suspects.listed.tolist() == list(PLANTED))
    suspects.table.setFocus()
    return labels


def key(view, key: Qt.Key, modifiers: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(view.table, key, modifiers)


def current(view) -> int:
    return int(view.listed[view.table.currentIndex().row()])


def test_one_key_per_decision_undo_and_redo_and_every_decision_is_in_the_file(qtbot, make_window, dialog_stub, labels_dir):
    window = make_window()
    labels = plant_suspects(qtbot, window)
    view, fixes = window.dynamics_views.suspects, window.label_fixes_state
    assert current(view) == PLANTED[0] and view.review.accept_button.text().startswith("Relabel as ")
    dialog_stub.text = "cleanup"
    key(view, Qt.Key.Key_A)  # accept the model's class; no fix set yet: one is made first
    assert fixes.name == "cleanup"
    fix = fixes.fix_of(PLANTED[0])
    assert fix is not None and fix.action is Action.RELABEL and fix.label == (labels[PLANTED[0]] + 1) % 10
    assert PLANTED[0] not in view.listed and current(view) == PLANTED[1]  # the next one takes its place
    key(view, Qt.Key.Key_X)
    key(view, Qt.Key.Key_S)  # skipped: still listed, undecided
    key(view, Qt.Key.Key_K)
    key(view, Qt.Key.Key_3)
    assert fixes.fix_of(PLANTED[1]).action is Action.EXCLUDE and fixes.fix_of(PLANTED[2]) is None
    assert fixes.fix_of(PLANTED[3]).action is Action.KEEP
    assert fixes.fix_of(PLANTED[4]).action is Action.RELABEL and fixes.fix_of(PLANTED[4]).label == 3
    assert view.listed.tolist() == [PLANTED[2]]
    assert view.review.counter.text() == "Fix set cleanup: 4 reviewed · 2 relabelled · 1 set aside"
    assert "(4 reviewed, not listed)" in view.caption.text()

    key(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert fixes.fix_of(PLANTED[4]) is None and PLANTED[4] in view.listed
    key(view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert fixes.fix_of(PLANTED[4]).label == 3
    on_disk = read_fix_file(labels_dir / "cleanup.csv", "train", window.predictions.train.labels)
    assert {index: (fix.action, fix.label) for index, fix in on_disk.items()} == {
        PLANTED[0]: (Action.RELABEL, (labels[PLANTED[0]] + 1) % 10), PLANTED[1]: (Action.EXCLUDE, None),
        PLANTED[3]: (Action.KEEP, None), PLANTED[4]: (Action.RELABEL, 3)}  # saved at each decision, undo and redo

    view.show_reviewed.setChecked(True)
    view._select_row(view.listed.tolist().index(PLANTED[1]))
    key(view, Qt.Key.Key_Backspace)  # the set-aside one is unreviewed again
    assert fixes.fix_of(PLANTED[1]) is None
    assert window.controls.labels.findData("cleanup") >= 0  # the form offers the new fix set for training


def test_inspect_and_the_galleries_say_labelled_and_the_fix(qtbot, make_window, dialog_stub, labels_dir):
    window = make_window()
    labels = plant_suspects(qtbot, window)
    view, fixes = window.dynamics_views.suspects, window.label_fixes_state
    dialog_stub.text = "cleanup"
    key(view, Qt.Key.Key_A)
    window.analysis.inspect("train", np.array([PLANTED[0]]), 0)
    heading = window.views.inspector.heading.text()
    names = window.predictions.class_names
    assert f"labelled <b>{names[labels[PLANTED[0]]]}</b> (fixed to {names[(labels[PLANTED[0]] + 1) % 10]})" in heading
    assert "true class" not in heading
    gallery = window.data_map.gallery
    from fmnist_gui.qt.state.predictions import Predictions  # noqa: F401 - the split object the gallery lists
    gallery.gallery_model.set_items(window.predictions.train, np.array([PLANTED[0], PLANTED[1]]))
    tip = gallery.gallery_model.data(gallery.gallery_model.index(0), Qt.ItemDataRole.ToolTipRole)
    assert f"labelled {names[labels[PLANTED[0]]]}, fixed to" in tip
    assert gallery.gallery_model.data(gallery.gallery_model.index(0)).startswith("✎ ")
    gallery.selectAll()  # a decision for a selection, as the gallery's menu makes it
    assert gallery.decision_menu_rows(0) == [0, 1]
    fixes.request(gallery.gallery_model.indices[gallery.decision_menu_rows(0)], Action.EXCLUDE)
    assert fixes.fix_of(PLANTED[0]).action is Action.EXCLUDE and fixes.fix_of(PLANTED[1]).action is Action.EXCLUDE
    assert fixes.counts.set_aside == 2


def test_a_run_with_the_fixes_trains_on_them_records_them_and_offers_the_comparison(
        qtbot, make_window, dialog_stub, labels_dir, runs_dir):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=2))
    before = window.document.checkpoint
    plant_suspects(qtbot, window)
    view = window.dynamics_views.suspects
    dialog_stub.text = "cleanup"
    key(view, Qt.Key.Key_A)
    key(view, Qt.Key.Key_X)
    window.controls.labels.setCurrentIndex(window.controls.labels.findData("cleanup"))
    dialog_stub.confirms.clear()
    config = QUICK.replace(epochs=2)
    window.controls.set_config(config)
    window.controls.labels.setCurrentIndex(window.controls.labels.findData("cleanup"))
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        window.controls.train_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    trained = window.document.checkpoint
    assert trained.config.labels.startswith("cleanup@") and trained is not before
    assert any("Compare it with the model before the fixes" in question for question in dialog_stub.confirms)
    qtbot.waitUntil(lambda: window.comparison.other is not None, timeout=10000)
    assert window.comparison.other.config.labels == "" and window.comparison.other_name.startswith("before the fixes")
    assert any("training labels fixed by cleanup@" in line for line in window.log.lines())
    # The set-aside image is drawn apart on the new run's map; the one relabelled trained with its new class.
    raise_dock(window.docks, "data_map")
    qtbot.waitUntil(lambda: window.dynamics_model.dynamics is not None
                    and window.dynamics_model.dynamics.train_labels[PLANTED[0]] != before_label(window), timeout=10000)
    qtbot.waitUntil(lambda: window.dynamics_model.summary is not None, timeout=10000)
    stats = window.dynamics_model.summary.statistics
    assert stats.set_aside is not None and np.flatnonzero(stats.set_aside).tolist() == [PLANTED[1]]
    qtbot.waitUntil(lambda: len(window.data_map.set_aside_points.data) == 1)
    assert "set aside by its label fixes: hollow" in window.data_map.caption.text()


def before_label(window) -> int:
    return int(window.predictions.train.labels[PLANTED[0]])


def test_a_fix_set_that_changes_nothing_or_cannot_be_read_is_refused_before_training(
        qtbot, make_window, dialog_stub, labels_dir):
    window = make_window()
    labels_dir.mkdir(parents=True)
    (labels_dir / "broken.csv").write_text("index,given,action,label,note\n0,Nonsense,relabel,Dress,\n")
    (labels_dir / "empty.csv").write_text("index,given,action,label,note\n")
    window.label_fixes_state.list_names()
    for name, reason in (("broken", "broken"), ("empty", "changes no training label")):
        window.controls.set_config(QUICK)
        window.controls.labels.setCurrentIndex(window.controls.labels.findData(name))
        window.controls.train_button.click()
        assert not window.session.active
        assert reason in window.controls.error.text()
    assert window.document.checkpoint is None  # nothing started, nothing on screen changed


def test_continuing_a_run_with_fixes_goes_on_with_them_and_refuses_a_fix_set_changed_since(
        qtbot, make_window, dialog_stub, labels_dir, runs_dir):
    window = make_window()
    plant_suspects(qtbot, window)
    view, fixes = window.dynamics_views.suspects, window.label_fixes_state
    dialog_stub.text = "cleanup"
    key(view, Qt.Key.Key_A)
    window.controls.set_config(QUICK.replace(epochs=1))
    window.controls.labels.setCurrentIndex(window.controls.labels.findData("cleanup"))
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        window.controls.train_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    identity = window.document.checkpoint.config.labels
    fixes.decide([PLANTED[2]], Action.EXCLUDE)  # the fix set changes after the run trained with it
    window.controls.epochs.setValue(2)
    window.controls.continue_button.click()
    assert not window.session.active and "has changed since the run trained with it" in window.controls.error.text()
    fixes.undo()  # as it was: the run goes on with it
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        window.controls.continue_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    assert window.document.checkpoint.config.labels == identity and window.document.checkpoint.epoch > 1

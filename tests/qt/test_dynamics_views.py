"""The suspects, pinned and forgetting views, filled from a DynamicsModel through their controller."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QMenu, QWidget

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.dynamics import TrainingDynamics, forgetting_by_class, forgetting_epochs, summarize
from fmnist_gui.engine.events import NOT_SEEN
from fmnist_gui.qt.shell.docks import raise_dock
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.controllers.dynamics_panels import DynamicsPanelsController, DynamicsViews, forgetting_marks
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.views.log_pane import LogPane
from fmnist_gui.qt.views.suspects import AGREEMENT, FORGOTTEN, HISTORY, LABEL, SCORE
from fmnist_gui.qt.views.widgets import WRONG_COLOR

TRAIN, TEST, EPOCHS = 40, 10, 4
MISLABELLED = (0, 1, 2, 3, 4)  # always predicted as the next class, with a low probability of their label
TWICE_FORGOTTEN = (5, 6, 7, 8, 9)  # right, wrong, right, wrong
ONCE_FORGOTTEN = 10  # right, right, wrong, right


def made_dynamics() -> TrainingDynamics:
    labels = (np.arange(TRAIN) % 10).astype(np.uint8)
    predicted = np.tile(labels, (EPOCHS, 1))
    probability = np.full((EPOCHS, TRAIN), 0.95, dtype=np.float32)
    for rank, i in enumerate(MISLABELLED):
        predicted[:, i] = (labels[i] + 1) % 10
        probability[:, i] = 0.05 + 0.04 * rank  # the first is the most suspicious
    for i in TWICE_FORGOTTEN:
        predicted[[1, 3], i] = (labels[i] + 2) % 10
        probability[[1, 3], i] = 0.3
    predicted[2, ONCE_FORGOTTEN] = 0 if labels[ONCE_FORGOTTEN] else 1
    probability[2, ONCE_FORGOTTEN] = 0.2
    test_labels = (np.arange(TEST) % 10).astype(np.uint8)
    test_predicted = np.tile(test_labels, (EPOCHS, 1))
    test_predicted[1, 3] = 4
    return TrainingDynamics(labels, test_labels, np.arange(1, EPOCHS + 1), probability.astype(np.float16),
                            predicted.astype(np.uint8), np.full((EPOCHS, TEST), 0.9, np.float16), test_predicted.astype(np.uint8))


class Harness:
    def __init__(self, qtbot, settings):
        self.window = QWidget()
        qtbot.addWidget(self.window)
        rng = np.random.default_rng(1)
        self.predictions = Predictions(CLASS_NAMES)
        self.dynamics = made_dynamics()
        self.predictions.set_data(rng.integers(0, 255, (TEST, 28, 28), dtype=np.uint8), self.dynamics.test_labels.astype(np.int64),
                                  rng.integers(0, 255, (TRAIN, 28, 28), dtype=np.uint8), self.dynamics.train_labels.astype(np.int64))
        self.model = DynamicsModel()
        self.views = DynamicsViews(CLASS_NAMES)
        for view in vars(self.views).values():
            qtbot.addWidget(view)
        self.log = LogPane()
        qtbot.addWidget(self.log)
        self.inspected: list[tuple[str, list[int], int]] = []
        self.raised: list[str] = []
        self.panels = DynamicsPanelsController(
            views=self.views, model=self.model, predictions=self.predictions,
            inspect=lambda split, indices, position: self.inspected.append((split, list(indices), position)),
            raise_dock=self.raised.append, reporter=Reporter(self.log, self.window), settings=settings, window=self.window)

    def load(self) -> None:
        d = self.dynamics
        self.model.set_dynamics(d, summarize(d.train_probability, d.train_predicted, d.train_labels), "run Made up")


@pytest.fixture
def harness(qtbot, settings) -> Harness:
    return Harness(qtbot, settings)


def row_texts(view, column: int) -> list[str]:
    model = view.table_model
    return [model.data(model.index(row, column)) for row in range(model.rowCount())]


# Suspects

def test_suspects_list_the_mislabelled_images_most_suspicious_first(harness):
    view = harness.views.suspects
    assert "No training dynamics yet" in view.caption.text() and view.table_model.rowCount() == 0
    harness.load()
    assert view.listed.tolist() == list(MISLABELLED)
    assert row_texts(view, LABEL)[0] == "labelled T-shirt/top\nmodel says Trouser"
    assert row_texts(view, AGREEMENT)[0] == "100%" and row_texts(view, FORGOTTEN)[0] == "0×"
    assert view.caption.text().startswith("5 likely mislabelled images of 40 training images (run Made up, 4 epochs).")
    assert view.export_button.isEnabled()
    history, marks = view.table_model.data(view.table_model.index(0, HISTORY), Qt.ItemDataRole.UserRole + 1)
    assert history.tolist() == pytest.approx([0.05] * EPOCHS, abs=1e-3) and len(marks) == 0


def test_a_list_cut_to_the_most_suspicious_says_how_many_were_found(harness, monkeypatch):
    monkeypatch.setattr("fmnist_gui.dynamics.derive.SUSPECTS_KEPT", 2)
    harness.load()
    view = harness.views.suspects
    assert harness.model.summary.suspect_count == 5 and view.listed.tolist() == list(MISLABELLED[:2])
    assert view.caption.text().startswith("The 2 most suspicious of 5 likely mislabelled images of 40 training images")


def test_a_run_without_suspects_says_so(harness):
    d = harness.dynamics
    predicted = np.tile(d.train_labels, (EPOCHS, 1))
    harness.model.set_dynamics(d, summarize(d.train_probability, predicted, d.train_labels), "run Clean")
    view = harness.views.suspects
    assert view.listed.tolist() == [] and not view.export_button.isEnabled()
    assert view.caption.text().startswith("No training image looks mislabelled (run Clean, 4 epochs)")


def test_a_click_on_a_header_sorts_and_the_filter_keeps_one_label(harness):
    harness.load()
    view = harness.views.suspects
    view.table.sortByColumn(SCORE, Qt.SortOrder.AscendingOrder)
    assert view.listed.tolist() == list(reversed(MISLABELLED))
    view.label_filter.setCurrentIndex(3 + 1)  # Dress
    assert view.listed.tolist() == [3]
    assert view.caption.text().startswith("1 of 5 likely mislabelled images labelled Dress")
    view.label_filter.setCurrentIndex(9 + 1)
    assert view.listed.tolist() == [] and not view.export_button.isEnabled()


def test_enter_on_a_suspect_inspects_it_and_pin_pins_it(qtbot, harness):
    harness.load()
    view = harness.views.suspects
    view.table.sortByColumn(SCORE, Qt.SortOrder.AscendingOrder)
    view.table.activated.emit(view.table_model.index(1, LABEL))
    assert harness.inspected == [("train", [4, 3, 2, 1, 0], 1)]
    view.pin_requested.emit("train", 3)
    assert harness.model.pins == [("train", 3)] and harness.raised == ["pinned"]


def test_export_writes_the_listed_suspects_as_csv(harness, dialog_stub, tmp_path):
    harness.load()
    dialog_stub.export_path = str(tmp_path / "suspects.csv")
    harness.views.suspects.export_button.click()
    with open(tmp_path / "suspects.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [int(r["train_index"]) for r in rows] == list(MISLABELLED)
    assert rows[0]["given_class"] == "T-shirt/top" and rows[0]["predicted_class"] == "Trouser"
    assert float(rows[0]["confidence"]) == pytest.approx(0.05, abs=1e-3) and rows[0]["forgetting"] == "0"
    assert not dialog_stub.errors


def test_a_failing_export_reports_the_error_and_leaves_no_file(harness, dialog_stub, tmp_path):
    harness.load()
    target = tmp_path / "missing-folder" / "suspects.csv"
    dialog_stub.export_path = str(target)
    harness.views.suspects.export_button.click()
    assert dialog_stub.errors and dialog_stub.errors[0][0] == "Cannot export"
    assert "does not exist" in dialog_stub.errors[0][1]
    assert not target.exists() and not target.parent.exists()


# Pinned

def test_pinned_is_empty_with_a_hint_how_to_pin(harness):
    assert "Right-click an image in any gallery → Pin" in harness.views.pinned.caption.text()
    assert harness.views.pinned.cards == []


def test_each_pin_gets_a_sparkline_with_its_forgetting_marked(harness):
    harness.load()
    for pin in (("train", 5), ("train", ONCE_FORGOTTEN), ("test", 3), ("train", 0)):
        harness.model.pin(*pin)
    cards = harness.views.pinned.cards
    assert [(c.pinned.split, c.pinned.index) for c in cards] == [("train", 5), ("train", 10), ("test", 3), ("train", 0)]
    assert all(c.sparkline.isVisibleTo(c) for c in cards)
    assert [c.sparkline.forgotten.tolist() for c in cards] == [[1, 3], [2], [1], []]
    assert cards[0].title.text() == "<b>train #5</b> · Sandal"
    assert "forgotten 2×" in cards[0].status.text() and WRONG_COLOR.name() in cards[0].status.text()
    assert "never learned" in cards[3].status.text() and "forgotten 1×" in cards[1].status.text()


def test_a_pin_card_click_inspects_and_its_button_unpins(qtbot, harness):
    harness.load()
    for index in (5, 7):
        harness.model.pin("train", index)
    card = harness.views.pinned.cards[1]
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    assert harness.inspected == [("train", [5, 7], 1)]
    card.unpin_button.click()
    assert harness.model.pins == [("train", 5)] and len(harness.views.pinned.cards) == 1


def test_pins_before_any_dynamics_say_their_history_comes_later(harness):
    harness.model.pin("train", 5)
    card = harness.views.pinned.cards[0]
    assert not card.sparkline.isVisibleTo(card) and "No training history yet" in card.status.text()


def test_a_hidden_view_redraws_only_when_shown(harness):
    pinned = harness.views.pinned
    pinned.set_shown(False)
    harness.model.pin("train", 5)
    assert pinned.cards == []
    pinned.set_shown(True)
    assert len(pinned.cards) == 1


# Forgetting

def test_forgetting_bars_are_the_events_per_class_with_totals(harness):
    view = harness.views.forgetting
    assert "No training dynamics yet" in view.totals.text()
    harness.load()
    d = harness.dynamics
    stats = harness.model.summary.statistics
    assert view.bar_heights.tolist() == forgetting_by_class(stats.forgetting, d.train_labels).tolist()
    assert view.bar_heights.tolist() == [1, 0, 0, 0, 0, 2, 2, 2, 2, 2]
    assert "<b>6</b> forgotten at least once" in view.totals.text()
    assert "<b>5</b> never learned" in view.totals.text()
    assert view.listed.tolist() == [5, 6, 7, 8, 9, 10]
    assert view.gallery_model.data(view.gallery_model.index(0, 0)) == "forgotten 2×"


def test_a_click_on_a_bar_lists_that_class_and_a_click_on_an_image_inspects_it(qtbot, harness):
    harness.load()
    view = harness.views.forgetting
    view.resize(600, 600)
    view.show()
    qtbot.waitExposed(view)
    view_box = view.plot.getPlotItem().getViewBox()
    scene_point = view_box.mapViewToScene(QPointF(0.5, 6))  # the middle of the Shirt bar
    qtbot.mouseClick(view.plot.viewport(), Qt.MouseButton.LeftButton, pos=view.plot.mapFromScene(scene_point))
    assert view.chosen_class == 6 and view.listed.tolist() == [6]
    view.gallery.row_activated.emit(0)
    assert harness.inspected == [("train", [6], 0)]
    view.pin_requested.emit("train", 6)
    assert harness.model.is_pinned("train", 6)


def test_pin_in_an_open_context_menu_still_pins_after_the_list_was_emptied(qtbot, harness):
    """At an epoch's end the list empties while the new summary is derived: a menu opened before that
    still pins the image it was opened on (it read the emptied list's split and failed)."""
    harness.load()
    view = harness.views.forgetting
    view.resize(600, 600)
    view.show()
    qtbot.waitExposed(view)
    first = view.gallery.visualRect(view.gallery_model.index(0, 0)).center()
    view._on_context_menu(first)  # the view's own menu: the signal also opens the gallery's, which waits for a click
    menu = view.findChild(QMenu)
    pin = next(action for action in menu.actions() if action.text() == "Pin")
    harness.model.set_dynamics(harness.dynamics, None, "run Made up")  # the next summary is being derived
    assert view.gallery_model.split is None
    pin.trigger()
    menu.close()
    assert harness.model.is_pinned("train", 5)


def test_the_forgetting_marks_of_many_images_match_one_at_a_time():
    d = made_dynamics()
    predicted = d.train_predicted.copy()
    predicted[2, 5] = predicted[1, 20] = NOT_SEEN  # an epoch it was not seen in is skipped
    marks = forgetting_marks(predicted, d.train_labels)
    for i in range(TRAIN):
        assert marks[i].tolist() == forgetting_epochs(d.train_probability[:, i], predicted[:, i], int(d.train_labels[i])).tolist()
    assert marks[5].tolist() == [1] and marks[20].tolist() == []


# In the window

def test_the_window_has_the_three_docks_and_a_suspect_opens_in_the_inspector(qtbot, make_window):
    window = make_window()
    for key, title in (("suspects", "Suspects"), ("pinned", "Pinned"), ("forgetting", "Forgetting")):
        assert window.docks[key].windowTitle() == title
    labels = window.predictions.train.labels.astype(np.uint8)
    test_labels = window.predictions.test.labels.astype(np.uint8)
    predicted = np.tile(labels, (3, 1))
    predicted[:, 7] = (labels[7] + 1) % 10
    probability = np.where(predicted == labels, 0.9, 0.1).astype(np.float16)
    dynamics = TrainingDynamics(labels, test_labels, np.arange(1, 4), probability, predicted,
                                np.full((3, len(test_labels)), 0.9, np.float16), np.tile(test_labels, (3, 1)))
    window.dynamics_model.set_dynamics(dynamics, summarize(probability, predicted, labels), "this run")
    suspects = window.dynamics_views.suspects
    assert suspects.listed.tolist() == []  # a tab behind the curves: drawn once it is shown
    raise_dock(window.docks, "suspects")
    qtbot.waitUntil(lambda: suspects.listed.tolist() == [7])
    suspects.table.activated.emit(suspects.table_model.index(0, LABEL))
    inspector = window.views.inspector
    assert inspector.split_name == "train" and inspector.indices.tolist() == [7]
    assert not window.docks["inspector"].visibleRegion().isEmpty()

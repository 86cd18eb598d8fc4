"""The data map and the controller that feeds it: live runs, recorded runs, selection, hover, pins."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPointF, QRectF, Qt

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.dynamics import TrainingDynamics, summarize
from fmnist_gui.qt.shell.docks import raise_dock
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.views.data_map import DataMapView, correctness_bins
from fmnist_gui.runs import snapshots
from tests.qt.helpers import QUICK, train


# The view alone, on made-up dynamics
def made_up(count: int = 400, epochs: int = 4, seed: int = 1) -> tuple[Predictions, DynamicsModel]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, count).astype(np.uint8)
    probability = rng.random((epochs, count)).astype(np.float16)
    predicted = np.where(probability > 0.5, labels[None, :], (labels[None, :] + 1) % 10).astype(np.uint8)
    predictions = Predictions(CLASS_NAMES)
    predictions.set_data(np.zeros((5, 28, 28), np.uint8), np.zeros(5, np.int64),
                         rng.integers(0, 255, (count, 28, 28), dtype=np.uint8), labels.astype(np.int64))
    dynamics = TrainingDynamics(labels, np.zeros(5, np.uint8), np.arange(1, epochs + 1), probability, predicted,
                                np.zeros((epochs, 5), np.float16), np.zeros((epochs, 5), np.uint8))
    model = DynamicsModel()
    model.set_dynamics(dynamics, summarize(probability, predicted, labels), "a made-up run")
    return predictions, model


@pytest.fixture
def data_map(qtbot):
    predictions, model = made_up()
    view = DataMapView(predictions, model)
    qtbot.addWidget(view)
    view.resize(800, 700)
    view.show()
    qtbot.waitExposed(view)
    return view


def drawn_points(view: DataMapView) -> int:
    return sum(len(item) for item in view.bins)


def test_every_image_is_one_point_in_the_bin_of_its_correctness(data_map):
    stats = data_map.dynamics.summary.statistics
    assert drawn_points(data_map) == len(stats.confidence) == 400
    bins = correctness_bins(stats.correctness)
    for number, item in enumerate(data_map.bins):
        assert len(item) == int((bins == number).sum())
    assert "4 epochs of a made-up run; 400 images" in data_map.caption.text()


def test_the_point_arrays_leave_the_widgets_x_and_y_alone(data_map):
    """The arrays were once called x and y and hid QWidget.x() and y(): calling either raised TypeError."""
    assert (data_map.x(), data_map.y()) == (data_map.pos().x(), data_map.pos().y())
    assert len(data_map.variability) == len(data_map.confidence) == 400


def test_correctness_bins_keep_exact_fractions_in_their_bin():
    assert correctness_bins(np.array([0, 0.19, 0.2, 3 / 5, 0.8, 0.99, 1.0], np.float32)).tolist() == [0, 0, 1, 3, 4, 4, 5]


def test_hover_names_the_point_under_the_pointer_and_its_numbers(data_map):
    stats = data_map.dynamics.summary.statistics
    index = int(np.argmin(stats.confidence))  # a corner point: nothing else is as near
    found = data_map.hover_at(float(stats.variability[index]), float(stats.confidence[index]))
    assert found == index
    text = data_map.hover_text
    label = CLASS_NAMES[int(data_map.dynamics.dynamics.train_labels[index])]
    assert f"#{index:,}" in text and label in text
    assert f"confidence {stats.confidence[index]:.2f}" in text and f"variability {stats.variability[index]:.2f}" in text
    assert data_map.hover_card.isVisible()
    assert data_map.hover_at(0.55, 0.5) is None and not data_map.hover_card.isVisible()  # nothing out there


def test_rectangle_lists_exactly_the_points_inside_least_confident_first(data_map):
    stats = data_map.dynamics.summary.statistics
    data_map.select_rectangle(QRectF(QPointF(0.0, 0.3), QPointF(0.25, 0.7)))
    inside = np.flatnonzero((stats.variability >= 0) & (stats.variability <= 0.25)
                            & (stats.confidence >= 0.3) & (stats.confidence <= 0.7))
    assert len(inside) > 0
    assert sorted(data_map.selected.tolist()) == inside.tolist()
    assert np.all(np.diff(stats.confidence[data_map.selected]) >= 0)
    assert data_map.gallery.gallery_model.rowCount() == len(inside)
    assert f"{len(inside):,} images in the rectangle" in data_map.gallery_caption.text()


def test_shift_drag_draws_the_rectangle_a_plain_drag_pans(data_map):
    box = data_map.view_box
    drawn = []
    box.rectangle_drawn.connect(drawn.append)

    class Drag:  # what pyqtgraph hands mouseDragEvent, reduced to what it reads
        def __init__(self, modifiers):
            self._modifiers = modifiers
            self.accepted = False

        def button(self):
            return Qt.MouseButton.LeftButton

        def modifiers(self):
            return self._modifiers

        def buttonDownPos(self, button=None):
            return pg.Point(box.mapFromView(QPointF(0.05, 0.9)))

        def pos(self):
            return pg.Point(box.mapFromView(QPointF(0.15, 0.4)))

        def lastPos(self):
            return self.pos()

        def isStart(self):
            return False

        def isFinish(self):
            return True

        def accept(self):
            self.accepted = True

        def ignore(self):
            pass

    box.mouseDragEvent(Drag(Qt.KeyboardModifier.ShiftModifier))
    assert len(drawn) == 1
    rect = drawn[0]
    assert rect.left() == pytest.approx(0.05, abs=1e-3) and rect.bottom() == pytest.approx(0.9, abs=1e-3)
    stats = data_map.dynamics.summary.statistics
    expected = (stats.variability >= rect.left()) & (stats.variability <= rect.right()) & \
               (stats.confidence >= rect.top()) & (stats.confidence <= rect.bottom())
    assert len(data_map.selected) == int(expected.sum())
    box.mouseDragEvent(Drag(Qt.KeyboardModifier.NoModifier), None)
    assert len(drawn) == 1  # a plain drag pans the view


def test_class_filter_draws_and_selects_one_class_only(data_map):
    labels = data_map.dynamics.dynamics.train_labels
    data_map.select_rectangle(QRectF(-1, -1, 3, 3))
    assert len(data_map.selected) == 400
    data_map.class_choice.setCurrentIndex(1 + 3)
    assert drawn_points(data_map) == int((labels == 3).sum())
    assert set(labels[data_map.visible].tolist()) == {3}
    assert set(labels[data_map.selected].tolist()) == {3} and len(data_map.selected) == int((labels == 3).sum())


def test_no_dynamics_shows_how_to_get_a_map(qtbot):
    predictions = Predictions(CLASS_NAMES)
    view = DataMapView(predictions, DynamicsModel())
    qtbot.addWidget(view)
    assert view.pages.currentWidget() is view.empty
    assert "Train a model" in view.empty.text() and "recorded run" in view.empty.text()


# The whole window
@pytest.fixture
def window(make_window, qtbot):
    window = make_window()
    raise_dock(window.docks, "data_map")
    # A run brings the curves forward as it starts; this user looks at the map again at once.
    window.session.run_started.connect(lambda run: raise_dock(window.docks, "data_map"))
    return window


def wait_for_map(qtbot, window, epochs: int, source_start: str = "") -> None:
    model = window.dynamics_model
    qtbot.waitUntil(lambda: model.summary is not None and model.summary.epochs == epochs
                    and model.source.startswith(source_start) and not window.busy, timeout=20000)


def test_a_run_fills_the_map_at_each_epoch_with_every_training_image(qtbot, window):
    shown_epochs = []
    window.dynamics_model.changed.connect(lambda: shown_epochs.append(window.dynamics_model.epoch_count))
    train(qtbot, window, QUICK.replace(epochs=2))
    wait_for_map(qtbot, window, 2, "this run")
    assert 1 in shown_epochs and shown_epochs[-1] == 2
    count = len(window.predictions.train.labels)
    assert drawn_points(window.data_map) == count == len(window.data_map.visible)
    assert f"2 epochs of this run; {count:,} images" in window.data_map.caption.text()


def test_derived_only_while_a_dynamics_dock_is_on_screen(qtbot, make_window):
    window = make_window()  # the data map is a tab behind the curves
    train(qtbot, window, QUICK.replace(epochs=1))
    assert window.dynamics_model.summary is None and window.dynamics.full.epoch_count == 1
    raise_dock(window.docks, "data_map")
    wait_for_map(qtbot, window, 1, "this run")


def test_clicking_a_point_inspects_that_training_image(qtbot, window):
    train(qtbot, window, QUICK.replace(epochs=1))
    wait_for_map(qtbot, window, 1)
    view = window.data_map
    index = int(view.visible[len(view.visible) // 2])
    view.click_at(float(view.variability[index]), float(view.confidence[index]))
    inspector = window.views.inspector
    assert inspector.split_name == "train"
    clicked = inspector.current_index
    # The nearest point is chosen: the one asked for, or one drawn on the same spot.
    assert clicked == index or (view.variability[clicked], view.confidence[clicked]) == (view.variability[index], view.confidence[index])
    assert f"Training image #{clicked} — labelled" in inspector.heading.text()


def recorded_folder(window) -> Path:
    folder = window.document.run_folder
    assert folder is not None and (folder / "dynamics.npz").is_file()
    return folder


def test_opening_a_recorded_checkpoint_shows_its_run_up_to_its_epoch(qtbot, window):
    train(qtbot, window, QUICK.replace(epochs=2))
    wait_for_map(qtbot, window, 2, "this run")
    folder = recorded_folder(window)
    first = dict(snapshots(folder))[1]
    window.files.open_path(str(first))
    wait_for_map(qtbot, window, 1, "run “")
    assert window.dynamics_model.dynamics.epochs.tolist() == [1]
    assert "1 epoch of run “" in window.data_map.caption.text()
    window.timeline.epoch_chosen.emit(2)  # the Epochs timeline goes forward in the same run
    wait_for_map(qtbot, window, 2, "run “")


def test_damaged_dynamics_are_reported_and_the_map_stays(qtbot, window, dialog_stub):
    train(qtbot, window, QUICK.replace(epochs=1))
    wait_for_map(qtbot, window, 1, "this run")
    folder = recorded_folder(window)
    before = window.dynamics_model.dynamics
    (folder / "dynamics.npz").write_bytes(b"not a zip at all")
    window.files.open_path(str(dict(snapshots(folder))[1]))
    qtbot.waitUntil(lambda: any(title == "Cannot read the training dynamics" for title, _ in dialog_stub.errors), timeout=10000)
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    assert window.dynamics_model.dynamics is before
    assert "dynamics.npz" in dict(dialog_stub.errors)["Cannot read the training dynamics"]


def test_a_resumed_run_continues_the_dynamics(qtbot, window):
    train(qtbot, window, QUICK.replace(epochs=1))
    wait_for_map(qtbot, window, 1, "this run")
    first = window.dynamics_model.dynamics
    train(qtbot, window, QUICK.replace(epochs=1), click="continue_button")
    wait_for_map(qtbot, window, 2, "this run")
    now = window.dynamics_model.dynamics
    assert now.epochs.tolist() == [1, 2]
    assert np.array_equal(now.train_predicted[0], first.train_predicted[0])


def test_pin_from_a_gallery_with_p_and_from_the_inspector(qtbot, window):
    browser = window.views.browser
    raise_dock(window.docks, "browser")
    gallery = browser.gallery
    gallery.setCurrentIndex(gallery.model().index(3, 0))
    gallery.setFocus()
    qtbot.keyClick(gallery, Qt.Key.Key_P)
    assert window.dynamics_model.pins == [("test", int(browser.listed[3]))]
    window.analysis.inspect("train", np.array([7, 9]), 1)
    window.views.inspector.pin_button.click()
    assert ("train", 9) in window.dynamics_model.pins

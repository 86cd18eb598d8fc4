"""The projector and the layer views in the real window, after runs on synthetic data."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from pyqtgraph import Point
from PySide6.QtCore import QPointF, QRectF, Qt

from fmnist_gui.engine import projection
from fmnist_gui.engine.projection import Method
from tests.qt.helpers import QUICK, train


def _wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.busy, timeout=20000)


def _show(qtbot, window, key):
    window.docks[key].raise_()
    _wait_idle(qtbot, window)


def _point_in_scene(projector, index):
    return projector.view_box.mapViewToScene(QPointF(*projector.coordinates[index]))


@pytest.fixture
def mlp_window(qtbot, make_window):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    _show(qtbot, window, "projector")
    return window


def test_the_projector_shows_every_test_image_coloured_by_class_and_rings_the_mistakes(qtbot, mlp_window):
    window = mlp_window
    projector, test = window.inside_views.projector, window.predictions.test
    assert projector.split is not None
    assert projector.coordinates.shape == (len(test.labels), 2) == (200, 2)
    for number, item in enumerate(projector.class_items):  # one item per class, its points only
        x, y = item.getData()
        assert len(x) == (test.labels == number).sum()
        mine = projector.coordinates[test.labels == number]
        np.testing.assert_allclose(np.sort(x), np.sort(mine[:, 0]))
    # The same model's verdicts as the other views, and the mistakes ringed.
    np.testing.assert_array_equal(projector.predicted, test.predictions)
    assert len(projector.mistake_item.getData()[0]) == (test.predictions != test.labels).sum()
    assert "PCA" in projector.status.text() and projector.progress.isHidden()


def test_hover_shows_the_image_and_a_click_opens_it_in_the_inspector(qtbot, mlp_window):
    window = mlp_window
    projector, test = window.inside_views.projector, window.predictions.test
    index = int(np.argmax(projector.coordinates[:, 0]))  # the rightmost point: alone at its place
    projector._on_mouse_moved(_point_in_scene(projector, index))
    assert projector.hovered == index
    names = window.predictions.class_names
    assert f"#{index}" in projector.hover_text.text() and names[test.labels[index]] in projector.hover_text.text()
    assert projector.hover_image.isVisible()
    # Far from every point: nothing hovered.
    corner = projector.view_box.sceneBoundingRect().topLeft() + QPointF(1, 1)
    projector._on_mouse_moved(corner)
    assert projector.hovered is None

    position = projector.plot.mapFromScene(_point_in_scene(projector, index))
    with qtbot.waitSignal(window.analysis.explained, timeout=10000):
        qtbot.mouseClick(projector.plot.viewport(), Qt.MouseButton.LeftButton, pos=position)
    inspector = window.views.inspector
    assert inspector.current_index == index
    assert len(inspector.indices) > 1  # its neighbours in the picture, to step through
    assert window.docks["inspector"].isVisible()


def test_a_dragged_rectangle_fills_the_gallery_and_its_images_open_in_the_inspector(qtbot, mlp_window):
    window = mlp_window
    projector = window.inside_views.projector
    x, y = projector.coordinates[:, 0], projector.coordinates[:, 1]
    left, right = np.quantile(x, [0.2, 0.7])
    bottom, top = np.quantile(y, [0.1, 0.9])
    box = projector.view_box
    projector.select_button.setChecked(True)
    events = [SimpleNamespace(button=lambda: Qt.MouseButton.LeftButton, modifiers=lambda: Qt.KeyboardModifier.NoModifier,
                              buttonDownPos=lambda: box.mapFromView(QPointF(left, bottom)),
                              pos=lambda: box.mapFromView(QPointF(right, top)), isFinish=lambda finish=finish: finish,
                              accept=lambda: None) for finish in (False, True)]
    with qtbot.waitSignal(box.rectangle_drawn) as drawn:
        for event in events:
            box.mouseDragEvent(event)
    rect: QRectF = drawn.args[0]
    expected = np.flatnonzero((x >= rect.left()) & (x <= rect.right()) & (y >= rect.top()) & (y <= rect.bottom()))
    assert 10 < len(expected) < 200
    listed = projector.gallery.gallery_model.indices
    np.testing.assert_array_equal(listed, expected)
    assert f"{len(expected):,} images selected" in projector.selection_caption.text()
    with qtbot.waitSignal(window.analysis.explained, timeout=10000):
        projector.gallery.row_activated.emit(3)
    assert window.views.inspector.current_index == listed[3]


def test_without_select_a_drag_pans_instead_of_selecting(qtbot, mlp_window):
    projector = mlp_window.inside_views.projector
    box = projector.view_box
    before = box.viewRange()
    start, end = Point(10, 10), Point(60, 40)  # pyqtgraph's drag events carry its Point
    event = SimpleNamespace(button=lambda: Qt.MouseButton.LeftButton, modifiers=lambda: Qt.KeyboardModifier.NoModifier,
                            buttonDownPos=lambda *a: start, pos=lambda: end, lastPos=lambda: start,
                            isFinish=lambda: False, isStart=lambda: True, accept=lambda: None)
    with qtbot.assertNotEmitted(box.rectangle_drawn):
        box.mouseDragEvent(event)
    assert box.viewRange() != before


def test_the_newest_model_wins_when_pictures_overlap(qtbot, mlp_window, monkeypatch):
    window = mlp_window
    projector, predictions = window.inside_views.projector, window.predictions
    first = predictions.checkpoint
    state = dict(first.model_state)
    bias_name = [name for name in state if name.endswith("bias")][-1]
    bias = torch.full_like(state[bias_name], -100.0)
    bias[4] = 100.0  # every image a Coat
    state[bias_name] = bias
    second = dataclasses.replace(first, model_state=state)
    shown: list[np.ndarray] = []
    original = projector.set_points
    monkeypatch.setattr(projector, "set_points", lambda *args: (shown.append(args[2].copy()), original(*args)))
    args = (predictions.test.probabilities, predictions.confusion, predictions.per_class, predictions.baseline)
    predictions.set_results(first, *args)
    predictions.set_results(second, *args)  # before the first picture can arrive
    _wait_idle(qtbot, window)
    assert len(shown) == 1 and (shown[0] == 4).all()
    assert (projector.predicted == 4).all()


def test_pictures_are_computed_only_while_the_dock_is_in_front(qtbot, make_window, monkeypatch):
    window = make_window()
    asked: list[str] = []
    for name in ("project", "layers"):
        original = getattr(window.inference, name)
        monkeypatch.setattr(window.inference, name, lambda *args, name=name, original=original: (asked.append(name), original(*args)))
    window.docks["curves"].raise_()
    train(qtbot, window, QUICK.replace(epochs=1))
    assert asked == []
    _show(qtbot, window, "projector")
    assert asked == ["project"]
    _show(qtbot, window, "layers")
    assert asked == ["project", "layers"]
    _show(qtbot, window, "projector")
    assert asked == ["project", "layers"]  # nothing changed since: no new picture


def test_a_projector_open_during_a_run_follows_the_epochs_and_shows_the_last_model(qtbot, make_window, dialog_stub):
    window = make_window()
    window.session.run_started.connect(lambda run: window.docks["projector"].raise_())  # after the window shows the curves
    result = train(qtbot, window, QUICK.replace(epochs=3))
    _wait_idle(qtbot, window)
    projector = window.inside_views.projector
    assert dialog_stub.errors == []
    np.testing.assert_array_equal(projector.predicted, window.predictions.test.predictions)
    assert "epoch 3" in projector.status.text(), (result, projector.status.text())


def test_an_uninstalled_method_is_listed_but_cannot_be_chosen(qtbot, make_window, monkeypatch):
    monkeypatch.setitem(projection.METHODS, "tsne", Method("tsne", "t-SNE", "no_such_module_for_the_test", "tsne"))
    window = make_window()
    projector = window.inside_views.projector
    row = projector.method.findData("tsne")
    assert row >= 0 and not projector.is_method_enabled("tsne") and projector.is_method_enabled("pca")
    assert "not installed" in projector.method.itemText(row)
    assert "fmnist-gui[tsne]" in projector.method.itemData(row, Qt.ItemDataRole.ToolTipRole)


def test_choosing_tsne_lays_out_the_same_features_again(qtbot, mlp_window, monkeypatch):
    pytest.importorskip("openTSNE")
    window = mlp_window
    projector = window.inside_views.projector
    extracted: list[int] = []
    from fmnist_gui.engine import features

    original = features.penultimate_features
    monkeypatch.setattr(features, "penultimate_features", lambda *a, **k: (extracted.append(1), original(*a, **k))[1])
    projector.method.setCurrentIndex(projector.method.findData("tsne"))
    _wait_idle(qtbot, window)
    assert "t-SNE" in projector.status.text()
    assert extracted == []  # the model did not change: its features were kept
    assert not projector.plot.getPlotItem().getAxis("bottom").isVisible()  # t-SNE's axes mean nothing


def test_layers_show_the_mlps_weight_pictures_and_hidden_units_of_the_inspected_image(qtbot, mlp_window):
    window = mlp_window
    _show(qtbot, window, "layers")
    layers = window.inside_views.layers
    assert "512 units' 784 weights" in layers.filters_caption.text() and layers.filters.height() > 100
    assert layers.layer_rows == []
    with qtbot.waitSignal(window.analysis.explained, timeout=10000):
        window.analysis.inspect("test", np.array([5, 6]), 0)
    window.docks["layers"].raise_()
    _wait_idle(qtbot, window)
    captions = [label.text() for label, _ in layers.layer_rows]
    assert [c.split(":")[0] for c in captions] == ["Hidden layer 1", "Hidden layer 2"]
    assert "Test image #5" in layers.activations_caption.text()


def test_layers_show_a_cnns_filters_and_feature_maps(qtbot, make_window):
    window = make_window()
    window.session.run_started.connect(lambda run: window.docks["layers"].raise_())
    train(qtbot, window, QUICK.replace(model="small-cnn", epochs=1))
    _wait_idle(qtbot, window)
    layers = window.inside_views.layers
    assert "16 filters (3x3)" in layers.filters_caption.text()
    window.analysis.inspect("test", np.array([7]), 0)
    window.docks["layers"].raise_()
    qtbot.waitUntil(lambda: len(layers.layer_rows) == 3, timeout=10000)
    captions = [label.text() for label, _ in layers.layer_rows]
    assert captions[0].startswith("Convolution 1: 16 feature maps of 28x28")
    assert captions[1].startswith("Convolution 2: 32 feature maps of 14x14")
    assert all(view.height() > 0 for _, view in layers.layer_rows)


def test_a_run_starting_while_a_picture_is_computed_ends_with_the_runs_last_model(qtbot, mlp_window, dialog_stub):
    window = mlp_window
    projector = window.inside_views.projector
    window.session.run_started.connect(lambda run: window.docks["projector"].raise_())
    projector.method_chosen.emit("pca")  # a picture of the old model under way…
    assert window.busy
    train(qtbot, window, QUICK.replace(epochs=2))  # …when a new run starts
    _wait_idle(qtbot, window)
    assert dialog_stub.errors == []
    np.testing.assert_array_equal(projector.predicted, window.predictions.test.predictions)
    assert "epoch 2" in projector.status.text()

"""The confusion matrix and per-class accuracy views, given realistic data, driven with qtbot."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.qt.views.confusion import ConfusionMatrixView
from fmnist_gui.qt.views.per_class import PerClassAccuracyView

SHIRT, TSHIRT = 6, 0


@pytest.fixture
def confusion() -> np.ndarray:
    """A small CNN's mistakes on Fashion-MNIST's 10,000 test images: Shirt is mixed up with tops and coats."""
    rng = np.random.default_rng(0)
    right = np.array([860, 978, 862, 915, 860, 978, 720, 966, 976, 963])
    matrix = np.zeros((10, 10), dtype=np.int64)
    for true, correct in enumerate(right):
        weights = rng.random(10) ** 3
        weights[true] = 0
        matrix[true] = rng.multinomial(1000 - correct, weights / weights.sum())
        matrix[true, true] = correct
    matrix[SHIRT] = [112, 1, 65, 26, 68, 0, 720, 0, 8, 0]
    return matrix


@pytest.fixture
def matrix_view(qtbot, confusion) -> ConfusionMatrixView:
    view = ConfusionMatrixView(CLASS_NAMES)
    qtbot.addWidget(view)
    view.resize(view.sizeHint())
    view.set_matrix(confusion)
    return view


def distinct_colors(view) -> int:
    image = view.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    pixels = np.frombuffer(image.constBits(), np.uint32, image.sizeInBytes() // 4)
    return len(np.unique(pixels))


def test_the_matrix_shows_every_count(matrix_view, confusion):
    shown = sum(int(matrix_view.cell_texts(t, p)[0]) for t in range(10) for p in range(10))
    assert shown == confusion.sum() == 10_000
    assert matrix_view.cell_texts(SHIRT, TSHIRT) == ("112", "11%")
    accuracy = 100 * np.trace(confusion) / 10_000
    assert matrix_view.caption == f"10,000 test images, {accuracy:.1f}% correct. Click a cell to see its images."


def test_a_click_on_a_cell_reports_its_classes(qtbot, matrix_view):
    with qtbot.waitSignal(matrix_view.cell_clicked) as clicked:
        qtbot.mouseClick(matrix_view, Qt.MouseButton.LeftButton, pos=matrix_view.cell_rect(SHIRT, TSHIRT).center().toPoint())
    assert clicked.args == [SHIRT, TSHIRT]
    assert matrix_view.cell_at(matrix_view.cell_rect(9, 9).center()) == (9, 9)


def test_clicks_off_the_grid_do_nothing(qtbot, matrix_view):
    assert matrix_view.cell_at(QPointF(2, 2)) is None
    assert matrix_view.cell_at(QPointF(matrix_view.width() - 1, matrix_view.height() - 1)) is None
    with qtbot.assertNotEmitted(matrix_view.cell_clicked):
        qtbot.mouseClick(matrix_view, Qt.MouseButton.LeftButton, pos=QPointF(2, 2).toPoint())


def test_hovering_a_cell_explains_it(qtbot, matrix_view):
    matrix_view.show()
    qtbot.waitExposed(matrix_view)
    qtbot.mouseMove(matrix_view, matrix_view.cell_rect(SHIRT, TSHIRT).center().toPoint())
    qtbot.waitUntil(lambda: matrix_view.toolTip() != "")
    assert matrix_view.toolTip() == "True Shirt, predicted T-shirt/top: 112 images (11.2% of Shirt)"


def test_clearing_the_matrix(qtbot, matrix_view):
    matrix_view.set_matrix(None)
    assert matrix_view.matrix is None and matrix_view.cell_at(matrix_view.cell_rect(0, 0).center()) is None
    assert matrix_view.caption.startswith("No model yet")
    with qtbot.assertNotEmitted(matrix_view.cell_clicked):
        qtbot.mouseClick(matrix_view, Qt.MouseButton.LeftButton, pos=matrix_view.cell_rect(0, 0).center().toPoint())


def test_a_matrix_of_the_wrong_shape_is_refused(matrix_view):
    with pytest.raises(ValueError, match="10x10"):
        matrix_view.set_matrix(np.zeros((9, 9), dtype=int))


@pytest.mark.parametrize("size", ["minimum", (1200, 900)])
def test_the_matrix_renders(matrix_view, size):
    matrix_view.resize(matrix_view.minimumSize() if size == "minimum" else matrix_view.size().__class__(*size))
    assert distinct_colors(matrix_view) > 10
    last = matrix_view.cell_rect(9, 9)
    assert last.right() <= matrix_view.width() and last.bottom() <= matrix_view.height()


@pytest.fixture
def per_class(qtbot) -> PerClassAccuracyView:
    view = PerClassAccuracyView(CLASS_NAMES)
    qtbot.addWidget(view)
    return view


def test_per_class_keeps_what_it_shows(per_class):
    latest = np.array([86.2, 97.9, 86.1, 91.7, 86.1, 97.9, 72.1, 96.7, 97.7, 96.4])
    before = latest + np.array([-1.2, 0.3, 2.5, 0.0, -3.1, 0.4, -4.8, 0.6, 0.02, -0.9])
    per_class.set_accuracies(latest, before, "Epoch 3", "epoch 2")
    assert np.array_equal(per_class.current, latest) and np.array_equal(per_class.previous, before)
    assert not per_class.current.flags.writeable
    assert per_class.caption == "Epoch 3 (faint: epoch 2)"
    assert per_class.value_texts(0) == ("86.2%", "▲1.2")
    assert per_class.value_texts(2) == ("86.1%", "▼2.5")
    assert per_class.value_texts(8) == ("97.7%", "")  # too small a change to mark
    assert per_class.bar_rect(1).width() > per_class.bar_rect(6).width() > 0
    per_class.set_accuracies(latest)
    assert per_class.previous is None and per_class.caption == "Latest evaluation"
    assert per_class.value_texts(0) == ("86.2%", "")


def test_per_class_shows_a_dash_for_a_missing_class(per_class):
    values = np.full(10, 90.0)
    values[4] = math.nan
    per_class.set_accuracies(values, np.full(10, 80.0), "Epoch 2", "epoch 1")
    assert per_class.value_texts(4) == ("—", "")
    assert per_class.bar_rect(4).width() == 0
    per_class.set_accuracies(None)
    assert per_class.current is None and per_class.caption.startswith("No evaluation yet")


def test_per_class_refuses_the_wrong_number_of_values(per_class):
    with pytest.raises(ValueError, match="10 per-class"):
        per_class.set_accuracies(np.zeros(9))


@pytest.mark.parametrize("size", ["minimum", (1200, 900)])
def test_per_class_renders(per_class, size):
    values = np.array([86.2, 97.9, 86.1, 91.7, math.nan, 97.9, 72.1, 96.7, 97.7, 96.4])
    per_class.set_accuracies(values, values + 1.0, "Epoch 5", "epoch 4")
    per_class.resize(per_class.minimumSize() if size == "minimum" else per_class.size().__class__(*size))
    assert distinct_colors(per_class) > 5
    assert per_class.bar_rect(1).right() <= per_class.width()

"""Parallel coordinates: brushing keeps what every brush holds, axes move, a click clears."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

from fmnist_gui.qt.views.parallel_coordinates import Axis, Coordinates, ParallelCoordinates


def coordinates() -> Coordinates:
    lr = np.array([1e-4, 1e-3, 1e-2, 1e-1])
    axes = [Axis("lr", lr, log=True), Axis("optimizer", np.array([0.0, 1.0, 0.0, 1.0]), choices=("sgd", "adamw")),
            Axis("value", np.array([80.0, 85.0, 90.0, 70.0]))]
    return Coordinates(axes, np.array([10, 11, 12, 13]), axes[-1].values, np.array([True, True, True, False]))


def test_brushes_on_two_axes_keep_the_trials_inside_both(qtbot):
    view = ParallelCoordinates()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.set_data(coordinates())
    with qtbot.waitSignal(view.brushed) as kept:
        view.brush("lr", 0.3, 1.0)  # log axis: 1e-3, 1e-2 and 1e-1 are at 1/3, 2/3 and 1
    assert list(kept.args[0]) == [11, 12, 13]
    with qtbot.waitSignal(view.brushed) as kept:
        view.brush("value", 0.5, 1.0)  # value 70 to 90: above 80
    assert list(kept.args[0]) == [11, 12]
    view.set_data(coordinates())  # new trials keep the brushes
    assert list(view.data.numbers[view.data.kept]) == [11, 12]
    with qtbot.waitSignal(view.brushed) as kept:
        view.clear_brushes()
    assert list(kept.args[0]) == [10, 11, 12, 13]


def test_a_drag_along_an_axis_brushes_and_a_click_clears(qtbot):
    view = ParallelCoordinates()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    view.set_data(coordinates())
    x = int(view._axis_x(2))
    top, bottom = int(view._y(1.0)), int(view._y(0.55))
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x, top))
    QTest.mouseMove(view, QPoint(x, bottom))
    with qtbot.waitSignal(view.brushed) as kept:
        QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(x, bottom))
    assert list(kept.args[0]) == [11, 12]
    with qtbot.waitSignal(view.brushed) as kept:
        QTest.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(x, (top + bottom) // 2))
    assert len(kept.args[0]) == 4


def test_dragging_an_axis_title_moves_the_axis(qtbot):
    view = ParallelCoordinates()
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    view.set_data(coordinates())
    QTest.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(int(view._axis_x(0)), 10))
    QTest.mouseMove(view, QPoint(int(view._axis_x(2)), 10))
    QTest.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(int(view._axis_x(2)), 10))
    assert [axis.name for axis in view.data.axes] == ["optimizer", "value", "lr"]

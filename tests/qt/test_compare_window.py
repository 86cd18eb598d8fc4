"""Two models in the window: File → Compare with…, two runs from the Runs tab, the Compare view, Inspect, the presenter."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QApplication

from fmnist_gui.checkpoint import save_checkpoint
from fmnist_gui.qt.views.presenter import PresenterView
from tests.engine.export_helpers import fresh_checkpoint
from tests.qt.helpers import QUICK, train


def compared(qtbot, window) -> None:
    qtbot.waitUntil(lambda: window.comparison.result is not None and not window.busy, timeout=30000)


def test_compare_with_a_file_fills_the_compare_view_and_the_inspector_answers_with_both(qtbot, make_window, dialog_stub,
                                                                                         tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    other = save_checkpoint(fresh_checkpoint("quickstart-mlp", seed=5), tmp_path / "other.pt")
    dialog_stub.open_path = str(other)
    window.menus.actions["compare_with"].trigger()
    compared(qtbot, window)
    result, view = window.comparison.result, window.compare_view
    assert "B: other.pt" in view.heading.text() and view.verdict.text() and "McNemar" in view.counts.text()
    assert view.matrix.item(0, 0).text() == ""  # agreement is not a disagreement
    assert sum(int(view.matrix.item(r, c).text().replace(",", "") or 0) for r in range(10) for c in range(10)
               if view.matrix.item(r, c).text() not in ("", "·")) == int(result.disagreement_matrix.sum())
    assert len(view.tiles.tiles) == min(60, len(result.disagreements))
    qtbot.waitUntil(lambda: len(view.tiles.saliency) == len(view.tiles.tiles), timeout=30000)
    row, column = np.unravel_index(int(np.argmax(result.disagreement_matrix)), result.disagreement_matrix.shape)
    view.matrix.cellClicked.emit(int(row), int(column))
    assert all((t.a, t.b) == (row, column) for t in view.tiles.tiles) and view.show_all_button.isVisibleTo(view)
    window.analysis.inspect("test", np.array([view.tiles.tiles[0].index]), 0)
    qtbot.waitUntil(lambda: window.views.inspector.compare_bars.isVisibleTo(window.views.inspector), timeout=10000)
    assert "B: other.pt" in window.views.inspector.compare_label.text()
    window.menus.actions["stop_comparing"].trigger()
    assert window.comparison.other is None and not window.menus.actions["stop_comparing"].isEnabled()


def test_a_bad_file_to_compare_with_changes_nothing(qtbot, make_window, dialog_stub, tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    dialog_stub.open_path = str(tmp_path / "bad.pt")
    window.menus.actions["compare_with"].trigger()
    qtbot.waitUntil(lambda: bool(dialog_stub.errors), timeout=10000)
    assert dialog_stub.errors[0][0] == "Cannot compare with this file" and window.comparison.other is None


def test_two_runs_from_the_runs_tab_open_the_first_and_compare_the_second(qtbot, make_window):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1, seed=1))
    first = window.document.run_folder
    window.document.unsaved = False
    train(qtbot, window, QUICK.replace(epochs=1, seed=2))
    second = window.document.run_folder
    window.document.unsaved = False
    window.runs_view.compare_requested.emit(first, second)
    compared(qtbot, window)
    assert window.document.run_folder == first and window.comparison.other_name == second.name


def test_the_presenter_opened_while_comparing_answers_with_both(qtbot, make_window, dialog_stub, tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    dialog_stub.open_path = str(save_checkpoint(fresh_checkpoint("quickstart-mlp", seed=5), tmp_path / "other.pt"))
    window.menus.actions["compare_with"].trigger()
    compared(qtbot, window)
    presenter = window.present()
    (view,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, PresenterView) and w.isVisible()]
    qtbot.waitUntil(lambda: view.bars.answer(0) is not None and view.bars.answer(1) is not None, timeout=20000)
    assert "B: other.pt" in view.header.text()
    presenter.leave()

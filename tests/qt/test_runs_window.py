"""Runs as the unit: recorded from the window and the CLI, listed, overlaid, browsed by epoch, followed, exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtSvg import QSvgRenderer

from fmnist_gui.runs import list_runs, read_metrics
from tests.qt.helpers import QUICK, train


def _cli_train(synthetic_dir, runs_dir, *options: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", FMNIST_RUNS=str(runs_dir))
    return subprocess.run([sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--batch-size", "100",
                           "--data-dir", str(synthetic_dir), *options], env=env, capture_output=True, text=True, timeout=120)


def _show_runs(qtbot, window, count: int) -> None:
    window.docks["runs"].raise_()
    window.runs.refresh()
    qtbot.waitUntil(lambda: len(window.runs.runs) == count and not window.busy, timeout=15000)


def _overlaid(window) -> list:
    return [item for plot, item in window.plots._overlay_items if isinstance(item, pg.PlotDataItem) and item.name()]


def test_runs_from_the_window_and_the_cli_are_listed_and_overlaid(qtbot, make_window, runs_dir, synthetic_dir):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=2))
    folder = window.document.run_folder
    assert folder is not None and folder.parent == runs_dir
    assert [h.epoch for h in read_metrics(folder)] == [1, 2]
    assert _cli_train(synthetic_dir, runs_dir, "--epochs", "1", "--seed", "3").returncode == 0
    _show_runs(qtbot, window, 2)
    assert {run.status for run in window.runs.runs} == {"completed"}
    window.runs_view.table.selectAll()
    qtbot.waitUntil(lambda: len(_overlaid(window)) == 2 and not window.busy, timeout=10000)
    assert sorted(item.name() for item in _overlaid(window)) == sorted(run.name for run in window.runs.runs)
    window.runs_view.table.clearSelection()
    qtbot.waitUntil(lambda: not _overlaid(window), timeout=5000)


def test_runs_that_differ_only_in_seed_are_drawn_as_a_band(qtbot, make_window, runs_dir, synthetic_dir):
    for seed in (1, 2, 3):
        assert _cli_train(synthetic_dir, runs_dir, "--epochs", "2", "--seed", str(seed)).returncode == 0
    window = make_window()
    _show_runs(qtbot, window, 3)
    window.runs_view.group.setChecked(True)
    window.runs_view.table.selectAll()
    qtbot.waitUntil(lambda: len(_overlaid(window)) == 1 and not window.busy, timeout=10000)
    assert "and 2 more (mean ± sd)" in _overlaid(window)[0].name()
    assert any(isinstance(item, pg.FillBetweenItem) for _, item in window.plots._overlay_items)


def test_the_timeline_loads_any_epoch_into_the_views_and_compares_two(qtbot, make_window, runs_dir):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=3))
    qtbot.waitUntil(lambda: window.timeline.slider.maximum() == 2 and not window.busy, timeout=10000)
    window.timeline.slider.setValue(0)
    qtbot.waitUntil(lambda: window.predictions.checkpoint is not None and window.predictions.checkpoint.epoch == 1
                    and not window.busy, timeout=10000)
    assert window.document.checkpoint.epoch == 3  # the model on screen stays; the views show epoch 1
    assert window.views.per_class.label == "Epoch 1"
    window.views.samples.tiles[0].clicked.emit()
    qtbot.waitUntil(lambda: window.views.inspector.explanation is not None and not window.busy, timeout=10000)
    window.timeline.compare.setCurrentIndex(window.timeline.compare.findData(3))
    window.timeline.compare.activated.emit(window.timeline.compare.currentIndex())
    qtbot.waitUntil(lambda: window.views.inspector.compare_bars.isVisibleTo(window.views.inspector)
                    and window.views.inspector.compare_bars._probabilities.sum() > 0.99 and not window.busy, timeout=10000)
    assert "Epoch 3" in window.views.inspector.compare_label.text()


def test_the_window_follows_a_run_another_process_writes(qtbot, make_window, runs_dir, synthetic_dir, dialog_stub):
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", FMNIST_RUNS=str(runs_dir))
    process = subprocess.Popen([sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--batch-size", "10",
                                "--epochs", "3", "--data-dir", str(synthetic_dir)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        window = make_window()
        first_line = process.stdout.readline()  # the first epoch's summary: the folder exists by now
        assert "epoch 1/3" in first_line
        (folder,) = [path for path in runs_dir.iterdir() if path.is_dir() and not path.name.startswith(".")]
        dialog_stub.follow_folder = str(folder)
        window.menus.actions["follow"].trigger()
        qtbot.waitUntil(lambda: len(window.plots.test_accuracy.series.x) >= 1, timeout=20000)
        process.stdout.read()
        assert process.wait(60) == 0
        qtbot.waitUntil(lambda: len(window.plots.test_accuracy.series.x) == 3 and window.predictions.checkpoint is not None
                        and window.predictions.checkpoint.epoch == 3 and not window.busy, timeout=20000)
        assert "completed" in window.status.currentMessage()
        # The followed run's own values and name, never the model that was on screen before (issue: small-cnn shown)
        followed = list_runs(runs_dir)[0]
        assert window.controls.config() == followed.config and window.controls.config().model == "quickstart-mlp"
        assert not window.controls.lr.isEnabled() and not window.controls.train_button.isEnabled()
        assert f"following “{followed.name}”" in window.windowTitle()
        window.following.stop()
        assert window.controls.lr.isEnabled() and "following" not in window.windowTitle()
    finally:
        process.kill()
        process.wait()


def test_a_followed_folder_that_vanishes_is_said_once(qtbot, make_window, runs_dir, dialog_stub, tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    folder = window.document.run_folder
    window.document.unsaved = False
    window.following.follow(folder)
    qtbot.waitUntil(lambda: len(window.plots.test_accuracy.series.x) == 1 and not window.busy, timeout=10000)
    for path in sorted(folder.rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    folder.rmdir()
    qtbot.waitUntil(lambda: not window.following.active, timeout=10000)
    assert [title for title, _ in dialog_stub.errors] == ["The followed run is gone"]


def test_rename_note_trash_and_undo(qtbot, make_window, runs_dir, synthetic_dir, dialog_stub):
    assert _cli_train(synthetic_dir, runs_dir, "--epochs", "1").returncode == 0
    window = make_window()
    _show_runs(qtbot, window, 1)
    window.runs_view.table.selectRow(0)
    dialog_stub.text = "baseline"
    window.runs_view.rename_button.click()
    dialog_stub.text = "first try"
    window.runs_view.note_button.click()
    (run,) = list_runs(runs_dir)
    assert (run.name, run.note) == ("baseline", "first try")
    window.runs_view.trash_button.click()
    assert list_runs(runs_dir) == [] and window.runs_view.undo_button.isVisibleTo(window.runs_view)
    window.runs_view.undo_button.click()
    assert [r.name for r in list_runs(runs_dir)] == ["baseline"]


def test_an_interrupted_run_is_offered_at_the_next_start(qtbot, make_window, runs_dir, synthetic_dir, dialog_stub):
    assert _cli_train(synthetic_dir, runs_dir, "--epochs", "1").returncode == 0
    (folder,) = [path for path in runs_dir.iterdir() if not path.name.startswith(".")]
    record = json.loads((folder / "run.json").read_text())
    record.update(status="running", pid=2**22 + 12345)  # as if the process had been killed
    (folder / "run.json").write_text(json.dumps(record))
    window = make_window()
    qtbot.waitUntil(lambda: bool(dialog_stub.confirms) and window.document.checkpoint is not None and not window.busy, timeout=15000)
    assert "was interrupted at epoch 1" in dialog_stub.confirms[0]
    assert window.document.run_folder == folder and window.controls.continue_button.isEnabled()


def test_plots_and_the_matrix_export_as_pictures_and_tables(qtbot, make_window, runs_dir, dialog_stub, tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    for action, name in (("export_plots_png", "curves.png"), ("export_plots_svg", "curves.svg"),
                         ("export_confusion_png", "matrix.png"), ("export_confusion_csv", "matrix.csv"),
                         ("export_metrics", "metrics.csv")):
        dialog_stub.export_path = str(tmp_path / name)
        window.menus.actions[action].trigger()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    assert not dialog_stub.errors
    assert QSvgRenderer(str(tmp_path / "curves.svg")).isValid()
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG" and (tmp_path / "matrix.png").stat().st_size > 1000
    assert len((tmp_path / "matrix.csv").read_text().splitlines()) == 11
    assert (tmp_path / "metrics.csv").read_text().startswith("run,epoch,metric,value")


@pytest.mark.parametrize("which", ["root", "empty"])
def test_a_folder_that_is_not_a_run_is_not_followed(qtbot, make_window, dialog_stub, tmp_path, which):
    """Any folder, even /, could be followed; the log then said 'The run "" has no training dynamics'."""
    window = make_window()
    folder = Path("/") if which == "root" else tmp_path
    window.open_any(str(folder))
    assert not window.following.active and window.following.folder is None
    (title, message), = dialog_stub.errors
    assert title == "Cannot follow this folder" and "is not a run folder: it holds no run.json" in message


def test_double_clicking_a_running_run_offers_to_follow_it_and_never_says_it_ended(qtbot, make_window, runs_dir,
                                                                                 synthetic_dir, dialog_stub):
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", FMNIST_RUNS=str(runs_dir))
    process = subprocess.Popen([sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--batch-size", "10",
                                "--epochs", "50", "--data-dir", str(synthetic_dir)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert "epoch 1/50" in process.stdout.readline()
        window = make_window()
        (folder,) = [path for path in runs_dir.iterdir() if path.is_dir() and not path.name.startswith(".")]
        assert window.runs.open_run(folder)
        assert "is still training" in dialog_stub.confirms[-1] and window.following.active
        assert window.following.folder == folder and not any("ended" in message for _, message in dialog_stub.errors)
        window.following.stop()
    finally:
        process.kill()
        process.wait()


def _visible_rows(window) -> float:
    table = window.runs_view.table
    return table.viewport().height() / table.verticalHeader().defaultSectionSize()


@pytest.mark.parametrize(("size", "rows"), [((1920, 1040), 5), ((1280, 760), 3)])
def test_the_runs_table_shows_a_few_runs_at_first_and_the_train_button_stays_in_view(qtbot, make_window, size, rows):
    window = make_window()
    window.resize(*size)
    window.reset_layout()
    window.raise_dock("runs")
    qtbot.wait(50)
    assert rows <= _visible_rows(window) < rows + 1  # a few rows: not 1.5, and not half the window
    train_button = window.controls.train_button
    assert train_button.visibleRegion().boundingRect().height() == train_button.height()  # not scrolled away


def test_the_runs_table_tells_runs_apart_by_their_settings_and_columns_can_be_hidden(
        qtbot, make_window, runs_dir, synthetic_dir, settings):
    for options in (["--batch-size", "100"], ["--batch-size", "50", "--weight-decay", "0.01", "--augment"]):
        assert _cli_train(synthetic_dir, runs_dir, "--epochs", "1", *options).returncode == 0
    window = make_window()
    _show_runs(qtbot, window, 2)
    from fmnist_gui.qt.views.runs_table import COLUMNS

    model = window.runs_view.proxy
    rows = [{COLUMNS[c]: model.index(r, c).data() for c in range(model.columnCount())} for r in range(model.rowCount())]
    assert sorted((row["Batch"], row["Weight decay"], row["Augment"]) for row in rows) == [
        ("100", "0", "none"), ("50", "0.01", "flips, shifts")]
    assert {row["Schedule"] for row in rows} == {"constant"}
    tooltip = model.index(0, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert "batch size" in tooltip and "weight decay" in tooltip and "seed 0" in tooltip
    assert str(window.runs.runs[0].folder.parent) in tooltip  # the folder is still said, after the settings

    header = window.runs_view.table.horizontalHeader()
    weight_decay = COLUMNS.index("Weight decay")
    menu = window.runs_view.columns_menu()
    assert [action.text() for action in menu.actions()] == list(COLUMNS[1:])  # the name cannot be hidden
    next(action for action in menu.actions() if action.text() == "Weight decay").trigger()
    assert window.runs_view.table.isColumnHidden(weight_decay)
    assert header.isSectionHidden(weight_decay)
    window.shutdown()
    again = make_window()
    assert again.runs_view.hidden_columns() == ["Weight decay"]  # the choice is kept

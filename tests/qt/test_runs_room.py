"""The runs comparison room: the chosen metric's curves, only the hyperparameters that differ, two runs compared."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fmnist_gui.config import TrainConfig
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.shell.runs_room import RunsRoomWindow
from fmnist_gui.runs.layout import BATCH_COLUMNS, METRICS_CSV, METRICS_HEADER, RUN_JSON


def write_run(runs_dir: Path, name: str, config: TrainConfig, test_loss: list[float], shirt: float) -> Path:
    """A completed run with one metrics row per epoch and three batch reports per epoch."""
    folder = runs_dir / f"2026-01-01_000000-{name}"
    folder.mkdir(parents=True)
    run = {"schema": 1, "id": folder.name, "name": name, "note": "", "status": "completed",
           "created": "2026-01-01T00:00:00.000+00:00", "config": config.to_dict(), "epochs_done": len(test_loss),
           "epochs_asked": len(test_loss), "duration": 3.0}
    (folder / RUN_JSON).write_text(json.dumps(run))
    rows = [",".join(METRICS_HEADER)]
    for epoch, loss in enumerate(test_loss, start=1):
        classes = [80.0] * 6 + [shirt + epoch] + [80.0] * 3
        rows.append(",".join(str(v) for v in (epoch, 30 * epoch, 0.5, 80.0, loss, 85.0, config.lr, 1.0, *classes)))
    (folder / METRICS_CSV).write_text("\n".join(rows) + "\n")
    batches = [",".join(BATCH_COLUMNS)] + [f"{10 * step},{1 + (10 * step - 1) // 30},{1.0 / step},{config.lr}"
                                           for step in range(1, 3 * len(test_loss) + 1)]
    (folder / "batches.csv").write_text("\n".join(batches) + "\n")
    return folder


@pytest.fixture
def room(qtbot):
    work = BackgroundWork()
    compared: list[tuple[Path, Path]] = []
    window = RunsRoomWindow(inference=InferenceWorker(work), compare_runs=lambda a, b: compared.append((a, b)),
                            open_run=lambda folder: None)
    qtbot.addWidget(window)
    window.compared = compared
    yield window
    window.close()
    work.shutdown()


def test_the_room_shows_the_chosen_metric_and_only_the_columns_that_differ(qtbot, room, tmp_path):
    first = write_run(tmp_path, "slow", TrainConfig(lr=0.01), [0.9, 0.7, 0.5], shirt=40.0)
    second = write_run(tmp_path, "fast", TrainConfig(lr=0.1, seed=3), [0.8, 0.6, 0.55], shirt=50.0)
    room.show_runs([first, second])
    view = room.view
    qtbot.waitUntil(lambda: len(view.curve_data()) == 2, timeout=10000)
    x, y = view.curve_data()[0]  # test accuracy first
    assert x.tolist() == [1, 2, 3] and y.tolist() == [85.0, 85.0, 85.0]
    view.choose_metric("test_loss")
    assert [data[1].tolist() for data in view.curve_data()] == [[0.9, 0.7, 0.5], [0.8, 0.6, 0.55]]
    view.choose_metric("class_6")  # one class's accuracy: Shirt
    assert [data[1].tolist() for data in view.curve_data()] == [[41.0, 42.0, 43.0], [51.0, 52.0, 53.0]]
    view.choose_metric("batch_loss")  # read from batches.csv once asked for
    qtbot.waitUntil(lambda: len(view.curve_data()[0][0]) == 9, timeout=10000)
    x, y = view.curve_data()[1]
    assert np.allclose(x[:3], [1 / 3, 2 / 3, 1.0]) and np.allclose(y[:2], [1.0, 0.5])
    assert view.visible_columns() == ["Run", "Status", "Best test", "Epochs", "Duration", "lr", "seed"]
    view.differing_only.setChecked(False)
    assert "model" in view.visible_columns() and "optimizer" in view.visible_columns()
    view.table.selectAll()
    view.compare_button.click()
    assert room.compared == [(first, second)]


def test_compare_runs_in_the_runs_tab_opens_the_room(qtbot, make_window, runs_dir):
    folders = [write_run(runs_dir, f"run{index}", TrainConfig(lr=lr), [0.9, 0.8], shirt=40.0)
               for index, lr in enumerate((0.01, 0.02, 0.03))]
    window = make_window()
    window.runs.refresh()
    qtbot.waitUntil(lambda: len(window.runs.runs) == 3, timeout=10000)
    window.runs_view.table.selectAll()
    assert window.runs_view.room_button.isEnabled()
    window.runs_view.room_button.click()
    room = window.runs_room
    assert room is not None and room.isVisible()
    qtbot.waitUntil(lambda: len(room.view.curve_data()) == 3, timeout=10000)
    assert sorted(room.controller.folders) == sorted(folders)
    assert room.windowTitle() == "Compare runs: 3 runs"

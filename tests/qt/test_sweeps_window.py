"""The Sweeps workspace: following a sweep that other processes run, filtering and brushing, creating, stopping, exporting."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tests.synthetic_sweep import make_sweep

from fmnist_gui.config import preset
from fmnist_gui.errors import UserFacingError
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.common.sweep_dialogs import NewSweepDialog
from fmnist_gui.qt.shell.sweeps_window import SweepsWindow
from fmnist_gui.sweeps import SweepStore, create_study, read_sweep
from fmnist_gui.sweeps.definition import define_from_config

REPO = Path(__file__).resolve().parents[2]
TINY = preset("quickstart").replace(optimizer="adam", batch_size=50)  # an epoch of the synthetic data in a moment


@pytest.fixture
def calls():
    """What the workspace asked of the main window: runs opened or followed, configs put into the form."""
    return {"open": [], "follow": [], "form": []}


@pytest.fixture
def workspace(qtbot, runs_dir, synthetic_dir, calls):
    """A Sweeps window on its own (the main window hands it the same callables), shut down after, workers ended."""
    work = BackgroundWork()
    window = SweepsWindow(work=work, runs_dir=lambda: runs_dir, data_dir=lambda: str(synthetic_dir), form=lambda: TINY,
                          open_run=calls["open"].append, follow_run=calls["follow"].append,
                          set_form=calls["form"].append)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.workers.stop()
    window.workers.wait(60)
    window.shut_down()
    work.shutdown()


def wait_for_trials(qtbot, window, count: int, timeout: int = 10000) -> None:
    qtbot.waitUntil(lambda: window.state.frame is not None and len(window.state.frame) == count, timeout=timeout)
    qtbot.waitUntil(lambda: len(window.views.table.visible_numbers()) > 0 or count == 0, timeout=timeout)


def readable(store: SweepStore) -> bool:
    """Whether the sweep is there, its definition written (a process creating it may be half way)."""
    try:
        read_sweep(store, reap=False)
    except UserFacingError:
        return False
    return True


def environment() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")


def test_the_workspace_follows_a_sweep_a_command_line_process_runs(qtbot, workspace, runs_dir, synthetic_dir):
    command = [sys.executable, "-m", "fmnist_gui", "sweep", "run", "cli", "--param", "lr=1e-3:1e-1:log", "--trials", "3",
               "--epochs", "1", "--preset", "quickstart", "--data-dir", str(synthetic_dir), "--runs-dir", str(runs_dir)]
    process = subprocess.Popen(command, env=environment(), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        qtbot.waitUntil(lambda: readable(SweepStore.locate("cli", None, runs_dir)), timeout=60000)  # created
        workspace.controller.open("cli")
        table = workspace.views.table

        def three_counted() -> bool:
            model = table.model
            states = [model.data(model.index(row, 1)) for row in range(model.rowCount())]
            return sum(state in ("Complete", "Pruned") for state in states) == 3

        qtbot.waitUntil(three_counted, timeout=120000)
    finally:
        _, errors = process.communicate(timeout=120)
    assert process.returncode == 0, errors.decode()
    assert workspace.views.summary.progress.value() == 3
    assert workspace.state.snapshot is not None and workspace.state.snapshot.finished
    assert len(workspace.views.curves.drawn_numbers()) == 3


def test_the_window_never_writes_the_study_a_dead_workers_trial_shows_as_failed(qtbot, workspace, runs_dir):
    from fmnist_gui.sweeps.liveness import WORKER

    from fmnist_gui.sweeps.storage import opened_study

    store = make_sweep(runs_dir, "dead", 10, running=1)
    with opened_study(store) as study:  # its worker: a pid above Linux's largest, so no process at all
        trial = study.get_trials(deepcopy=False)[-1]
        identity = dict(trial.user_attrs[WORKER], pid=2**22 + 7, pid_start="gone")
        study._storage.set_trial_user_attr(trial._trial_id, WORKER, identity)
    journal = store.journal
    before = journal.read_bytes()
    workspace.controller.open("dead")
    wait_for_trials(qtbot, workspace, 11)
    lost = workspace.state.snapshot.trials[-1]
    assert lost.state == "FAIL" and "ended without finishing it" in lost.message
    workspace.controller.read()
    qtbot.waitUntil(lambda: not workspace.controller._reading, timeout=10000)
    assert journal.read_bytes() == before  # nothing written: the next worker or `sweep show` fails it
    assert read_sweep(store, reap=False).trials[-1].state == "FAIL"


def test_brushing_the_parallel_coordinates_filters_the_table_and_the_curves(qtbot, workspace, runs_dir):
    make_sweep(runs_dir, "brush", 60)
    workspace.controller.open("brush")
    wait_for_trials(qtbot, workspace, 60)
    coordinates, table, curves = workspace.views.coordinates, workspace.views.table, workspace.views.curves
    assert sorted(table.visible_numbers()) == list(range(60))
    workspace.tabs.setCurrentWidget(workspace.views.slices)
    lr_slice = workspace.views.slices.plots["lr"]
    axes_before = lr_slice.getPlotItem().getViewBox().viewRange()
    with qtbot.waitSignal(workspace.state.filtered):
        coordinates.brush("lr", 0.0, 0.5)  # the lower half of the log axis
    kept = sorted(int(n) for n in coordinates.data.numbers[coordinates.data.kept])
    assert 0 < len(kept) < 60
    assert sorted(table.visible_numbers()) == kept
    frame = workspace.state.frame
    lr = dict(zip(frame.numbers.tolist(), frame.params[0].values.tolist()))
    low, high = np.log10(min(lr.values())), np.log10(max(lr.values()))
    assert all(np.log10(lr[number]) <= (low + high) / 2 + 1e-9 for number in kept)
    assert table.caption.text().endswith("· brushed")
    failed = {int(n) for n in frame.numbers[frame.states == "FAIL"]}  # no value and no epoch: no point, no curve
    points = {int(n) for _, _, item in lr_slice.groups for n in item.data["data"]}
    assert points == set(kept) - failed  # the slices in front show the brushed trials
    assert lr_slice.getPlotItem().getViewBox().viewRange() == axes_before  # on the same axes: nothing jumps
    workspace.tabs.setCurrentWidget(workspace.views.curves)  # the curves, behind, catch up when shown
    assert sorted(curves.drawn_numbers()) == sorted(set(kept) - failed)
    with qtbot.waitSignal(workspace.state.filtered):
        table.clear_brushes.click()
    assert len(table.visible_numbers()) == 60


def test_the_state_filter_and_the_top_percent_filter(qtbot, workspace, runs_dir):
    make_sweep(runs_dir, "filters", 40, running=2)
    workspace.controller.open("filters")
    wait_for_trials(qtbot, workspace, 42)
    table, frame = workspace.views.table, workspace.state.frame
    pruned = sorted(int(n) for n in frame.numbers[frame.states == "PRUNED"])
    for state in ("COMPLETE", "RUNNING", "FAIL"):
        table.state_boxes[state].setChecked(False)
    assert sorted(table.visible_numbers()) == pruned
    assert sorted(int(n) for n in workspace.views.coordinates.data.numbers) == pruned  # fewer lines to read
    for box in table.state_boxes.values():
        box.setChecked(True)
    table.top.setValue(10)
    complete = frame.states == "COMPLETE"
    best = np.sort(frame.values[complete])[::-1][: int(np.ceil(complete.sum() / 10))]
    shown = sorted(table.visible_numbers())
    assert sorted(frame.values[frame.rows_of(shown)].tolist()) == sorted(best.tolist())
    assert table.caption.text().startswith(f"{len(best)} of 42 trials")


def test_new_sweep_from_the_form_creates_a_study_with_the_ticked_ranges(qtbot, make_window, dialog_stub, runs_dir):
    window = make_window()
    window.controls.set_config(TINY.replace(lr=0.01))

    def fill(config, data_dir):  # what a person does in the dialog: tick, type, choose
        dialog = NewSweepDialog(config, data_dir)
        rows = {row.name: row for row in dialog.rows}
        rows["lr"].low.setText("0.001")
        rows["weight_decay"].vary.setChecked(True)
        rows["weight_decay"].log.setChecked(False)
        rows["weight_decay"].low.setText("0")
        rows["optimizer"].vary.setChecked(True)
        rows["optimizer"].options[1].setChecked(False)  # adam out: sgd and adamw
        dialog.name.setText("from-form")
        dialog.trials.setValue(7)
        dialog.epochs.setValue(2)
        dialog.workers.setValue(0)
        return dialog.request()

    dialog_stub.sweep_request = fill
    window.controls.sweep_button.click()
    workspace = window.sweeps_window
    assert workspace is not None and workspace.isVisible()
    qtbot.waitUntil(lambda: workspace.state.snapshot is not None, timeout=10000)
    definition = read_sweep(SweepStore.locate("from-form", None, runs_dir)).definition
    assert [spec.describe() for spec in definition.space] == ["lr=0.001:0.1:log", "weight_decay=0:0.01",
                                                              "optimizer=sgd,adamw"]
    assert (definition.trials, definition.epochs, definition.preset) == (7, 2, "quickstart")
    assert definition.fixed == {"batch_size": 50}  # as the form has it, where it differs from the preset (adam is varied)
    assert definition.base_config().model == "quickstart-mlp"
    assert workspace.windowTitle().startswith("from-form")
    assert not dialog_stub.errors
    dialog_stub.sweep_request = fill  # the same name again: one line, in a dialog
    workspace.controller.new_sweep()
    qtbot.waitUntil(lambda: bool(dialog_stub.errors), timeout=10000)
    assert dialog_stub.errors[-1][1].startswith("A sweep named 'from-form' exists already")


def test_the_new_sweep_dialog_refuses_a_range_in_one_line(qtbot):
    dialog = NewSweepDialog(TINY, None)
    qtbot.addWidget(dialog)
    rows = {row.name: row for row in dialog.rows}
    rows["lr"].low.setText("0.5")
    rows["lr"].high.setText("0.01")
    dialog._on_accept()
    assert dialog.accepted_request is None and not dialog.problem.isHidden()
    assert dialog.problem.text() == "lr=0.5:0.01:log: the low end must be below the high end."


def test_stop_asks_and_stops_closing_asks_to_stop_or_leave(qtbot, workspace, dialog_stub, runs_dir, synthetic_dir):
    store = SweepStore.locate("long", None, runs_dir)
    create_study(store, define_from_config(TINY, ["lr=1e-3:3e-2:log"], trials=30, epochs=30, pruner="none",
                                           data_dir=str(synthetic_dir)))
    workspace.controller.open("long")
    qtbot.waitUntil(lambda: workspace.state.snapshot is not None, timeout=10000)
    workspace.controller.start_workers(1)
    assert workspace.workers.running == 1
    running = lambda: [t for t in workspace.state.snapshot.trials if t.state == "RUNNING" and t.epochs_done >= 1]  # noqa: E731
    qtbot.waitUntil(lambda: bool(running()), timeout=90000)
    number = running()[0].number

    dialog_stub.stop_or_leave_answer = "cancel"
    workspace.close()
    assert workspace.isVisible() and workspace.workers.running == 1
    dialog_stub.confirm_answer = False
    assert not workspace.controller.stop_workers()
    assert "Stop the 1 worker this window started?" in dialog_stub.confirms[-1]
    assert workspace.workers.running == 1
    dialog_stub.confirm_answer = True
    assert workspace.sweep_actions["stop"].isEnabled()
    workspace.sweep_actions["stop"].trigger()
    qtbot.waitUntil(lambda: workspace.workers.running == 0, timeout=60000)
    qtbot.waitUntil(lambda: workspace.state.snapshot.trials[number].state == "FAIL", timeout=10000)
    assert workspace.state.snapshot.trials[number].message.startswith("Stopped by SIGTERM after ")
    # `running` counts live processes; the line comes at the workers' next poll
    qtbot.waitUntil(lambda: any(line.endswith("ended: stopped.") for line in workspace.views.log.lines()), timeout=5000)

    workspace.worker_count.setValue(1)
    workspace.sweep_actions["start"].trigger()  # resume: workers again
    qtbot.waitUntil(lambda: any(t.state == "RUNNING" for t in workspace.state.snapshot.trials[number + 1:]), timeout=90000)
    processes = [worker.process for worker in workspace.workers._workers]
    dialog_stub.stop_or_leave_answer = "leave"
    workspace.close()
    try:
        assert not workspace.isVisible()
        assert [process.poll() for process in processes] == [None]  # left running, on its own
    finally:
        for process in processes:
            process.terminate()
            process.wait(60)


def test_export_csv_writes_the_rows_the_table_shows(qtbot, workspace, dialog_stub, runs_dir, tmp_path):
    make_sweep(runs_dir, "export", 30)
    workspace.controller.open("export")
    wait_for_trials(qtbot, workspace, 30)
    workspace.views.table.top.setValue(50)
    dialog_stub.export_path = str(tmp_path / "trials.csv")
    workspace.sweep_actions["export_csv"].trigger()
    with open(tmp_path / "trials.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert sorted(int(row["number"]) for row in rows) == sorted(workspace.views.table.visible_numbers())
    assert list(rows[0])[:3] == ["number", "state", "value"] and "lr" in rows[0]
    dialog_stub.export_path = str(tmp_path / "curves.svg")
    workspace.controller.export_picture("curves")
    assert (tmp_path / "curves.svg").read_bytes().startswith(b"<?xml")


def test_a_trial_opens_its_run_or_follows_it_and_train_this_fills_the_form(qtbot, workspace, runs_dir, calls,
                                                                           dialog_stub):
    store = make_sweep(runs_dir, "open", 4, running=1)
    workspace.controller.open("open")
    wait_for_trials(qtbot, workspace, 5)
    snapshot = workspace.state.snapshot
    finished = snapshot.trials[0]
    (finished.run / "checkpoints").mkdir(parents=True)
    (finished.run / "checkpoints" / "last.pt").write_bytes(b"")  # opened (and checked) by the main window's path
    workspace.views.table.open_requested.emit(finished.number)
    assert calls["open"] == [str(finished.run / "checkpoints" / "last.pt")]
    snapshot.trials[-1].run.mkdir()
    workspace.views.table.open_requested.emit(snapshot.trials[-1].number)  # still running: followed
    assert calls["follow"] == [snapshot.trials[-1].run]
    workspace.views.table.open_requested.emit(1)  # its folder is elsewhere (another machine's worker ran it)
    assert dialog_stub.errors[-1][1].startswith("Trial 1's run folder is not on this machine: ")
    assert len(calls["open"]) == 1 and len(calls["follow"]) == 1
    workspace.views.table.select(2)
    workspace.views.table.train_button.click()
    assert calls["form"][0].lr == snapshot.trials[2].params["lr"]
    assert calls["form"][0].optimizer == snapshot.trials[2].params["optimizer"]
    assert store.name == "open"


def test_train_this_puts_the_trials_values_in_the_main_windows_form(qtbot, make_window, dialog_stub, runs_dir):
    make_sweep(runs_dir, "train-this", 6)
    window = make_window()
    window.controls.set_config(TINY)
    window.menus.actions["sweeps"].trigger()
    workspace = window.sweeps_window
    workspace.controller.open("train-this")
    wait_for_trials(qtbot, workspace, 6)
    trial = workspace.state.snapshot.trials[3]
    assert window.controls.config().lr != pytest.approx(trial.params["lr"])
    workspace.views.table.select(3)
    workspace.views.table.train_button.click()
    config = window.controls.config()
    assert config.lr == pytest.approx(trial.params["lr"], rel=1e-6)
    assert config.weight_decay == pytest.approx(trial.params["weight_decay"], rel=1e-6)
    assert (config.batch_size, config.optimizer) == (trial.params["batch_size"], trial.params["optimizer"])
    assert (config.model, config.epochs) == ("quickstart-mlp", 4)  # the sweep's preset and epochs
    assert not dialog_stub.errors
    assert "Trial 3's values are in the training form" in workspace.views.log.lines()[-1]

    window.following._follower = object()  # the form shows a followed run's values: they stay
    workspace.views.table.select(4)
    workspace.views.table.train_button.click()
    assert dialog_stub.errors[-1][0] == "Cannot use the trial's values"
    assert "Stop following" in dialog_stub.errors[-1][1]
    assert window.controls.config().lr == pytest.approx(trial.params["lr"], rel=1e-6)
    window.following._follower = None


def test_a_sweep_that_cannot_be_opened_is_said_in_a_dialog_in_one_line(qtbot, workspace, dialog_stub, runs_dir):
    workspace.controller.open("nowhere")
    qtbot.waitUntil(lambda: bool(dialog_stub.errors), timeout=10000)
    title, message = dialog_stub.errors[-1]
    assert title == "Cannot open the sweep" and message.startswith("There is no sweep named 'nowhere'")
    assert "\n" not in message
    assert workspace.controller.store is None and workspace.windowTitle() == "Sweeps"
    workspace.controller.open("../up")  # not a name a folder can have: refused before anything is read
    assert dialog_stub.errors[-1][0] == "Cannot open the sweep" and len(dialog_stub.errors) == 2
    assert not workspace.sweep_actions["start"].isEnabled() and not workspace.sweep_actions["export_csv"].isEnabled()
    workspace.controller.export_csv()
    assert dialog_stub.errors[-1] == ("Nothing to export", "Open a sweep first.")


def test_the_open_sweep_dialog_lists_the_runs_folders_sweeps_and_refuses_a_database_it_cannot_use(qtbot, runs_dir):
    from fmnist_gui.qt.common.sweep_dialogs import OpenSweepDialog

    dialog = OpenSweepDialog(["first", "second"], str(runs_dir / "sweeps"))
    qtbot.addWidget(dialog)
    dialog._on_accept()
    assert dialog.chosen == ("second", None)  # the newest, chosen to begin with
    dialog.url.setText("sqlite:///sweeps.db")
    dialog.name.setText("lr")
    dialog.chosen = None
    dialog._on_accept()
    assert dialog.chosen is None and dialog.problem.text().startswith("SQLite is not a sweep storage")
    dialog.url.setText("postgresql://me@db.example/sweeps")
    dialog._on_accept()
    assert dialog.chosen == ("lr", "postgresql://me@db.example/sweeps")

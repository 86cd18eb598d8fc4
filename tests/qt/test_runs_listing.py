"""The Runs tab's listing: one at a time, only changed folders re-read, a damaged run among the others, names clean."""

from __future__ import annotations

import os
import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runs import RunsController
from fmnist_gui.qt.views.log_pane import LogPane
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.runs_table import COLUMNS, RunsView
from fmnist_gui.runs import listing
from tests.tiny_runs import add_epoch, write_tiny_runs


class Reads:
    """Counts the run folders read and the listings started; `gate` holds a listing before it starts."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.folders: list = []
        self.listings = 0
        self.gate, self.started = threading.Event(), threading.Event()
        self.gate.set()
        read_run, refresh = listing.read_run, listing.RunListing.refresh

        def read(folder):
            self.folders.append(folder)
            return read_run(folder)

        def counted(this, *args, **kwargs):
            self.listings += 1
            self.started.set()
            assert self.gate.wait(10)
            return refresh(this, *args, **kwargs)

        monkeypatch.setattr(listing, "read_run", read)
        monkeypatch.setattr(listing.RunListing, "refresh", counted)


@pytest.fixture
def reads(monkeypatch) -> Reads:
    return Reads(monkeypatch)


@pytest.fixture
def controller(qtbot, settings, runs_dir):
    window = QWidget()
    qtbot.addWidget(window)
    work = BackgroundWork()
    controller = RunsController(view=RunsView(window), plots=TrainingPlots(window), inference=InferenceWorker(work),
                                reporter=Reporter(LogPane(window), window), settings=settings, open_path=lambda path: True,
                                window=window)
    yield controller
    work.shutdown()


def settled(controller: RunsController, count: int):
    return lambda: len(controller.runs) == count and not controller.inference.busy


def test_a_refresh_while_a_listing_runs_starts_no_other(qtbot, controller, reads, runs_dir):
    write_tiny_runs(runs_dir, 3)
    answers: list[int] = []
    controller.listed.connect(lambda runs: answers.append(len(runs)))
    reads.gate.clear()
    controller.refresh()
    assert reads.started.wait(10)
    for _ in range(3):
        controller._timer.timeout.emit()  # the 3-second poll, due while the listing still runs
    controller.refresh()  # as a rename asks, say
    controller.refresh()
    assert reads.listings == 1
    reads.gate.set()
    qtbot.waitUntil(lambda: answers == [3, 3] and not controller.inference.busy, timeout=10000)
    # The first answer is shown, not dropped as overtaken; the refreshes asked for during it came as one listing after it.
    assert reads.listings == 2


def test_a_refresh_after_one_folder_changed_rereads_only_that_folder(qtbot, controller, reads, runs_dir):
    folders = write_tiny_runs(runs_dir, 5)
    controller.refresh()
    qtbot.waitUntil(settled(controller, 5), timeout=10000)
    assert sorted(reads.folders) == folders
    reads.folders.clear()
    add_epoch(folders[2])
    controller.refresh()
    qtbot.waitUntil(lambda: settled(controller, 5)() and any(run.epochs_done == 2 for run in controller.runs), timeout=10000)
    assert reads.folders == [folders[2]]


def test_the_first_listing_fills_the_table_as_it_grows(qtbot, controller, runs_dir):
    write_tiny_runs(runs_dir, 600)
    sizes: list[int] = []
    original = controller.view.set_runs
    controller.view.set_runs = lambda runs, folder=None: (sizes.append(len(runs)), original(runs, folder))
    controller.refresh()
    qtbot.waitUntil(settled(controller, 600), timeout=30000)
    assert sizes[0] < 600 and sizes == sorted(sizes) and sizes[-1] == 600
    assert controller.view.model.rowCount() == 600


def test_a_damaged_run_and_a_name_of_escape_codes_show_clean_among_the_others(qtbot, controller, runs_dir):
    folders = write_tiny_runs(runs_dir, 3)
    evil = folders[2].rename(runs_dir / "\x1b]0;owned\x07\x1b[31mevil\rrun")
    (evil / "run.json").write_text((evil / "run.json").read_text().replace('"run 2"', '""'))
    (evil / "confusion.jsonl").write_text("[" * 100_000 + "\n")
    controller.refresh()
    qtbot.waitUntil(settled(controller, 3), timeout=10000)
    model = controller.view.model
    statuses = [model.index(row, COLUMNS.index("Status")).data() for row in range(model.rowCount())]
    assert sorted(statuses) == ["completed", "completed", "damaged"]
    texts = [model.index(row, column).data(role) or "" for row in range(model.rowCount()) for column in range(len(COLUMNS))
             for role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)]
    assert not any(char in text for text in [*texts, controller.view.caption.toolTip()] for char in "\x1b\x07\r")
    assert "evil run" in texts and any("confusion.jsonl line 1" in text for text in texts)


def test_a_fifo_in_a_run_folder_is_listed_as_damaged_and_never_waited_on(qtbot, controller, runs_dir):
    folders = write_tiny_runs(runs_dir, 2)
    fifo = folders[0] / "batches.csv"
    os.mkfifo(fifo)
    try:
        controller.refresh()
        qtbot.waitUntil(settled(controller, 2), timeout=10000)
    finally:
        try:  # should the listing wait on the fifo after all, a writer that comes and goes frees it
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:
            pass
    damaged = next(run for run in controller.runs if run.folder == folders[0])
    assert (damaged.status, damaged.damage) == ("damaged", "batches.csv is not a regular file.")


def test_the_table_sorts_itself_and_keeps_the_selection_through_a_sort_and_a_refresh(qtbot, tmp_path):
    runs = listing.RunListing(write_tiny_runs(tmp_path / "runs", 5)[0].parent).refresh()
    view = RunsView()
    qtbot.addWidget(view)
    view.set_runs(runs)

    def names() -> list[str]:
        return [view.proxy.index(row, COLUMNS.index("Name")).data() for row in range(view.proxy.rowCount())]

    assert names() == ["run 4", "run 3", "run 2", "run 1", "run 0"]  # newest first
    view.table.selectRow(1)
    view.table.sortByColumn(COLUMNS.index("Name"), Qt.SortOrder.AscendingOrder)
    assert names() == ["run 0", "run 1", "run 2", "run 3", "run 4"] and view.selected() == [runs[1].folder]
    view.set_runs(list(reversed(runs)))
    assert names() == ["run 0", "run 1", "run 2", "run 3", "run 4"] and view.selected() == [runs[1].folder]
    view.filter.setText("run 2")
    assert names() == ["run 2"]

"""Listing a runs folder again and again: only the run folders whose files changed are read again."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys

import pytest

from fmnist_gui.runs import listing
from fmnist_gui.runs.listing import RunListing
from tests.tiny_runs import add_epoch, write_tiny_runs


@pytest.fixture
def reads(monkeypatch) -> list:
    """The folders read, in order."""
    folders: list = []
    read_run = listing.read_run
    monkeypatch.setattr(listing, "read_run", lambda folder: folders.append(folder) or read_run(folder))
    return folders


def test_a_refresh_rereads_only_the_folders_that_changed_and_drops_vanished_ones(tmp_path, reads):
    folders = write_tiny_runs(tmp_path / "runs", 10_000)
    runs = RunListing(tmp_path / "runs")
    first = runs.refresh()
    assert len(first) == 10_000 and len(reads) == 10_000 and first[0].folder == folders[-1]  # newest first
    reads.clear()
    assert runs.refresh() == first and reads == []
    add_epoch(folders[17])
    shutil.rmtree(folders[18])
    added = write_tiny_runs(tmp_path / "more", 1)[0].rename(tmp_path / "runs" / "added")
    again = runs.refresh()
    assert sorted(reads) == sorted([folders[17], added])
    assert len(again) == 10_000 and folders[18] not in {run.folder for run in again}
    assert next(run for run in again if run.folder == folders[17]).epochs_done == 2


def test_the_first_listing_is_handed_out_as_it_grows(tmp_path):
    write_tiny_runs(tmp_path / "runs", 1_000)
    sizes: list[int] = []
    runs = RunListing(tmp_path / "runs").refresh(lambda partial: sizes.append(len(partial)))
    assert len(runs) == 1_000 and sizes and sizes == sorted(sizes) and sizes[-1] < 1_000


def test_a_run_whose_process_ends_reads_as_interrupted_without_its_files_changing(tmp_path, reads):
    (folder,) = write_tiny_runs(tmp_path / "runs", 1)
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        content = json.loads((folder / "run.json").read_text())
        content.update(status="running", pid=process.pid, host=socket.gethostname(), pid_start=None)
        (folder / "run.json").write_text(json.dumps(content))
        runs = RunListing(tmp_path / "runs")
        assert [run.status for run in runs.refresh()] == ["running"]
    finally:
        process.communicate(b"")
    assert [run.status for run in runs.refresh()] == ["interrupted"] and reads == [folder]

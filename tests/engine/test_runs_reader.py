"""Reading, following and managing run folders: damaged files are listed, never raised; stale runs read as interrupted."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from fmnist_gui.engine import Callback, Trainer
from fmnist_gui.runs import (RunError, RunFollower, RunRecorder, list_runs, read_batches, read_metrics, read_run,
                             rename_run, restore_run, set_note, trash_run)
from fmnist_gui.runs.tables import RunDamaged
from tests.engine.test_runs_recorder import train


@pytest.fixture(scope="module")
def recorded(synthetic_data, tmp_path_factory):
    """A finished two-epoch run's folder, copied by each test that changes it."""
    from fmnist_gui.config import TrainConfig

    config = TrainConfig(model="quickstart-mlp", optimizer="adam", lr=1e-3, batch_size=50, epochs=2, schedule="constant")
    recorder, _, _ = train(config, synthetic_data, tmp_path_factory.mktemp("recorded"))
    return recorder.folder


@pytest.fixture
def run_copy(recorded, tmp_path):
    return shutil.copytree(recorded, tmp_path / "runs" / recorded.name)


def edit_json(folder, **changes):
    content = json.loads((folder / "run.json").read_text())
    content.update(changes)
    (folder / "run.json").write_text(json.dumps(content))


# damaged folders


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda f: (f / "run.json").write_text((f / "run.json").read_text()[:40]), "run.json is not valid JSON"),
    (lambda f: (f / "run.json").write_text("[1, 2]"), "run.json does not hold a JSON object"),
    (lambda f: (f / "run.json").unlink(), "it holds no run.json"),
    (lambda f: edit_json(f, status="exploded"), "its status is 'exploded'"),
    (lambda f: edit_json(f, created=5), "its created is 5, not text"),
    (lambda f: (f / "metrics.csv").write_text("epoch,loss\n"), "metrics.csv: its header is not"),
    (lambda f: (f / "metrics.csv").write_text(_lines(f / "metrics.csv", 1, "1,2,x\n")), "metrics.csv line 3 has 3 cells"),
    (lambda f: (f / "metrics.csv").write_text(_lines(f / "metrics.csv", 1, "2," * 17 + "-1\n")), "metrics.csv line 3: per_class"),
    (lambda f: (f / "batches.csv").write_text("nonsense\n"), "batches.csv: its header is not"),
])
def test_a_damaged_run_is_listed_with_its_reason(run_copy, damage, reason):
    damage(run_copy)
    (info,) = list_runs(run_copy.parent)
    assert info.status == "damaged" and reason in info.damage, info.damage
    assert info.folder == run_copy and info.name


def _lines(path, keep, extra):
    return "".join(path.read_text().splitlines(keepends=True)[: keep + 1]) + extra


def test_a_half_written_last_line_is_ignored(run_copy):
    for name in ("metrics.csv", "batches.csv"):
        with open(run_copy / name, "a") as stream:
            stream.write("3,30,2.1")
    assert len(read_metrics(run_copy)) == 2 and read_batches(run_copy)["step"][-1] == 24
    assert read_run(run_copy).status == "completed"


def test_read_metrics_raises_one_line_for_a_bad_row(run_copy):
    (run_copy / "metrics.csv").write_text(_lines(run_copy / "metrics.csv", 1, "oops\n3,1\n"))
    with pytest.raises(RunDamaged, match=r"^metrics.csv line 3 has 1 cells, not 18\.$"):
        read_metrics(run_copy)


def test_listing_skips_hidden_and_starting_folders_and_never_fails_on_a_missing_dir(run_copy, tmp_path):
    (run_copy.parent / ".trash").mkdir()
    (run_copy.parent / "just-created").mkdir()
    (run_copy.parent / "a-file.txt").write_text("")
    assert [info.folder for info in list_runs(run_copy.parent)] == [run_copy]
    assert list_runs(tmp_path / "nowhere") == []


def test_runs_are_listed_newest_first(run_copy):
    older = shutil.copytree(run_copy, run_copy.parent / "older")
    edit_json(older, created="2020-01-01T00:00:00+00:00")
    assert [info.folder.name for info in list_runs(run_copy.parent)] == [run_copy.name, "older"]


# running or interrupted


def ended_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


@pytest.mark.parametrize(("fields", "status"), [
    (lambda: {"pid": os.getpid(), "host": socket.gethostname()}, "running"),
    (lambda: {"pid": ended_pid(), "host": socket.gethostname()}, "interrupted"),
    (lambda: {"pid": os.getppid(), "host": socket.gethostname(), "pid_start": "1"}, "interrupted"),  # a reused pid
    (lambda: {"pid": 1, "host": "gpu-server", "heartbeat": time.time() - 5}, "running"),
    (lambda: {"pid": 1, "host": "gpu-server", "heartbeat": time.time() - 600}, "interrupted"),
])
def test_a_running_run_whose_process_is_gone_reads_as_interrupted(run_copy, fields, status):
    edit_json(run_copy, **{"status": "running", "pid_start": None, **fields()})
    assert read_run(run_copy).status == status


# changing runs


def test_rename_note_trash_and_restore(run_copy):
    rename_run(run_copy, "  baseline\x1b[31m  ")
    set_note(run_copy, "first line\nsecond\x07 line")
    info = read_run(run_copy)
    assert (info.name, info.note) == ("baseline", "first line\nsecond line")
    trashed = trash_run(run_copy)
    assert trashed == run_copy.parent / ".trash" / run_copy.name and list_runs(run_copy.parent) == []
    assert restore_run(trashed) == run_copy and read_run(run_copy).name == "baseline"
    with pytest.raises(RunError, match="cannot be empty"):
        rename_run(run_copy, " \n ")


def test_a_zombie_process_counts_as_ended(run_copy):
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # ended, not yet reaped: a zombie
        edit_json(run_copy, status="running", pid=process.pid, host=socket.gethostname(), pid_start=None)
        assert read_run(run_copy).status == "interrupted"
    finally:
        process.wait()


def test_a_run_still_being_recorded_is_not_trashed(run_copy):
    edit_json(run_copy, status="running", pid=os.getpid(), host=socket.gethostname(), pid_start=None)
    with pytest.raises(RunError, match="is still being recorded"):
        trash_run(run_copy)
    assert run_copy.is_dir()


class RenameDuringRun(Callback):
    def __init__(self, recorder):
        self.recorder = recorder

    def on_epoch_end(self, record):
        if record.epoch == 1:
            rename_run(self.recorder.folder, "renamed while training")
            set_note(self.recorder.folder, "a note")


def test_a_name_given_while_the_run_trains_is_kept(fast_config, synthetic_data, tmp_path):
    recorder = RunRecorder(tmp_path)
    trainer = Trainer(fast_config, synthetic_data, [recorder, RenameDuringRun(recorder)], report_interval=0.0)
    trainer.fit()
    info = read_run(recorder.folder)
    assert (info.name, info.note, info.status) == ("renamed while training", "a note", "completed")


# following


class Follow(Callback):
    """Polls a follower after every batch report and epoch, as a window would between its timer ticks."""

    def __init__(self, recorder):
        self.recorder, self.updates, self.follower = recorder, [], None

    def on_fit_start(self, run):
        self.follower = RunFollower(self.recorder.folder)

    def on_batch_end(self, record):
        self.updates.append(self.follower.poll())

    def on_epoch_end(self, record):
        self.updates.append(self.follower.poll())


def test_a_follower_sees_every_epoch_and_batch_once(fast_config, synthetic_data, tmp_path):
    recorder = RunRecorder(tmp_path)
    follow = Follow(recorder)
    trainer = Trainer(fast_config, synthetic_data, [recorder, follow], report_interval=0.0)
    trainer.fit()
    final = follow.follower.poll()
    updates = [*follow.updates, final]
    assert [e for u in updates for e in u.epochs] == trainer.history
    assert [s for u in updates for s in u.batches["step"].tolist()] == trainer.batch_history["step"]
    assert final.info.status == "completed" and final.info.best_epoch is not None
    assert not any(u.vanished or u.restarted for u in updates)


def test_a_follower_waits_for_a_late_folder_and_a_whole_line_and_notices_deletion(run_copy, tmp_path):
    follower = RunFollower(tmp_path / "later")
    update = follower.poll()
    assert (update.info, update.epochs, update.vanished) == (None, [], False)
    folder = tmp_path / "later"
    folder.mkdir()
    shutil.copy(run_copy / "run.json", folder)
    metrics = (run_copy / "metrics.csv").read_text()
    cut = metrics.index("\n", metrics.index("\n") + 1) + 5  # the header, epoch 1 and a piece of epoch 2
    (folder / "metrics.csv").write_text(metrics[:cut])
    assert [e.epoch for e in follower.poll().epochs] == [1]
    assert follower.poll().epochs == []
    (folder / "metrics.csv").write_text(metrics)
    assert [e.epoch for e in follower.poll().epochs] == [2]
    shutil.rmtree(folder)
    assert follower.poll().vanished
    assert not follower.poll().vanished


def test_a_follower_reports_damage_instead_of_raising(run_copy):
    follower = RunFollower(run_copy)
    follower.poll()
    with open(run_copy / "metrics.csv", "a") as stream:
        stream.write("garbage\n")
    update = follower.poll()
    assert update.info.status == "damaged" and "metrics.csv line 4" in update.info.damage
    (run_copy / "run.json").write_text("{")
    assert follower.poll().info.status == "damaged"

"""One writer per run folder, and no training lost while the command says it succeeded.

The cases of an attack on run folders: two resumes of one run at once, a runs folder that
cannot be written, a full disk, a resumed folder with a damaged file, a rename while recording.
"""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from fmnist_gui.checkpoint import CheckpointError, load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE
from fmnist_gui.engine import Callback, FinishReason, Trainer
from fmnist_gui.runs import FolderBusy, RunRecorder, list_runs, read_metrics, read_run, rename_run, snapshots
from fmnist_gui.runs import recorder as recorder_module
from fmnist_gui.runs.lock import WriterLock, is_being_written
from fmnist_gui.runs.reader import load_run_json
from tests.engine.test_cli import TINY, one_error_line, run
from tests.engine.test_runs_cli import WARNING_PREFIX


@pytest.fixture
def recorded_run(synthetic_dir, tmp_path):
    """A finished 2-epoch run in tmp_path/runs."""
    runs_dir = tmp_path / "runs"
    assert run("train", *TINY, "--epochs", "2", "--data-dir", synthetic_dir, "--runs-dir", runs_dir) == 0
    (info,) = list_runs(runs_dir)
    return info.folder


def test_a_second_writer_of_a_run_folder_is_refused_in_one_line_before_training(recorded_run, synthetic_dir, capsys):
    capsys.readouterr()
    holder = WriterLock.take(recorded_run)  # another process recording into it, as far as flock can tell
    try:
        before = (recorded_run / "metrics.csv").read_bytes()
        assert run("train", "--resume", recorded_run, "--epochs", "4", "--data-dir", synthetic_dir) == EXIT_FAILURE
        line = one_error_line(capsys)
        assert "is being recorded by process" in line and "two runs cannot write one folder" in line
        assert (recorded_run / "metrics.csv").read_bytes() == before and [e for e, _ in snapshots(recorded_run)] == [1, 2]
    finally:
        holder.release()
    assert run("train", "--resume", recorded_run, "--epochs", "3", "--data-dir", synthetic_dir) == 0
    assert [entry.epoch for entry in read_metrics(recorded_run)] == [1, 2, 3]
    assert not is_being_written(recorded_run)  # the run ended: its lock went with it


def test_the_window_branches_a_busy_folder_into_a_new_one_and_says_so(recorded_run, synthetic_data, tmp_path):
    """A recorder that takes its folder when the run starts (the window's) never writes into a busy one."""
    checkpoint = load_checkpoint(recorded_run / "checkpoints" / "last.pt")
    holder = WriterLock.take(recorded_run)
    try:
        recorder = RunRecorder(recorded_run.parent, resume=recorded_run)
        config = checkpoint.config.replace(epochs=3)
        result = Trainer(config, synthetic_data, [recorder], resume_from=checkpoint, report_interval=0.0).fit()
    finally:
        holder.release()
    assert result.reason is FinishReason.COMPLETED and recorder.folder != recorded_run
    assert any("is being recorded by" in w and "recorded in a new folder" in w for w in recorder.warnings)
    assert load_run_json(recorder.folder)["parent"] == recorded_run.name
    assert [entry.epoch for entry in read_metrics(recorded_run)] == [1, 2]


def test_while_a_run_records_its_folder_is_locked_against_another_writer(fast_config, synthetic_data, tmp_path):
    class TryToWrite(Callback):
        def on_epoch_end(self, record):
            with pytest.raises(FolderBusy):
                WriterLock.take(recorder.folder).release()
            self.tried = True

    recorder, trying = RunRecorder(tmp_path), TryToWrite()
    Trainer(fast_config.replace(epochs=1), synthetic_data, [recorder, trying], report_interval=0.0).fit()
    assert trying.tried and not is_being_written(recorder.folder)


def test_a_runs_folder_that_is_a_file_is_refused_before_training_without_out(synthetic_dir, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert run("train", *TINY, "--epochs", "2", "--data-dir", synthetic_dir, "--runs-dir", blocker / "runs") == EXIT_FAILURE
    line = one_error_line(capsys)
    assert "Runs cannot be recorded in" in line and "give --out FILE or another --runs-dir" in line


def test_a_full_disk_keeps_the_model_elsewhere_says_where_and_fails(synthetic_dir, tmp_path, monkeypatch, capsys):
    """Snapshots after epoch 1 cannot be written: the run says so, points at no missing snapshot, and the
    trained model is kept where unsaved models go; the command does not claim success."""
    runs_dir = tmp_path / "runs"
    real_save, saved = recorder_module.save_checkpoint, []

    def fill_up(checkpoint, path):
        """The disk of the runs folder is full once epoch 1's snapshot is on it."""
        if saved:
            raise CheckpointError(f"Cannot save to {path}: No space left on device.")
        saved.append(path)
        return real_save(checkpoint, path)

    monkeypatch.setattr(recorder_module, "save_checkpoint", fill_up)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert run("train", *TINY, "--epochs", "3", "--data-dir", synthetic_dir, "--runs-dir", runs_dir) == EXIT_FAILURE
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith(WARNING_PREFIX)]
    (kept,) = list((tmp_path / "cache" / "fmnist-gui" / "unsaved").glob("*.pt"))
    assert any(f"it was saved to {kept} instead" in line for line in errors), errors
    assert load_checkpoint(kept).epoch == 3
    (info,) = list_runs(runs_dir)
    assert info.best_epoch in (1, None) and [e for e, _ in snapshots(info.folder)] == [1]
    assert "epochs 2–3 could not be written" in info.message


@pytest.mark.parametrize("bad_line", ['{"epoch": 1, "confusion": "x"}', "[" * 30_000 + "]" * 30_000],
                         ids=["not-a-matrix", "nested-30000-deep"])
def test_a_resumed_folder_with_a_damaged_confusion_line_continues_in_a_new_folder(recorded_run, synthetic_dir, capsys,
                                                                                   bad_line):
    confusion = recorded_run / "confusion.jsonl"
    lines = confusion.read_text(encoding="utf-8").splitlines(keepends=True)
    confusion.write_text(bad_line + "\n" + "".join(lines[1:]), encoding="utf-8")  # the first line damaged, not the last
    capsys.readouterr()
    assert run("train", "--resume", recorded_run, "--epochs", "4", "--data-dir", synthetic_dir,
               "--runs-dir", recorded_run.parent) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith(WARNING_PREFIX)]
    assert any("cannot be continued" in w and "recorded in a new folder" in w for w in warnings), warnings
    (newer,) = [entry for entry in recorded_run.parent.iterdir() if entry != recorded_run]
    assert [e for e, _ in snapshots(newer)][-1] == 4 and load_run_json(newer)["parent"] == recorded_run.name


def test_a_resumed_folder_with_a_header_bomb_dynamics_file_keeps_recording(recorded_run, synthetic_dir, capsys):
    """dynamics.npz declaring an array of 10^9 x 60,000: the run goes on recorded, its dynamics start anew."""
    header = {"descr": "<f2", "fortran_order": False, "shape": (10**9, 60_000)}
    with open(recorded_run / "dynamics.npz", "wb") as raw:
        import zipfile

        with zipfile.ZipFile(raw, "w") as archive:
            with archive.open("train_probability.npy", "w") as member:
                np.lib.format.write_array_header_1_0(member, header)
    capsys.readouterr()
    assert run("train", "--resume", recorded_run, "--epochs", "3", "--data-dir", synthetic_dir,
               "--runs-dir", recorded_run.parent) == 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no longer observes the run" not in err
    assert max(epoch for folder in recorded_run.parent.iterdir() for epoch, _ in snapshots(folder)) == 3


def test_renaming_a_run_while_it_records_never_fails_nor_is_lost(fast_config, synthetic_data, tmp_path, monkeypatch):
    """The recorder rewrites run.json at each epoch and every few seconds (here: every batch); renames
    meanwhile must all land, and none may make the recorder's own write fail."""
    monkeypatch.setattr(recorder_module, "HEARTBEAT_SECONDS", 0.0)
    recorder = RunRecorder(tmp_path)
    failures, names = [], []
    done = threading.Event()

    class RenameAlong(Callback):
        def on_fit_start(self, run):
            def rename_many():
                n = 0
                while not done.is_set() and n < 300:
                    n += 1
                    try:
                        rename_run(recorder.folder, f"name {n}")
                        names.append(f"name {n}")
                    except Exception as exc:  # noqa: BLE001 - collected, asserted in the test thread
                        failures.append(exc)
            self.thread = threading.Thread(target=rename_many)
            self.thread.start()

    renamer = RenameAlong()
    trainer = Trainer(fast_config.replace(epochs=3, batch_size=10), synthetic_data, [recorder, renamer], report_interval=0.0)
    try:
        trainer.fit()
    finally:
        done.set()
        renamer.thread.join(30)
    assert failures == [] and recorder.warnings == []
    assert read_run(recorder.folder).name == names[-1]
    assert json.loads((recorder.folder / "run.json").read_text())["status"] == "completed"

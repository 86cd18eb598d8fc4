"""The run recorder: what a run folder holds after a run, a stop, a resume and the faults it must survive."""

from __future__ import annotations

import errno
import json
import re
import shutil
import threading

import numpy as np
import torch

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine import Callback, FinishReason, Trainer
from fmnist_gui.runs import (BATCH_COLUMNS, METRICS_COLUMNS, RunRecorder, last_checkpoint, list_runs, read_batches,
                             read_metrics, read_run, rename_run, snapshots)
from fmnist_gui.runs import layout
from tests.engine.test_runs_resume import StopAt


def train(config, data, runs_dir, *, start=None, resume=None, keep=50, callbacks=()):
    """A recorded run; returns the recorder, the trainer and the result."""
    recorder = RunRecorder(runs_dir, resume=resume, keep=keep)
    trainer = Trainer(config, data, [recorder, *callbacks], resume_from=start, report_interval=0.0)
    return recorder, trainer, trainer.fit()


def test_a_run_folder_holds_run_json_both_tables_and_its_snapshots(fast_config, synthetic_data, tmp_path):
    recorder, trainer, result = train(fast_config, synthetic_data, tmp_path)
    folder = recorder.folder
    assert result.reason is FinishReason.COMPLETED and recorder.warnings == []
    assert folder.parent == tmp_path and re.fullmatch(r"\d{4}-\d\d-\d\d_\d{6}-quickstart-mlp-[0-9a-f]{4}", folder.name)
    header = (folder / "metrics.csv").read_text().splitlines()[0]
    assert header == ",".join(METRICS_COLUMNS + CLASS_NAMES)
    assert (folder / "batches.csv").read_text().splitlines()[0] == ",".join(BATCH_COLUMNS)
    assert read_metrics(folder) == trainer.history  # every value exact, confusion matrices included
    batches = read_batches(folder)
    assert batches["step"].tolist() == trainer.batch_history["step"]
    assert np.array_equal(batches["loss"], trainer.batch_history["loss"])
    assert batches["epoch"].tolist() == [1] * 12 + [2] * 12
    assert [epoch for epoch, _ in snapshots(folder)] == [1, 2]
    assert load_checkpoint(last_checkpoint(folder)).step == trainer.checkpoint().step
    info = read_run(folder)
    best = max(trainer.history, key=lambda e: e.test_accuracy)
    assert (info.status, info.epochs_done, info.epochs_asked, info.best_epoch) == ("completed", 2, 2, best.epoch)
    assert (info.model, info.optimizer, info.lr, info.seed, info.config) == ("quickstart-mlp", "adam", 1e-3, 0, fast_config)
    assert info.damage is None and info.duration > 0 and info.message == result.message
    assert load_checkpoint(folder / "checkpoints" / "best.pt").epoch == best.epoch
    raw = json.loads((folder / "run.json").read_text())
    assert raw["id"] == folder.name and raw["versions"]["torch"] and raw["pid"] and raw["host"]


def test_retention_keeps_the_first_the_best_and_the_last_snapshot(fast_config, synthetic_data, tmp_path):
    recorder, trainer, _ = train(fast_config.replace(epochs=5), synthetic_data, tmp_path, keep=1)
    best = max(trainer.history, key=lambda e: e.test_accuracy).epoch
    assert [epoch for epoch, _ in snapshots(recorder.folder)] == sorted({1, best, 5})
    for _, path in snapshots(recorder.folder):
        load_checkpoint(path)


def test_a_stop_mid_epoch_saves_last_pt_with_the_batch_position(fast_config, synthetic_data, tmp_path):
    recorder, _, result = train(fast_config.replace(epochs=3), synthetic_data, tmp_path, callbacks=[StopAt(2, 5)])
    assert result.reason is FinishReason.STOPPED
    last = load_checkpoint(last_checkpoint(recorder.folder))
    assert (last.epoch, last.extra_batches) == (1, 5)
    assert [epoch for epoch, _ in snapshots(recorder.folder)] == [1]
    assert read_run(recorder.folder).status == "stopped"
    assert read_batches(recorder.folder)["step"][-1] == 17


def test_continuing_a_run_goes_on_in_its_own_folder(fast_config, synthetic_data, tmp_path):
    config = fast_config.replace(epochs=3)
    first, _, _ = train(config, synthetic_data, tmp_path, callbacks=[StopAt(2, 5)])
    duration = read_run(first.folder).duration
    start = load_checkpoint(last_checkpoint(first.folder))
    second, trainer, result = train(config, synthetic_data, tmp_path, start=start, resume=first.folder)
    assert result.reason is FinishReason.COMPLETED
    assert second.folder == first.folder and len(list_runs(tmp_path)) == 1
    assert [e.epoch for e in read_metrics(first.folder)] == [1, 2, 3]
    steps = read_batches(first.folder)["step"].tolist()
    assert steps == list(range(1, 37))  # no batch twice, none missing
    info = read_run(first.folder)
    assert (info.status, info.epochs_done) == ("completed", 3) and info.duration > duration


def test_continuing_drops_what_a_killed_process_left_past_its_last_checkpoint(fast_config, synthetic_data, tmp_path):
    first, _, _ = train(fast_config, synthetic_data, tmp_path)
    with open(first.folder / "batches.csv", "a") as stream:
        stream.write("25,3,2.0,0.001\n26,3,1.9")  # reports of an epoch the kill cut short, the last one torn
    start = load_checkpoint(last_checkpoint(first.folder))
    train(fast_config.replace(epochs=3), synthetic_data, tmp_path, start=start, resume=first.folder / "checkpoints" / "last.pt")
    assert read_batches(first.folder)["step"].tolist() == list(range(1, 37))


def test_continuing_from_an_earlier_snapshot_starts_a_new_folder_and_keeps_the_old_one(fast_config, synthetic_data, tmp_path):
    first, _, _ = train(fast_config.replace(epochs=3), synthetic_data, tmp_path)
    before = (first.folder / "metrics.csv").read_bytes()
    rename_run(first.folder, "baseline")
    snapshot = dict(snapshots(first.folder))[1]
    second, _, _ = train(fast_config.replace(epochs=3), synthetic_data, tmp_path, start=load_checkpoint(snapshot), resume=snapshot)
    assert second.folder != first.folder and (first.folder / "metrics.csv").read_bytes() == before
    assert read_run(second.folder).name == "baseline (from epoch 1)"
    assert [e.epoch for e in read_metrics(second.folder)] == [1, 2, 3]
    assert read_batches(second.folder)["step"].tolist() == list(range(1, 37))


def test_an_unwritable_runs_dir_still_trains_with_one_warning(fast_config, synthetic_data, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    recorder, trainer, result = train(fast_config, synthetic_data, blocker / "runs")
    assert result.reason is FinishReason.COMPLETED and recorder.folder is None
    assert recorder.warnings == [f"Runs cannot be recorded in {blocker / 'runs'}: Not a directory. This run is not recorded."]
    assert trainer.callbacks.failures == []


def test_a_full_disk_during_a_snapshot_keeps_the_previous_one_and_training_goes_on(fast_config, synthetic_data, tmp_path, monkeypatch):
    real_save, calls = torch.save, []

    def save(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # epoch 2's snapshot
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(*args, **kwargs)

    monkeypatch.setattr(torch, "save", save)
    recorder, trainer, result = train(fast_config.replace(epochs=3), synthetic_data, tmp_path)
    assert result.reason is FinishReason.COMPLETED and trainer.callbacks.failures == []
    assert [epoch for epoch, _ in snapshots(recorder.folder)] == [1, 3]
    assert load_checkpoint(recorder.folder / "checkpoints" / "epoch-001.pt").epoch == 1
    assert load_checkpoint(last_checkpoint(recorder.folder)).epoch == 3
    assert [w for w in recorder.warnings if "epoch-002.pt" in w and "No space left on device" in w] == recorder.warnings
    assert not [p for p in (recorder.folder / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    assert [e.epoch for e in read_metrics(recorder.folder)] == [1, 2, 3]


class DeleteFolder(Callback):
    """Removes the run folder under the recorder's feet after epoch 1."""

    def __init__(self, recorder: RunRecorder) -> None:
        self.recorder = recorder

    def on_epoch_end(self, record) -> None:
        if record.epoch == 1:
            shutil.rmtree(self.recorder.folder)


def test_a_folder_deleted_during_the_run_costs_warnings_not_the_run(fast_config, synthetic_data, tmp_path):
    recorder = RunRecorder(tmp_path)
    trainer = Trainer(fast_config.replace(epochs=3), synthetic_data, [recorder, DeleteFolder(recorder)], report_interval=0.0)
    assert trainer.fit().reason is FinishReason.COMPLETED
    assert trainer.callbacks.failures == [] and recorder.warnings


def test_two_recorders_at_once_get_distinct_folders(fast_config, synthetic_data, tmp_path, monkeypatch):
    names = iter(["beef", "beef", "cafe"])  # the second run draws the first one's name, then another
    monkeypatch.setattr(layout.secrets, "token_hex", lambda n: next(names))
    monkeypatch.setattr(layout.time, "strftime", lambda pattern: "2026-01-01_000000")
    assert layout.create_run_folder(tmp_path, "m").name == "2026-01-01_000000-m-beef"
    assert layout.create_run_folder(tmp_path, "m").name == "2026-01-01_000000-m-cafe"
    monkeypatch.undo()

    runs_dir = tmp_path / "runs"
    recorders = []
    threads = [threading.Thread(target=lambda: recorders.append(train(fast_config.replace(epochs=1), synthetic_data, runs_dir)[0]))
               for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r.folder for r in recorders}) == 2
    assert [run.status for run in list_runs(runs_dir)] == ["completed", "completed"]


def test_a_recorder_needs_only_to_be_among_the_callbacks_to_save_every_snapshot(fast_config, synthetic_data, tmp_path):
    """What the recorder reads of the run (its data, snapshots, the checkpoint it resumes) comes in setup()'s context."""
    recorder = RunRecorder(tmp_path)
    Trainer(fast_config, synthetic_data, [recorder], report_interval=0.0).fit()
    assert recorder.warnings == []
    assert len(read_metrics(recorder.folder)) == 2 and [epoch for epoch, _ in snapshots(recorder.folder)] == [1, 2]

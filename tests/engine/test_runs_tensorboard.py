"""TensorBoard event files in a run folder: the same scalars as its tables, and never a failed run for them."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine import FinishReason
from fmnist_gui.runs import last_checkpoint, read_batches, read_metrics, snapshots
from fmnist_gui.runs import tensorboard as events
from tests.engine.test_runs_cli import REPO
from tests.engine.test_runs_recorder import train
from tests.engine.test_runs_resume import StopAt

pytest.importorskip("tensorboard")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402


def scalars(folder) -> dict[str, list[tuple[int, float]]]:
    """Every scalar series of the run folder's event files: (step, value) in order, as TensorBoard shows them."""
    accumulator = EventAccumulator(str(folder / "tensorboard"), size_guidance={"scalars": 0})
    accumulator.Reload()
    return {tag: [(e.step, e.value) for e in accumulator.Scalars(tag)] for tag in accumulator.Tags()["scalars"]}


def expected(folder) -> dict[str, list[tuple[int, float]]]:
    """What the run's tables hold, as the float32 values event files keep."""
    batches, history = read_batches(folder), read_metrics(folder)
    series = {f"batch/{name}": [(int(s), float(np.float32(v))) for s, v in zip(batches["step"], batches[name])]
              for name in ("loss", "lr")}
    for name in events.EPOCH_SCALARS:
        series[f"epoch/{name}"] = [(e.epoch, float(np.float32(getattr(e, name)))) for e in history]
    for index, name in enumerate(CLASS_NAMES):
        series[f"class_accuracy/{name}"] = [(e.epoch, float(np.float32(e.per_class_accuracy[index]))) for e in history]
    return series


def test_event_files_hold_the_scalars_of_metrics_csv_and_batches_csv(fast_config, synthetic_data, tmp_path):
    recorder, _, result = train(fast_config, synthetic_data, tmp_path)
    assert result.reason is FinishReason.COMPLETED and recorder.warnings == []
    found = scalars(recorder.folder)
    assert found == expected(recorder.folder)
    assert [step for step, _ in found["batch/loss"]] == list(range(1, 25))
    assert [step for step, _ in found["epoch/test_accuracy"]] == [1, 2]


def test_a_continued_run_appends_and_drops_what_a_killed_process_left(fast_config, synthetic_data, tmp_path):
    config = fast_config.replace(epochs=3)
    first, _, _ = train(config, synthetic_data, tmp_path, callbacks=[StopAt(2, 5)])
    stale = events.EventWriter(first.folder, on_error=pytest.fail)  # reports past last.pt that a kill left behind
    stale.open()
    stale.batch(18, 9.0, 1e-3)
    stale.close()
    start = load_checkpoint(last_checkpoint(first.folder))
    second, _, result = train(config, synthetic_data, tmp_path, start=start, resume=first.folder)
    assert result.reason is FinishReason.COMPLETED and second.folder == first.folder and second.warnings == []
    found = scalars(first.folder)
    assert found == expected(first.folder)
    assert [step for step, _ in found["batch/loss"]] == list(range(1, 37))


def test_a_branch_from_a_snapshot_starts_its_event_files_with_the_history_it_inherits(fast_config, synthetic_data, tmp_path):
    first, _, _ = train(fast_config, synthetic_data, tmp_path)
    snapshot = dict(snapshots(first.folder))[1]
    second, _, _ = train(fast_config.replace(epochs=3), synthetic_data, tmp_path, start=load_checkpoint(snapshot), resume=snapshot)
    assert second.folder != first.folder
    found = scalars(second.folder)
    assert found == expected(second.folder)
    assert [step for step, _ in found["epoch/train_loss"]] == [1, 2, 3]


def test_a_failing_writer_gives_one_warning_and_the_run_completes(fast_config, synthetic_data, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(events.EventWriter, "add_scalar", broken)
    recorder, trainer, result = train(fast_config, synthetic_data, tmp_path)
    assert result.reason is FinishReason.COMPLETED
    (warning,) = recorder.warnings
    assert warning == (f"TensorBoard event files of run {recorder.folder.name} are no longer written "
                       "(No space left on device); training goes on.")
    assert read_metrics(recorder.folder) == trainer.history


def test_without_tensorboard_no_event_files_are_written(fast_config, synthetic_data, tmp_path, monkeypatch):
    monkeypatch.setattr(events, "available", lambda: False)
    recorder, _, _ = train(fast_config, synthetic_data, tmp_path)
    assert recorder.warnings == [] and not (recorder.folder / "tensorboard").exists()


def test_starting_the_app_imports_no_tensorboard():
    check = ("import sys, fmnist_gui.cli, fmnist_gui.runs; "
             "print(sorted(m for m in sys.modules if 'tensorboard' in m and m != 'fmnist_gui.runs.tensorboard'))")
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert (done.returncode, done.stdout.strip()) == (0, "[]"), done.stderr

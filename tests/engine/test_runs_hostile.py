"""Run folders an attacker shaped: each damaged file is one line naming it, never a hang, a traceback or the
machine's memory, and one damaged run never hides the others."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import threading
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fmnist_gui.checkpoint import CheckpointError, load_checkpoint
from fmnist_gui.dynamics import DynamicsDamaged, TrainingDynamics, save_dynamics
from fmnist_gui.runs import RunDamaged, RunFollower, list_runs, read_batches, read_changes, read_dynamics, read_metrics
from tests.engine.test_cli import ERROR_PREFIX, one_error_line, run
from tests.engine.test_runs_reader import recorded  # noqa: F401 - a fixture

WARNING_PREFIX = "fmnist-gui: warning:"


CHANGE = {"step": 3, "epoch": 1, "batch": 3, "field": "lr", "old": 1e-3, "new": 3e-4}


@pytest.fixture
def runs(recorded, tmp_path) -> tuple[Path, Path]:
    """A runs folder holding two copies of a recorded two-epoch run with every file a run writes (one paused
    change included): one to damage, one that stays intact."""
    runs_dir = tmp_path / "runs"
    copies = shutil.copytree(recorded, runs_dir / "damaged"), shutil.copytree(recorded, runs_dir / "intact")
    for folder in copies:
        (folder / "changes.jsonl").write_text(json.dumps(CHANGE) + "\n")
    return copies


def listed(runs_dir: Path) -> dict[str, Any]:
    return {info.folder.name: info for info in list_runs(runs_dir)}


def assert_listed_damaged(runs_dir: Path, reason: str) -> None:
    """The damaged run is listed with `reason`, the intact one as it is."""
    found = listed(runs_dir)
    assert found["damaged"].status == "damaged" and reason in found["damaged"].damage, found["damaged"].damage
    assert found["intact"].status == "completed" and found["intact"].damage is None


# 7. nesting


@pytest.mark.parametrize("line", ["[" * 100_000, '{"epoch": 1, "confusion": ' + "[" * 30_000,
                                  '{"epoch": 1, "confusion": ' + "[" * 500 + "]" * 500 + "}"])
def test_a_deeply_nested_confusion_line_is_damage_that_hides_no_other_run(runs, line, tmp_path, capsys):
    damaged, _ = runs
    with open(damaged / "confusion.jsonl", "a") as stream:
        stream.write(line + "\n")
    assert_listed_damaged(damaged.parent, "confusion.jsonl line 3")
    capsys.readouterr()
    assert run("runs", "--runs-dir", damaged.parent) == 0
    out = capsys.readouterr().out
    assert "damaged: confusion.jsonl line 3" in out and out.count("completed") == 1
    assert run("runs", "--runs-dir", damaged.parent, "--csv", tmp_path / "m.csv") == 0
    (warning,) = capsys.readouterr().err.splitlines()
    assert warning.startswith(f"{WARNING_PREFIX} damaged is skipped: confusion.jsonl line 3")


def test_a_deeply_nested_run_json_is_damage(runs):
    damaged, _ = runs
    (damaged / "run.json").write_text('{"name": ' + "[" * 50_000 + "]" * 50_000 + "}")
    assert_listed_damaged(damaged.parent, "run.json")


# 8. fifos


def finishes(call: Callable[[], Any], fifo: Path) -> Any:
    """call()'s result or exception; a call that waits on `fifo` is freed (a writer comes and goes) and fails the test."""
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = call()
        except Exception as exc:  # noqa: BLE001 - handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(60)  # a guard against a hang, not a timing: a read that works takes milliseconds
    if thread.is_alive():
        while thread.is_alive():
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # the reader's open returns, then reads the end
            except OSError:
                pass
            thread.join(0.1)
        pytest.fail(f"reading the run waited for a writer of the fifo {fifo.name}")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def make_fifo(path: Path) -> Path:
    path.unlink()
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("name", ["run.json", "metrics.csv", "batches.csv", "confusion.jsonl"])
def test_a_fifo_in_place_of_a_listed_file_is_damage_not_a_hang(runs, name, capsys):
    damaged, _ = runs
    fifo = make_fifo(damaged / name)
    finishes(lambda: assert_listed_damaged(damaged.parent, f"{name} is not a regular file"), fifo)
    update = finishes(lambda: RunFollower(damaged).poll(), fifo)
    assert update.info.status == "damaged" and f"{name} is not a regular file" in update.info.damage
    capsys.readouterr()
    assert finishes(lambda: run("runs", "--runs-dir", damaged.parent), fifo) == 0
    assert f"damaged: {name} is not a regular file." in capsys.readouterr().out


@pytest.mark.parametrize(("name", "read", "error"), [
    ("changes.jsonl", read_changes, RunDamaged),
    ("metrics.csv", read_metrics, RunDamaged),
    ("batches.csv", read_batches, RunDamaged),
    ("dynamics.npz", read_dynamics, DynamicsDamaged),
    ("checkpoints/last.pt", lambda folder: load_checkpoint(folder / "checkpoints" / "last.pt"), CheckpointError),
])
def test_every_reader_of_a_run_file_refuses_a_fifo_without_waiting(runs, name, read, error):
    damaged, _ = runs
    fifo = make_fifo(damaged / name)
    with pytest.raises(error, match=f"{Path(name).name} is not a regular file"):
        finishes(lambda: read(damaged), fifo)


def test_datamap_of_a_fifo_is_one_line(runs, capsys):
    damaged, _ = runs
    fifo = make_fifo(damaged / "dynamics.npz")
    assert finishes(lambda: run("datamap", damaged), fifo) == 1
    assert one_error_line(capsys) == f"{ERROR_PREFIX} dynamics.npz is not a regular file."


# 9. and 11. sizes


def test_a_metrics_csv_larger_than_any_run_writes_is_refused_before_it_is_read(runs):
    damaged, _ = runs
    os.truncate(damaged / "metrics.csv", 64 * 2**20)  # sparse: 64 MiB of NULs after the rows, no disk used
    tracemalloc.start()
    try:
        with pytest.raises(RunDamaged, match=r"^metrics\.csv is too large"):
            read_metrics(damaged)
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()
    assert_listed_damaged(damaged.parent, "metrics.csv is too large")


def test_a_batches_csv_larger_than_its_run_can_write_is_refused_before_it_is_read(runs):
    damaged, _ = runs
    os.truncate(damaged / "batches.csv", 64 * 2**20)  # 2 epochs of 600 images cannot make this many reports
    with pytest.raises(RunDamaged, match=r"^batches\.csv is too large"):
        read_batches(damaged)
    assert_listed_damaged(damaged.parent, "batches.csv is too large")


@pytest.mark.parametrize("name", ["metrics.csv", "batches.csv", "confusion.jsonl", "changes.jsonl"])
def test_a_line_longer_than_any_a_run_writes_is_refused_while_it_is_read(runs, name):
    damaged, _ = runs
    path = damaged / name
    lines = len(path.read_text().splitlines())
    os.truncate(path, path.stat().st_size + 4 * 2**20)  # a last line of NULs, unfinished and far too long
    follower = RunFollower(damaged)
    tracemalloc.start()
    try:
        update = follower.poll()
        assert tracemalloc.get_traced_memory()[1] < 2**20
    finally:
        tracemalloc.stop()
    assert update.info.status == "damaged"
    assert update.info.damage == f"{name} line {lines + 1} is longer than any line a run writes."


def test_metrics_rows_beyond_the_epochs_of_any_run_are_refused(runs):
    damaged, _ = runs
    text = (damaged / "metrics.csv").read_text()
    header, row = text.splitlines()[:2]
    rows = [f"{epoch}," + row.split(",", 1)[1] for epoch in range(1, 10_002)]
    (damaged / "metrics.csv").write_text("\n".join([header, *rows]) + "\n")
    with pytest.raises(RunDamaged, match=r"^metrics\.csv holds more lines than any run writes \(10,001 at most\)\.$"):
        read_metrics(damaged)


def test_an_epoch_beyond_those_its_run_asked_for_is_damage(runs):
    damaged, _ = runs
    lines = (damaged / "metrics.csv").read_text().splitlines()
    with open(damaged / "metrics.csv", "a") as stream:
        stream.write("3," + lines[-1].split(",", 1)[1] + "\n")
    assert_listed_damaged(damaged.parent, "metrics.csv holds epoch 3; its run asked for 2")


def npz(members: dict[str, bytes], compression: int = zipfile.ZIP_STORED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(f"{name}.npy", content)
    return buffer.getvalue()


def npy(array: np.ndarray, shape: tuple[int, ...] | None = None) -> bytes:
    """An array's .npy bytes; with `shape`, a header that declares that shape over the same few bytes."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": np.lib.format.dtype_to_descr(array.dtype),
                                                  "fortran_order": False, "shape": shape or array.shape})
    return buffer.getvalue() + array.tobytes()


def members_of(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {info.filename.removesuffix(".npy"): archive.read(info) for info in archive.infolist()}


def test_a_dynamics_file_declaring_a_huge_array_is_one_line_not_a_memory_error(runs, capsys):
    damaged, _ = runs
    members = members_of(damaged / "dynamics.npz")
    members["train_probability"] = npy(np.zeros(4, np.float16), (10**9, 60_000))
    members["epochs"] = npy(np.arange(1, 3, dtype=np.int64), (10**9,))
    (damaged / "dynamics.npz").write_bytes(npz(members))
    assert run("datamap", damaged) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"{ERROR_PREFIX} dynamics.npz is damaged: ") and "epochs" in line


def test_a_dynamics_member_whose_shape_disagrees_with_the_others_is_refused_before_it_is_read(runs):
    damaged, _ = runs
    members = members_of(damaged / "dynamics.npz")
    members["test_predicted"] = npy(np.zeros(4, np.uint8), (2, 10_000))  # the run's test set has 200 images
    (damaged / "dynamics.npz").write_bytes(npz(members))
    with pytest.raises(DynamicsDamaged, match=r"^dynamics\.npz is damaged: test_predicted has the wrong shape: \(2, 10000\), not \(2, 200\)"):
        read_dynamics(damaged)


def test_a_dynamics_member_that_inflates_past_its_array_is_refused(runs):
    damaged, _ = runs
    members = members_of(damaged / "dynamics.npz")
    members["train_predicted"] += bytes(8 * 2**20)  # 8 MiB of zeros after the array, deflated to a few kB
    (damaged / "dynamics.npz").write_bytes(npz(members, zipfile.ZIP_DEFLATED))
    assert (damaged / "dynamics.npz").stat().st_size < 2**20
    with pytest.raises(DynamicsDamaged, match=r"^dynamics\.npz is damaged: train_predicted\.npy unpacks to"):
        read_dynamics(damaged)


def test_dynamics_of_more_epochs_than_its_run_asked_for_are_refused(runs, synthetic_data):
    damaged, _ = runs
    rows = 3
    train, test = synthetic_data.train_labels.numpy(), synthetic_data.test_labels.numpy()
    dynamics = TrainingDynamics(train, test, np.arange(1, rows + 1), np.zeros((rows, len(train)), np.float16),
                                np.zeros((rows, len(train)), np.uint8), np.zeros((rows, len(test)), np.float16),
                                np.zeros((rows, len(test)), np.uint8))
    save_dynamics(dynamics, damaged / "dynamics.npz")
    with pytest.raises(DynamicsDamaged, match=r"^dynamics\.npz is damaged: it holds 3 epochs; its run asked for 2\.$"):
        read_dynamics(damaged)


# 12. run.json


@pytest.mark.parametrize(("damage", "reason"), [
    (lambda text: text[: len(text) // 2], "run.json is not valid JSON"),
    (lambda text: json.dumps({k: v for k, v in json.loads(text).items() if k != "config"}), "run.json: it holds no config"),
    (lambda text: json.dumps({**json.loads(text), "config": "fast"}), "run.json: its config must be a dict"),
    (lambda text: json.dumps({**json.loads(text), "config": {k: v for k, v in json.loads(text)["config"].items()
                                                             if k != "optimizer"}}), "run.json: its config lacks optimizer"),
    (lambda text: json.dumps({**json.loads(text), "config": {**json.loads(text)["config"], "lr": -1}}),
     "run.json: its config is invalid: The learning rate must be above 0"),
])
def test_a_run_json_without_a_whole_config_is_damaged_never_shown_with_the_defaults(runs, damage, reason, capsys):
    damaged, _ = runs
    (damaged / "run.json").write_text(damage((damaged / "run.json").read_text()))
    assert_listed_damaged(damaged.parent, reason)
    info = listed(damaged.parent)["damaged"]
    assert (info.config, info.seed, info.epochs_asked) == (None, None, 0) and info.model != "small-cnn"
    capsys.readouterr()
    assert run("runs", "--runs-dir", damaged.parent, "--json") == 0
    entry = next(r for r in json.loads(capsys.readouterr().out)["runs"] if r["id"] == "damaged" or r["folder"].endswith("damaged"))
    assert entry["status"] == "damaged" and entry["model"] != "small-cnn" and entry["epochs_asked"] == 0
    assert run("runs", "--runs-dir", damaged.parent) == 0
    assert "small-cnn" not in capsys.readouterr().out


# 13. not an archive


def test_a_dynamics_file_of_random_bytes_is_damaged_not_numpys_advice(runs, capsys):
    damaged, _ = runs
    (damaged / "dynamics.npz").write_bytes(random.Random(0).randbytes(5000))
    with pytest.raises(DynamicsDamaged, match=r"^dynamics\.npz is damaged: it is not a NumPy archive\.$"):
        read_dynamics(damaged)
    assert run("datamap", damaged) == 1
    line = one_error_line(capsys)
    assert "allow_pickle" not in line and "not a NumPy archive" in line


# 14. names


def test_a_folder_name_with_escape_codes_is_printed_clean(runs, tmp_path, capsys):
    damaged, intact = runs
    evil = damaged.rename(damaged.parent / "\x1b]0;owned\x07\x1b[31mred\rrun")
    content = json.loads((evil / "run.json").read_text())
    (evil / "run.json").write_text(json.dumps({**content, "name": "", "id": ""}))
    shutil.rmtree(intact)
    shutil.copytree(evil, evil.parent / "\x1b[2Jgone")
    (evil.parent / "\x1b[2Jgone" / "metrics.csv").write_text("nonsense\n")
    capsys.readouterr()
    assert run("runs", "--runs-dir", evil.parent) == 0
    assert run("runs", "--runs-dir", evil.parent, "--csv", tmp_path / "m.csv") == 0
    assert run("datamap", evil) == 0
    assert run("datamap", evil.parent / "nowhere\x1b[31m") == 1
    printed = capsys.readouterr()
    for text in (printed.out, printed.err):
        assert not any(char in text for char in "\x1b\x07\r"), repr(text)
    assert "red run" in printed.out and "gone is skipped" in printed.err
    info = listed(evil.parent)[evil.name]
    assert (info.name, info.id) == ("red run", "red run")

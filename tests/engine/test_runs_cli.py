"""`fmnist-gui train` records its run; `fmnist-gui runs` lists them; a SIGKILL loses nothing that was written."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import fmnist_gui
from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.engine.evaluation import evaluate
from fmnist_gui.runs import last_checkpoint, list_runs, read_batches, read_metrics, snapshots
from tests.engine.test_cli import ERROR_PREFIX, TINY, one_error_line, run

REPO = Path(fmnist_gui.__file__).parent.parent
WARNING_PREFIX = "fmnist-gui: warning:"


def test_train_records_in_fmnist_runs_without_an_out_file(synthetic_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FMNIST_RUNS", str(tmp_path / "runs"))
    assert run("train", *TINY, "--epochs", "2", "--data-dir", synthetic_dir) == 0
    (info,) = list_runs(tmp_path / "runs")
    assert (info.status, info.epochs_done) == ("completed", 2)
    assert f"Recording the run in {info.folder}" in capsys.readouterr().err


def test_no_record_writes_no_folder_and_needs_an_out_file(synthetic_dir, tmp_path, capsys):
    runs_dir = tmp_path / "runs"
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--runs-dir", runs_dir, "--no-record", "--out", tmp_path / "m.pt") == 0
    assert not runs_dir.exists() and (tmp_path / "m.pt").is_file()
    capsys.readouterr()
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--no-record") == EXIT_USAGE
    assert "--no-record needs --out FILE" in one_error_line(capsys)


@pytest.mark.parametrize("keep", ["0", "-3", "many"])
def test_keep_must_be_a_whole_number_from_1(synthetic_dir, keep, capsys):
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--keep", keep) == EXIT_USAGE
    assert "--keep" in one_error_line(capsys)


def test_keep_limits_the_snapshots(synthetic_dir, tmp_path, capsys):
    assert run("train", *TINY, "--epochs", "4", "--data-dir", synthetic_dir, "--runs-dir", tmp_path, "--keep", "1") == 0
    (info,) = list_runs(tmp_path)
    assert [epoch for epoch, _ in snapshots(info.folder)] == sorted({1, info.best_epoch, 4})


def test_an_unwritable_runs_dir_trains_with_one_warning_line(synthetic_dir, tmp_path, capsys):
    (tmp_path / "a-file").write_text("")
    assert run("train", *TINY, "--epochs", "2", "--data-dir", synthetic_dir, "--runs-dir", tmp_path / "a-file" / "runs",
               "--out", tmp_path / "m.pt") == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if line.startswith(WARNING_PREFIX)]
    assert len(warnings) == 1 and "Runs cannot be recorded in" in warnings[0] and "the model is saved to" in warnings[0]
    assert load_checkpoint(tmp_path / "m.pt").epoch == 2


def test_resume_with_a_run_folder_continues_it(synthetic_dir, tmp_path, capsys):
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--runs-dir", tmp_path) == 0
    (first,) = list_runs(tmp_path)
    assert run("train", "--resume", first.folder, "--epochs", "2", "--data-dir", synthetic_dir, "--runs-dir", tmp_path,
               "--name", "longer") == 0
    (info,) = list_runs(tmp_path)
    assert (info.folder, info.epochs_done, info.epochs_asked, info.status, info.name) == (first.folder, 2, 2, "completed", "longer")
    capsys.readouterr()
    assert run("train", "--resume", tmp_path, "--data-dir", synthetic_dir, "--runs-dir", tmp_path) == EXIT_FAILURE
    assert "holds no checkpoints/last.pt to resume from" in one_error_line(capsys)


@pytest.fixture
def two_runs(synthetic_dir, tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("listed")
    for seed in ("1", "2"):
        assert run("train", *TINY, "--seed", seed, "--data-dir", synthetic_dir, "--runs-dir", runs_dir, "--name", f"seed {seed}") == 0
    return runs_dir


def test_runs_lists_each_run_on_a_line(two_runs, capsys):
    capsys.readouterr()
    assert run("runs", "--runs-dir", two_runs) == 0
    header, *lines = capsys.readouterr().out.splitlines()
    assert header.split() == ["NAME", "CREATED", "MODEL", "OPTIMIZER", "LR", "EPOCHS", "BEST", "TIME", "STATUS"]
    assert [line.split()[:2] for line in lines] == [["seed", "2"], ["seed", "1"]]  # newest first
    assert all(" quickstart-mlp  sgd " in line and " 1/1 " in line and line.endswith("completed") for line in lines)


def test_runs_json_has_a_schema_and_every_field(two_runs, capsys):
    capsys.readouterr()
    assert run("runs", "--runs-dir", two_runs, "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing["schema"] == 1 and [r["name"] for r in listing["runs"]] == ["seed 2", "seed 1"]
    entry = listing["runs"][0]
    assert {k: entry[k] for k in ("model", "optimizer", "lr", "epochs_done", "epochs_asked", "status", "seed", "damage")} == {
        "model": "quickstart-mlp", "optimizer": "sgd", "lr": 1e-3, "epochs_done": 1, "epochs_asked": 1,
        "status": "completed", "seed": 2, "damage": None}
    assert entry["best_epoch"] == 1 and 0 <= entry["best_accuracy"] <= 100 and entry["duration"] > 0


def test_runs_shows_a_damaged_run_with_its_reason(two_runs, tmp_path, capsys):
    runs_dir = shutil.copytree(two_runs, tmp_path / "copy")
    (list_runs(runs_dir)[0].folder / "run.json").write_text('{"name": ')
    capsys.readouterr()
    assert run("runs", "--runs-dir", runs_dir) == 0
    assert "damaged: run.json is not valid JSON (truncated or damaged)." in capsys.readouterr().out


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_a_bad_runs_dir_is_one_line_and_exit_1(tmp_path, kind, capsys):
    path = tmp_path / "runs"
    if kind == "file":
        path.write_text("")
    assert run("runs", "--runs-dir", path) == EXIT_FAILURE
    assert one_error_line(capsys).startswith(f"{ERROR_PREFIX} ")


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def test_runs_csv_writes_every_runs_metrics_in_one_long_table(two_runs, tmp_path, capsys):
    out = tmp_path / "metrics.csv"
    capsys.readouterr()
    assert run("runs", "--runs-dir", two_runs, "--csv", out) == 0
    assert capsys.readouterr().out == "Wrote metrics.csv: 2 runs, 2 epochs.\n"
    assert out.read_text().splitlines()[0] == "run,epoch,metric,value"
    rows = csv_rows(out)
    for info in list_runs(two_runs):
        mine = {row["metric"]: row["value"] for row in rows if row["run"] == info.folder.name}
        (epoch,) = read_metrics(info.folder)
        assert len(mine) == 16 and float(mine["test_accuracy"]) == epoch.test_accuracy
        assert float(mine["accuracy_Ankle boot"]) == epoch.per_class_accuracy[-1]
    assert len(rows) == 32 and {row["epoch"] for row in rows} == {"1"}


def test_runs_csv_takes_runs_by_name_folder_name_or_path(two_runs, tmp_path, monkeypatch, capsys):
    by_name = {info.name: info.folder for info in list_runs(two_runs)}
    monkeypatch.setenv("FMNIST_RUNS", str(two_runs))
    for names, expected in ((["seed 1"], ["seed 1"]), ([by_name["seed 2"].name], ["seed 2"]),
                            ([by_name["seed 2"], "seed 1", "seed 2"], ["seed 2", "seed 1"])):
        out = tmp_path / "named.csv"
        assert run("runs", "--csv", out, *names) == 0
        assert list(dict.fromkeys(row["run"] for row in csv_rows(out))) == [by_name[name].name for name in expected]


def test_runs_csv_skips_a_damaged_run_with_one_warning_line(two_runs, tmp_path, capsys):
    runs_dir = shutil.copytree(two_runs, tmp_path / "copy")
    damaged, intact = list_runs(runs_dir)
    (damaged.folder / "metrics.csv").write_text("epoch,step\n1,2\nnot a row\n3,4\n")
    capsys.readouterr()
    assert run("runs", "--runs-dir", runs_dir, "--csv", tmp_path / "m.csv") == 0
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"{WARNING_PREFIX} {damaged.folder.name} is skipped: metrics.csv")
    assert {row["run"] for row in csv_rows(tmp_path / "m.csv")} == {intact.folder.name}


@pytest.mark.parametrize("case", ["empty", "unknown", "ambiguous"])
def test_runs_csv_without_runs_or_with_an_unknown_one_is_one_error_line(two_runs, tmp_path, case, capsys):
    runs_dir, names = two_runs, ["no such run"]
    if case == "empty":
        runs_dir, names = tmp_path / "empty", []
        runs_dir.mkdir()
    if case == "ambiguous":
        runs_dir, names = shutil.copytree(two_runs, tmp_path / "copy"), ["seed 1"]
        shutil.copytree(list_runs(runs_dir)[1].folder, runs_dir / "seed-1-again")
    capsys.readouterr()
    assert run("runs", "--runs-dir", runs_dir, "--csv", tmp_path / "m.csv", *names) == EXIT_FAILURE
    line = one_error_line(capsys)
    assert {"empty": "There are no runs in", "unknown": "There is no run 'no such run' in",
            "ambiguous": "2 runs in"}[case] in line
    assert not (tmp_path / "m.csv").exists()


@pytest.mark.parametrize("argv", [["some-run"], ["--json", "--csv", "m.csv"]])
def test_runs_names_need_csv_and_csv_excludes_json(tmp_path, argv, capsys):
    assert run("runs", "--runs-dir", tmp_path, *argv) == EXIT_USAGE
    assert one_error_line(capsys)


def test_sigkill_after_epoch_2_leaves_a_folder_whose_last_snapshot_has_its_recorded_accuracy(synthetic_dir, synthetic_data, tmp_path):
    runs_dir = tmp_path / "runs"
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--batch-size", "100", "--epochs", "500",
               "--data-dir", str(synthetic_dir), "--runs-dir", str(runs_dir)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    watchdog = threading.Timer(120, process.kill)  # a hung child fails the test instead of hanging it
    watchdog.start()
    try:
        lines = [process.stdout.readline(), process.stdout.readline()]
        process.kill()
        process.wait()
    finally:
        watchdog.cancel()
    assert lines[1].startswith("epoch 2/500:"), lines

    (info,) = list_runs(runs_dir)
    assert info.status == "interrupted" and info.damage is None
    metrics = {entry.epoch: entry for entry in read_metrics(info.folder)}
    assert len(read_batches(info.folder)["step"]) >= 2
    saved = snapshots(info.folder)
    assert [epoch for epoch, _ in saved] == list(range(1, len(saved) + 1)) and len(saved) >= 2
    for path in [p for _, p in saved] + [last_checkpoint(info.folder), info.folder / "checkpoints" / "best.pt"]:
        load_checkpoint(path)
    epoch, path = saved[-1]
    checkpoint = load_checkpoint(path)
    result = evaluate(checkpoint.build_model(), synthetic_data.test_images, synthetic_data.test_labels,
                      checkpoint.spec.mean, checkpoint.spec.std)
    assert result.accuracy == pytest.approx(metrics[epoch].test_accuracy, abs=0.01)

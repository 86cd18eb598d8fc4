"""`fmnist-gui labels list|show|apply|fix|export`, `train --labels`, `evaluate --labels`: their output and their errors."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.labels import Action, FixSet, read_fix_file
from fmnist_gui.runs import find_run, read_dynamics, read_run
from tests.engine.test_cli import TINY, one_error_line, run
from tests.engine.test_cli_conventions import HEAVY, LIGHT_COMMANDS, REPO


@pytest.fixture(scope="module")
def place(synthetic_dir, tmp_path_factory) -> dict[str, Path]:
    """A runs folder holding one recorded run, named "noisy", and an empty labels folder."""
    root = tmp_path_factory.mktemp("labels-cli")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert run("train", *TINY, "--epochs", "2", "--data-dir", synthetic_dir, "--runs-dir", root / "runs", "--name", "noisy") == 0
    return {"data": synthetic_dir, "runs": root / "runs", "labels": root / "labels"}


def labels(place: dict[str, Path], *argv: object) -> int:
    return run("labels", *argv, "--labels-dir", place["labels"])


def test_help_of_labels_and_its_sub_commands_imports_no_torch():
    argvs = [["labels", "--help"], ["labels", "apply", "--help"], ["labels", "fix", "--help"]]
    done = subprocess.run([sys.executable, "-c", LIGHT_COMMANDS, json.dumps(argvs), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=60, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {" ".join(argv): [0, []] for argv in argvs}


def test_train_help_says_the_test_set_is_never_changed(capsys):
    assert run("train", "--help") == 0
    assert "The test set is never changed by a fix set" in " ".join(capsys.readouterr().out.split())


def test_apply_makes_a_fix_set_of_a_runs_suspects_and_merges_into_it_later(place, capsys):
    noisy = find_run(place["runs"], "noisy")
    dynamics = read_dynamics(noisy)
    assert labels(place, "apply", "bulk", "--from-datamap", "noisy", "--top", 5, "--runs-dir", place["runs"],
                  "--data-dir", place["data"]) == 0
    out = capsys.readouterr().out
    fixes = read_fix_file(place["labels"] / "bulk.csv", "train", dynamics.train_labels)
    accepted = len(fixes)
    assert f"Accepted {accepted} of the top 5 suspects of {noisy.name} (relabelled to the model's class)" in out
    assert all(fix.action is Action.RELABEL and f"datamap {noisy.name}" in fix.note for fix in fixes.values())
    # a second, larger bulk accept merges: what is there stays as it was
    assert labels(place, "fix", "bulk", 599, "--keep", "--note", "looked at it", "--data-dir", place["data"]) == 0
    assert labels(place, "apply", "bulk", "--from-datamap", "noisy", "--top", 8, "--action", "exclude", "--runs-dir",
                  place["runs"], "--data-dir", place["data"]) == 0
    out = capsys.readouterr().out
    assert f"{accepted} already reviewed were left as they were" in out
    after = read_fix_file(place["labels"] / "bulk.csv", "train", dynamics.train_labels)
    assert {i: f for i, f in after.items() if i in fixes} == fixes and after[599].action is Action.KEEP


def test_list_show_and_export_read_fix_sets(place, tmp_path, capsys):
    assert labels(place, "fix", "shown", 12, "--relabel", "ankle BOOT", "--note", "=1+1", "--data-dir", place["data"]) == 0
    assert labels(place, "fix", "shown", 13, "--exclude", "--data-dir", place["data"]) == 0
    capsys.readouterr()
    assert labels(place, "show", "shown") == 0
    out = capsys.readouterr().out.splitlines()
    fix_set = FixSet.open(place["labels"] / "shown.csv", "train")
    assert out[0] == f"shown: training fix set, content {fix_set.content_hash}; 2 reviewed: 1 relabelled, 1 set aside, 0 kept as labelled"
    assert out[1].split() == ["INDEX", "GIVEN", "ACTION", "LABEL", "NOTE"] and "Ankle boot" in out[2] and "'=1+1" in out[2]
    assert labels(place, "show", "shown", "--json") == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["identity"] == fix_set.identity and shown["relabelled"] == 1 and shown["fixes"][1]["action"] == "exclude"
    assert labels(place, "list", "--json") == 0
    listed = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)["fix_sets"]}
    assert listed["shown"]["set_aside"] == 1 and listed["shown"]["split"] == "train"
    assert labels(place, "list") == 0
    assert any(line.split()[:2] == ["shown", "training"] for line in capsys.readouterr().out.splitlines())
    assert labels(place, "export", "shown", "--csv", tmp_path / "copy.csv") == 0
    assert (tmp_path / "copy.csv").read_bytes() == (place["labels"] / "shown.csv").read_bytes()


def test_train_with_labels_records_the_fix_set_and_keeps_the_test_set(place, tmp_path, capsys):
    assert labels(place, "fix", "train-me", 3, "--relabel", "0", "--data-dir", place["data"]) == 0
    assert labels(place, "fix", "train-me", 4, "--exclude", "--data-dir", place["data"]) == 0
    identity = FixSet.open(place["labels"] / "train-me.csv", "train").identity
    capsys.readouterr()
    out = tmp_path / "fixed.pt"
    assert run("train", *TINY, "--data-dir", place["data"], "--runs-dir", place["runs"], "--labels-dir", place["labels"],
               "--labels", "train-me", "--name", "fixed", "--out", out) == 0
    assert f"599 training / 200 test images, training labels fixed by {identity}." in capsys.readouterr().err
    folder = find_run(place["runs"], "fixed")
    assert read_run(folder).config.labels == identity
    assert json.loads((folder / "run.json").read_text())["config"]["labels"] == identity
    assert load_checkpoint(out).config.labels == identity
    dynamics = read_dynamics(folder)
    assert dynamics.train_predicted[0, 4] == 255 and dynamics.train_labels[3] == 0
    card = tmp_path / "card.md"
    assert run("export", out, "--card", card, "--data-dir", place["data"]) == 0
    text = card.read_text()
    assert f"label fix set **train-me** (content hash {identity[-12:]})" in text and "The test set" in text


def test_resuming_goes_on_with_the_fix_set_and_refuses_one_that_changed(place, capsys):
    assert labels(place, "fix", "resumed", 5, "--exclude", "--data-dir", place["data"]) == 0
    common = ("--data-dir", place["data"], "--runs-dir", place["runs"], "--labels-dir", place["labels"])
    assert run("train", *TINY, *common, "--labels", "resumed", "--name", "to-resume") == 0
    folder = find_run(place["runs"], "to-resume")
    assert run("train", "--resume", folder, "--epochs", "2", *common) == 0
    assert read_run(folder).epochs_done == 2 and read_run(folder).config.labels.startswith("resumed@")
    assert labels(place, "fix", "resumed", 6, "--exclude", "--data-dir", place["data"]) == 0
    capsys.readouterr()
    assert run("train", "--resume", folder, "--epochs", "3", *common) == EXIT_FAILURE
    assert "The fix set resumed has changed since the run trained with it" in one_error_line(capsys)
    assert run("train", "--resume", folder, "--epochs", "3", *common, "--labels", "resumed") == 0  # named again: as it is now


def test_evaluate_with_test_label_fixes_is_its_own_measurement(place, tmp_path, capsys):
    model = tmp_path / "m.pt"
    assert run("train", *TINY, "--data-dir", place["data"], "--no-record", "--out", model) == 0
    for argv in (("7", "--exclude"), ("8", "--relabel", "Bag")):
        assert labels(place, "fix", "test-fixes", *argv, "--test", "--data-dir", place["data"]) == 0
    capsys.readouterr()
    assert run("evaluate", model, "--data-dir", place["data"], "--labels-dir", place["labels"], "--labels", "test-fixes") == 0
    out = capsys.readouterr().out
    assert "test set with 2 labels fixed (test-fixes): loss" in out and "(199 images)" in out and "test loss" not in out
    assert run("evaluate", model, "--json", "--data-dir", place["data"], "--labels-dir", place["labels"], "--labels", "test-fixes") == 0
    result = json.loads(capsys.readouterr().out)
    assert result["test_set"] == "test set with 2 labels fixed (test-fixes)" and "test_accuracy" not in result
    assert 0 <= result["fixed_test_accuracy"] <= 100 and result["labels"].startswith("test-fixes@")
    assert not (place["labels"] / "test-fixes.csv").exists()  # a test fix set is never one a run could train with
    assert run("train", *TINY, "--data-dir", place["data"], "--labels-dir", place["labels"], "--labels", "test-fixes",
               "--no-record", "--out", tmp_path / "x.pt") == EXIT_FAILURE
    assert "There is no fix set test-fixes" in one_error_line(capsys)


def test_evaluate_with_a_training_fix_set_says_which_kind_it_takes(place, tmp_path, capsys):
    assert labels(place, "fix", "for-training", 3, "--exclude", "--data-dir", place["data"]) == 0
    model = tmp_path / "m.pt"
    assert run("train", *TINY, "--data-dir", place["data"], "--no-record", "--out", model) == 0
    capsys.readouterr()
    assert run("evaluate", model, "--data-dir", place["data"], "--labels-dir", place["labels"], "--labels", "for-training") == EXIT_FAILURE
    assert "for-training is a training fix set" in one_error_line(capsys)


@pytest.mark.parametrize(("argv", "code", "message"), [
    (("train", *TINY, "--labels", "missing"), EXIT_FAILURE, "There is no fix set missing"),
    (("train", *TINY, "--labels", "bad name!"), EXIT_USAGE, "'bad name!' cannot name a fix set"),
    (("train", *TINY, "--labels", "damaged"), EXIT_FAILURE, "damaged.csv, line 2: the action must be relabel, exclude, keep"),
    (("labels", "show", "missing"), EXIT_FAILURE, "There is no fix set missing"),
    (("labels", "show", "damaged"), EXIT_FAILURE, "damaged.csv, line 2: the action must be"),
    (("labels", "fix", "x", "3", "--relabel", "Sock"), EXIT_USAGE, "'Sock' is not a class"),
    (("labels", "fix", "x", "600", "--exclude"), EXIT_FAILURE, "Image 600 is outside the training set (0 to 599)"),
    (("labels", "fix", "x", "3"), EXIT_USAGE, "one of the arguments --relabel --exclude --keep --forget is required"),
    (("labels", "apply", "x", "--from-datamap", "nowhere", "--top", "5"), EXIT_FAILURE, "There is no run 'nowhere'"),
    (("labels", "apply", "x", "--from-datamap", "noisy", "--top", "0"), EXIT_USAGE, "expected a whole number from 1"),
    (("labels", "export", "damaged", "--csv", "/nonexistent/folder/x.csv"), EXIT_FAILURE, "does not exist"),
])
def test_errors_are_one_line_with_the_right_exit_code(place, capsys, argv, code, message):
    place["labels"].mkdir(parents=True, exist_ok=True)
    (place["labels"] / "damaged.csv").write_text("index,given,action,label,note\n3,Dress,fixed,,\n")
    common = ["--labels-dir", str(place["labels"]), "--data-dir", str(place["data"])]
    if argv[0] == "labels" and argv[1] in ("show", "export"):
        common = common[:2]
    if argv[0] == "labels" and argv[1] == "apply":
        common += ["--runs-dir", str(place["runs"])]
    if argv[0] == "train":
        common += ["--no-record", "--out", str(place["labels"].parent / "never.pt")]
    assert run(*argv, *common) == code
    line = one_error_line(capsys)
    assert message in line, line


def test_apply_refuses_a_run_of_other_data(place, tmp_path, capsys):
    from tests.synthetic import write_dataset

    other = write_dataset(tmp_path / "other", seed=5)
    assert labels(place, "apply", "x", "--from-datamap", "noisy", "--top", 5, "--runs-dir", place["runs"], "--data-dir", other) == EXIT_FAILURE
    assert "was trained on other data: its labels differ from the data's at" in one_error_line(capsys)
    assert not (place["labels"] / "x.csv").exists()


def test_the_labels_dir_follows_fmnist_labels(place, monkeypatch, capsys):
    monkeypatch.setenv("FMNIST_LABELS", str(place["labels"]))
    assert run("labels", "fix", "by-env", 3, "--keep", "--data-dir", place["data"]) == 0
    assert (place["labels"] / "by-env.csv").is_file()
    assert np.array_equal(FixSet.open(place["labels"] / "by-env.csv", "train").reviewed(), [3])

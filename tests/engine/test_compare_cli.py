"""`fmnist-gui compare A B` on the synthetic data: the report, the JSON object, the same file twice, bad input."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from tests.engine.export_helpers import fresh_checkpoint
from tests.engine.test_cli import one_error_line, run

from fmnist_gui.checkpoint import save_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.names import JSON_SCHEMA

JSON_KEYS = {"schema", "a", "b", "agreement", "both_right", "only_a_right", "only_b_right", "both_wrong", "mcnemar_p",
             "difference_ci", "disagreements"}


@pytest.fixture(scope="module")
def untrained(tmp_path_factory) -> Path:
    return save_checkpoint(fresh_checkpoint("quickstart-mlp"), tmp_path_factory.mktemp("compare") / "untrained.pt")


@pytest.fixture(scope="module")
def trained(synthetic_data, tmp_path_factory) -> Path:
    """The quick MLP trained for 2 epochs: far better than random weights on the synthetic set."""
    from fmnist_gui.config import TrainConfig

    config = TrainConfig(model="quickstart-mlp", optimizer="adam", lr=1e-3, batch_size=50, epochs=2, schedule="constant",
                         weight_decay=0.0)
    trainer = Trainer(config, synthetic_data)
    assert trainer.fit().reason is FinishReason.COMPLETED
    return save_checkpoint(trainer.checkpoint(), tmp_path_factory.mktemp("compare") / "trained.pt")


def compare_json(capsys, *argv: object) -> dict:
    assert run("compare", *argv, "--json") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    return json.loads(lines[0])


def test_the_report_names_both_models_the_counts_the_verdict_and_the_disagreements(untrained, trained, synthetic_dir,
                                                                                   capsys):
    assert run("compare", untrained, trained, "--top", "3", "--data-dir", synthetic_dir) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith(f"A: {untrained}: quickstart-mlp, epoch 0, test accuracy ")
    assert lines[1].startswith(f"B: {trained}: quickstart-mlp, epoch 2, test accuracy ")
    assert lines[2].startswith("They agree on ") and lines[2].endswith("% of 200 test images.")
    assert lines[3].startswith("Both right ") and "only A right" in lines[3] and "only B right" in lines[3]
    assert lines[4].startswith("B − A: +") and "95% interval [" in lines[4] and "McNemar's exact test p " in lines[4]
    assert lines[5].startswith("B is right on ") and lines[5].endswith(", B is better.")
    assert lines[7].startswith("Where they disagree, the most lopsided first (3 of ")
    assert lines[8].split() == ["INDEX", "LABEL", "A", "P(A)", "B", "P(B)"] and len(lines) == 12
    assert captured.err == ""


def test_json_is_one_object_with_the_documented_fields(untrained, trained, synthetic_dir, capsys):
    found = compare_json(capsys, untrained, trained, "--data-dir", synthetic_dir)
    assert set(found) == JSON_KEYS and found["schema"] == JSON_SCHEMA
    assert found["a"]["path"] == str(untrained) and found["b"]["model"] == "quickstart-mlp"
    assert run("evaluate", trained, "--json", "--data-dir", synthetic_dir) == 0
    assert found["b"]["accuracy"] == pytest.approx(json.loads(capsys.readouterr().out)["test_accuracy"])
    counts = [found[key] for key in ("both_right", "only_a_right", "only_b_right", "both_wrong")]
    assert sum(counts) == 200 and 0.0 <= found["agreement"] <= 1.0
    low, high = found["difference_ci"]
    assert low <= found["b"]["accuracy"] - found["a"]["accuracy"] <= high and 0.0 <= found["mcnemar_p"] < 0.05
    disagreements = found["disagreements"]
    assert len(disagreements) == 20 and set(disagreements[0]) == {"index", "label", "a", "b", "pa", "pb"}
    gaps = [abs(d["pa"] - d["pb"]) for d in disagreements]
    assert gaps == sorted(gaps, reverse=True)
    assert all(d["label"] in CLASS_NAMES and d["a"] in CLASS_NAMES and d["b"] in CLASS_NAMES and d["a"] != d["b"]
               for d in disagreements)


def test_the_same_file_twice_agrees_everywhere_and_says_so(trained, synthetic_dir, capsys):
    found = compare_json(capsys, trained, trained, "--data-dir", synthetic_dir)
    assert found["agreement"] == 1.0 and found["mcnemar_p"] == 1.0 and found["difference_ci"] == [0.0, 0.0]
    assert found["only_a_right"] == found["only_b_right"] == 0 and found["disagreements"] == []
    assert run("compare", trained, trained, "--data-dir", synthetic_dir) == 0
    out = capsys.readouterr().out
    assert "A and B are the same file: they agree everywhere." in out
    assert out.rstrip().endswith("no evidence that either is better on this test set.")


def test_classes_named_differently_are_compared_by_number(untrained, trained, synthetic_dir, tmp_path, capsys):
    from fmnist_gui.checkpoint import load_checkpoint

    renamed = tuple(f"class {i}" for i in range(10))
    other = save_checkpoint(dataclasses.replace(load_checkpoint(trained), class_names=renamed), tmp_path / "renamed.pt")
    found = compare_json(capsys, untrained, other, "--top", "5", "--data-dir", synthetic_dir)
    assert len(found["disagreements"]) == 5
    assert all(d["b"] in renamed and d["a"] in CLASS_NAMES and d["label"] in CLASS_NAMES for d in found["disagreements"])
    assert run("compare", untrained, other, "--data-dir", synthetic_dir) == 0
    assert "name their classes differently; their predictions are compared by class number" in capsys.readouterr().out


def test_a_bad_file_is_one_error_line(trained, synthetic_dir, tmp_path, capsys):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    assert run("compare", trained, junk, "--data-dir", synthetic_dir) == EXIT_FAILURE
    assert "junk.pt" in one_error_line(capsys)
    assert run("compare", tmp_path / "missing.pt", trained, "--data-dir", synthetic_dir) == EXIT_FAILURE
    one_error_line(capsys)


@pytest.mark.parametrize("argv", [["--top", "0"], ["--top", "many"], ["--device", "gpu"], []])
def test_a_wrong_command_line_is_a_usage_error(argv, trained, capsys):
    files = [trained] if not argv else [trained, trained]
    assert run("compare", *files, *argv) == EXIT_USAGE
    one_error_line(capsys)


def test_without_data_it_fails_in_one_line(trained, tmp_path, capsys):
    assert run("compare", trained, trained, "--data-dir", tmp_path) == EXIT_FAILURE
    assert "does not hold the Fashion-MNIST files" in one_error_line(capsys)

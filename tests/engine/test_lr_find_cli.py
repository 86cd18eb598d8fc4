"""`fmnist-gui lr-find` on the synthetic data: the summary, the JSON object, bad input."""

from __future__ import annotations

import functools
import json

import pytest
from tests.engine.test_cli import ERROR_PREFIX, one_error_line, run

from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.engine import lr_finder
from fmnist_gui.names import JSON_SCHEMA

MLP = ["--preset", "quickstart", "--optimizer", "adam", "--batch-size", "50"]


def test_lr_find_prints_a_row_a_decade_and_the_suggestion(synthetic_dir, capsys):
    assert run("lr-find", *MLP, "--data-dir", synthetic_dir) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("Learning-rate finder: quickstart-mlp, adam, batch 50, weight decay 0, seed 0, on cpu (")
    rows = [line for line in lines[2:] if line.startswith("  ")]
    assert len(rows) >= 8 and sum("<- " in row and "steepest descent" in row for row in rows) == 1  # 1e-7 to 1e0 at least
    verdict, rules, advised = lines[-3:]
    assert verdict.startswith("The smoothed loss fell fastest at ") and captured.err == ""
    assert rules.startswith("Rules: steepest descent ") and "valley" in rules and "minimum / 10" in rules
    assert advised.startswith("Advised: steepest descent") and "constant rate" in advised  # MLP's schedule is constant


def test_lr_find_json_is_one_object_with_every_point(synthetic_dir, capsys):
    assert run("lr-find", *MLP, "--seed", "3", "--json", "--data-dir", synthetic_dir) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    found = json.loads(lines[0])
    assert found["schema"] == JSON_SCHEMA and found["model"] == "quickstart-mlp" and found["seed"] == 3
    assert len(found["lrs"]) == len(found["losses"]) == len(found["smoothed"]) >= 20
    assert found["lrs"][0] <= found["suggestion"] <= found["lrs"][-1]
    assert found["message"].startswith("The smoothed loss fell fastest at")


def test_lr_find_without_a_suggestion_says_why_and_fails(synthetic_dir, monkeypatch, capsys):
    exploding = lr_finder.FinderOptions(start_lr=10.0, end_lr=1e6, steps=100)
    monkeypatch.setattr(lr_finder, "find_learning_rate", functools.partial(lr_finder.find_learning_rate, options=exploding))
    assert run("lr-find", *MLP, "--json", "--data-dir", synthetic_dir) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert json.loads(captured.out)["suggestion"] is None
    assert "diverged at once" in one_error_line_of(captured.err)


def one_error_line_of(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(ERROR_PREFIX), lines
    return lines[0]


@pytest.mark.parametrize("option", [["--batch-size", "0"], ["--momentum", "1.5"], ["--weight-decay", "nan"], ["--model", "huge"]])
def test_lr_find_bad_values_are_usage_errors(option, synthetic_dir, capsys):
    assert run("lr-find", *option, "--data-dir", synthetic_dir) == EXIT_USAGE
    one_error_line(capsys)


def test_lr_find_without_data_fails_in_one_line(tmp_path, capsys):
    assert run("lr-find", "--data-dir", tmp_path) == EXIT_FAILURE
    assert "does not hold the Fashion-MNIST files" in one_error_line(capsys)

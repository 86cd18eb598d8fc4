"""Command-line conventions: a fast --help, --version, exit codes, one JSON shape per concept, completion."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from tests.engine.test_cli import ERROR_PREFIX, TINY, one_error_line, run

import fmnist_gui
from fmnist_gui import cli
from fmnist_gui.cli import COMMANDS, EXIT_USAGE, build_parser
from fmnist_gui.config import PRESETS, TrainConfig
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.devices import available_devices
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.models import MODELS
from fmnist_gui.names import DEFAULT_MODEL, JSON_SCHEMA, MODEL_NAMES, PRESET_NAMES
from fmnist_gui.progress import ConsoleProgress

REPO = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "torchvision", "numpy", "PySide6")

# Runs each command line as `python -m fmnist_gui ARGS` does, then reports which heavy modules it imported.
LIGHT_COMMANDS = """
import contextlib, io, json, runpy, sys
loaded, argvs, heavy = {}, json.loads(sys.argv[1]), json.loads(sys.argv[2])
for argv in argvs:
    sys.argv = ["fmnist_gui", *argv]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        try:
            runpy.run_module("fmnist_gui", run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            code = exc.code
    loaded[" ".join(argv)] = [code, sorted(m for m in heavy if m in sys.modules)]
print(json.dumps(loaded))
"""


@pytest.fixture
def fake_window(monkeypatch) -> list[object]:
    """What run_app was asked to open, with Qt left unimported."""
    opened: list[object] = []
    fake_app = types.ModuleType("fmnist_gui.qt.shell.app")
    fake_app.run_app = lambda checkpoint=None: opened.append(checkpoint) or 0
    monkeypatch.setitem(sys.modules, "fmnist_gui.qt", types.ModuleType("fmnist_gui.qt"))
    monkeypatch.setitem(sys.modules, "fmnist_gui.qt.shell.app", fake_app)
    return opened


def test_help_version_and_completion_import_no_torch():
    argvs = [["--help"], ["--version"], ["train", "--help"], ["completion", "bash"], ["devics"]]
    done = subprocess.run([sys.executable, "-c", LIGHT_COMMANDS, json.dumps(argvs), json.dumps(HEAVY)],
                          capture_output=True, text=True, timeout=60, cwd=REPO,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "--help": [0, []], "--version": [0, []], "train --help": [0, []], "completion bash": [0, []], "devics": [2, []],
    }


def test_the_parser_offers_the_registries_names():
    assert MODEL_NAMES == tuple(MODELS) and PRESET_NAMES == tuple(PRESETS) and DEFAULT_MODEL == TrainConfig().model
    subcommands = next(a for a in build_parser()._actions if a.dest == "command")
    assert tuple(subcommands.choices) == COMMANDS


def test_version_is_written_once(capsys):
    assert run("--version") == 0
    assert capsys.readouterr().out == f"fmnist-gui {fmnist_gui.__version__}\n"
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "fmnist_gui.__version__"}


def test_entry_points_a_console_command_and_a_window_launcher():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"fmnist-gui": "fmnist_gui.cli:main"}
    assert project["gui-scripts"] == {"fmnist-gui-window": "fmnist_gui.cli:main_window"}
    assert project["license"] == "MIT" and (REPO / "LICENSE").read_text().startswith("MIT License")


def test_help_names_the_environment_and_the_exit_codes(capsys):
    assert run("--help") == 0
    lines = capsys.readouterr().out.splitlines()
    for variable in ("FMNIST_DATA", "FMNIST_ALLOW_SMALL", "FMNIST_RUNS"):
        assert sum(line.lstrip().startswith(variable + " ") for line in lines) == 1, variable
    codes = "\n".join(lines[lines.index("exit codes:"):])
    assert "1  the command failed" in codes and "2  the command line is wrong" in codes


def test_an_unknown_command_is_a_usage_error_naming_the_commands(fake_window, capsys):
    assert run("devics") == EXIT_USAGE
    line = one_error_line(capsys)
    assert line.startswith(f"{ERROR_PREFIX} 'devics' is neither a command nor an existing file (did you mean devices?)")
    assert all(command in line for command in COMMANDS)
    assert run("model.pt") == EXIT_USAGE  # a file that is not there is not opened either
    assert fake_window == []


def test_the_window_launcher_only_opens_the_window(fake_window, tmp_path):
    assert cli.main_window([]) == 0 and cli.main_window([str(tmp_path)]) == 0
    assert fake_window == [None, str(tmp_path)]


# one JSON shape per concept, each object with its schema


def test_train_and_evaluate_give_per_class_accuracy_one_shape(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert run("train", *TINY, "--json", "--data-dir", synthetic_dir, "--out", out) == 0
    trained = json.loads(capsys.readouterr().out)
    assert run("evaluate", out, "--json", "--data-dir", synthetic_dir) == 0
    evaluated = json.loads(capsys.readouterr().out)
    assert trained["schema"] == evaluated["schema"] == JSON_SCHEMA
    assert list(trained["per_class_accuracy"]) == list(evaluated["per_class_accuracy"]) == list(CLASS_NAMES)
    assert trained["per_class_accuracy"] == pytest.approx(evaluated["per_class_accuracy"])


def test_devices_json(capsys):
    assert run("devices", "--json") == 0
    listing = json.loads(capsys.readouterr().out)
    assert listing == {"schema": JSON_SCHEMA,
                       "devices": [{"name": d.name, "description": d.description} for d in available_devices()]}
    assert listing["devices"][0]["name"] == "cpu"


def test_per_class_accuracy_of_an_absent_class_is_null():
    from fmnist_gui.progress import per_class_mapping

    assert per_class_mapping(("a", "b"), [50.0, float("nan")]) == {"a": 50.0, "b": None}


# shell completion


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_names_every_command_and_option(shell, capsys):
    assert run("completion", shell) == 0
    script = capsys.readouterr().out
    assert all(command in script for command in COMMANDS)
    assert "--data-dir" in script and "--resume" in script and "quickstart-mlp" in script
    if shell == "bash":
        assert f"_shtab_fmnist_gui_subparsers=({' '.join(COMMANDS)})" in script.splitlines()
        assert script.rstrip().endswith("-F _shtab_fmnist_gui fmnist-gui")


def test_completion_for_an_unknown_shell_is_a_usage_error(capsys):
    assert run("completion", "fish") == EXIT_USAGE
    assert "invalid choice: 'fish'" in one_error_line(capsys)


# no console: a Windows GUI launcher or pythonw gives None for sys.stdout and sys.stderr


def test_progress_without_console_streams(monkeypatch, synthetic_data, fast_config):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    for json_lines in (False, True):
        progress = ConsoleProgress(json_lines=json_lines)
        assert not progress.live
        result = Trainer(fast_config.replace(epochs=2), synthetic_data, [progress]).fit()
        assert result.reason is FinishReason.COMPLETED, result.message


def test_a_command_without_console_streams(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    try:
        assert cli.main(["devices"]) == 0
        assert cli.main(["evaluate", "/nonexistent/m.pt"]) == 1  # the error line goes nowhere, without a crash
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.close()

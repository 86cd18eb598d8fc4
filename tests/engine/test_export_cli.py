"""`fmnist-gui export`: ONNX with its parity line, the model card, and the one-line failures."""

from __future__ import annotations

import re
import sys

import pytest

from fmnist_gui.checkpoint import save_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE
from fmnist_gui.export import MISSING_EXTRA
from tests.engine.export_helpers import fresh_checkpoint
from tests.engine.test_cli import one_error_line, run


@pytest.fixture(scope="module")
def checkpoint_file(tmp_path_factory):
    return save_checkpoint(fresh_checkpoint("quickstart-mlp"), tmp_path_factory.mktemp("export") / "mlp.pt")


def test_onnx_is_checked_on_the_test_set_and_reported_in_one_line(checkpoint_file, synthetic_dir, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "model.onnx"
    assert run("export", checkpoint_file, "--onnx", out, "--data-dir", synthetic_dir) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(r"Wrote model\.onnx: 200 test images, same class on 100\.00%, largest probability difference "
                        r"\d\.\de[-+]\d\d \(opset 18\)\.", line), line
    assert out.stat().st_size > 0


def test_no_check_skips_the_data(checkpoint_file, tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    assert run("export", checkpoint_file, "--onnx", tmp_path / "m.onnx", "--no-check", "--data-dir", tmp_path / "nowhere") == 0
    assert capsys.readouterr().out.strip() == "Wrote m.onnx (opset 18); not checked against PyTorch."


def test_the_card_is_written_after_evaluating(checkpoint_file, synthetic_dir, tmp_path, capsys):
    card = tmp_path / "card.md"
    assert run("export", checkpoint_file, "--card", card, "--data-dir", synthetic_dir) == 0
    line = capsys.readouterr().out.strip()
    accuracy = re.fullmatch(r"Wrote card\.md: quickstart-mlp, test accuracy (\d+\.\d\d)% on 200 images\.", line).group(1)
    assert f"Test accuracy **{accuracy}%**" in card.read_text(encoding="utf-8")


def test_export_needs_something_to_write(checkpoint_file, capsys):
    assert run("export", checkpoint_file) == EXIT_USAGE
    assert "export needs --onnx FILE, --card FILE or both" in one_error_line(capsys)


def test_an_unwritable_target_is_refused_before_the_checkpoint_is_read(tmp_path, capsys):
    assert run("export", tmp_path / "absent.pt", "--card", tmp_path / "no" / "card.md") == EXIT_FAILURE
    assert "Cannot save to" in one_error_line(capsys)


def test_without_the_extra_the_command_says_what_to_install(checkpoint_file, tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert run("export", checkpoint_file, "--onnx", tmp_path / "m.onnx", "--data-dir", tmp_path / "nowhere") == EXIT_FAILURE
    assert one_error_line(capsys) == f"fmnist-gui: error: {MISSING_EXTRA}"
    assert not (tmp_path / "m.onnx").exists()

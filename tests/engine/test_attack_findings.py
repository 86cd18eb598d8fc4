"""Problems an adversarial pass found beyond the first list: each is one line now, and nothing is lost."""

from __future__ import annotations

import errno
import shutil

import pytest

from fmnist_gui.config import MAX_SEED, TrainConfig
from fmnist_gui.errors import UserFacingError
from fmnist_gui.imaging import ImageError, read_grayscale
from tests.engine.test_cli import ERROR_PREFIX, TINY, one_error_line, run


def test_a_postscript_file_named_png_never_reaches_ghostscript(tmp_path):
    loop = tmp_path / "loop.png"
    loop.write_text("%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\n{ } loop\n")
    with pytest.raises(ImageError, match="not an image this app can read"):
        read_grayscale(loop)  # Pillow would hand EPS to gs, which spins forever on this file


def test_out_never_replaces_a_file_that_is_not_a_checkpoint(synthetic_dir, tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(synthetic_dir, data)
    target = next(data.iterdir())
    before = target.read_bytes()
    assert run("train", *TINY, "--data-dir", data, "--out", target) == 1
    assert "exists and is not a checkpoint" in one_error_line(capsys)
    assert target.read_bytes() == before


def test_a_seed_the_form_cannot_hold_is_refused_everywhere():
    TrainConfig(seed=MAX_SEED)
    with pytest.raises(UserFacingError, match="seed"):
        TrainConfig(seed=MAX_SEED + 1)


def test_a_full_stdout_is_one_line_not_a_traceback(capsys, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("builtins.print", full)
    assert run("devices") == 1
    assert capsys.readouterr().err.strip() == f"{ERROR_PREFIX} cannot write the output: No space left on device."

"""The command line, run in-process through cli.main on the synthetic data."""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import sys
import threading
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from tests.pictures import save_picture

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, main
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.devices import available_devices
from fmnist_gui.architectures import QuickstartMLP
from fmnist_gui.progress import ConsoleProgress

TINY = ["--preset", "quickstart", "--epochs", "1", "--batch-size", "100"]
ERROR_PREFIX = "fmnist-gui: error:"
JSON_KEYS = {"epoch", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}


def run(*argv: object) -> int:
    """main()'s exit code, also for the usage errors argparse reports by raising SystemExit."""
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


def one_error_line(capsys) -> str:
    """The only line on stderr, which must be an fmnist-gui error."""
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def trained(synthetic_dir, tmp_path_factory) -> Path:
    """A quickstart checkpoint after one epoch, made once through the command line."""
    out = tmp_path_factory.mktemp("cli") / "trained.pt"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out) == 0
    return out


@pytest.fixture
def tutorial_file(tmp_path) -> Path:
    """What the PyTorch quickstart saves: a bare state_dict."""
    path = tmp_path / "model.pth"
    torch.save(QuickstartMLP().state_dict(), path)
    return path


def product_photo(height: int = 100, width: int = 60) -> torch.Tensor:
    """A dark item on a light background, in colour, (3, H, W) uint8."""
    image = torch.full((3, height, width), 235, dtype=torch.uint8)
    image[:, height // 5 : -height // 5, width // 4 : -width // 4] = 40
    return image


# train


def test_train_json_prints_one_object_per_epoch_and_saves(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "m.pt"
    assert run("train", *TINY, "--epochs", "2", "--json", "--data-dir", synthetic_dir, "--out", out) == 0
    captured = capsys.readouterr()
    entries = [json.loads(line) for line in captured.out.splitlines()]
    assert [e["epoch"] for e in entries] == [1, 2]
    for entry in entries:
        assert JSON_KEYS <= entry.keys() and "confusion" not in entry
        assert 0 <= entry["train_accuracy"] <= 100 and 0 <= entry["test_accuracy"] <= 100
        assert entry["train_loss"] > 0 and entry["test_loss"] > 0 and entry["seconds"] > 0
    assert f"Saved {out} (epoch 2)." in captured.err
    saved = load_checkpoint(out)
    assert saved.epoch == 2 and saved.config.model == "quickstart-mlp"
    assert [h.test_accuracy for h in saved.history] == [e["test_accuracy"] for e in entries]


def test_options_override_the_preset(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "m.pt"
    argv = ["--lr", "0.05", "--batch-size", "120", "--optimizer", "adam", "--seed", "3"]
    assert run("train", "--preset", "quickstart", "--epochs", "1", *argv, "--data-dir", synthetic_dir, "--out", out) == 0
    config = load_checkpoint(out).config
    assert (config.lr, config.batch_size, config.optimizer, config.seed) == (0.05, 120, "adam", 3)
    assert (config.model, config.momentum, config.schedule) == ("quickstart-mlp", 0.0, "constant")  # from the preset
    assert load_checkpoint(out).step == 5  # 600 images in batches of 120


def test_resume_continues_the_epoch_count(synthetic_dir, trained, tmp_path, capsys):
    out = tmp_path / "resumed.pt"
    assert run("train", "--resume", trained, "--epochs", "2", "--json", "--data-dir", synthetic_dir, "--out", out) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["epoch"] for line in captured.out.splitlines()] == [2]
    assert "resuming after epoch 1" in captured.err
    resumed = load_checkpoint(out)
    assert resumed.epoch == 2 and len(resumed.history) == 2
    assert resumed.config.batch_size == 100  # the checkpoint's settings carry over
    assert load_checkpoint(trained).epoch == 1  # the source is left alone


def test_resume_to_an_epoch_already_reached_is_an_error(synthetic_dir, trained, tmp_path, capsys):
    assert run("train", "--resume", trained, "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_FAILURE
    assert "already reached epoch 1" in one_error_line(capsys)


def test_human_output_has_a_summary_line_per_epoch(synthetic_dir, tmp_path, capsys):
    assert run("train", "--model", "small-cnn", "--epochs", "1", "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == 0
    captured = capsys.readouterr()
    pattern = r"epoch 1/1: train loss \d+\.\d{4} acc \d+\.\d\d% \| test loss \d+\.\d{4} acc \d+\.\d\d% \| lr \S+ \| \d+\.\ds"
    assert re.fullmatch(pattern, captured.out.strip()), captured.out
    assert captured.err.startswith("Training small-cnn (") and "\ncompleted: " in captured.err


def test_train_works_outside_the_main_thread(synthetic_dir, tmp_path, capsys):
    codes: list[int] = []
    worker = threading.Thread(target=lambda: codes.append(run("train", *TINY, "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt")))
    worker.start()
    worker.join(60)
    assert codes == [0] and load_checkpoint(tmp_path / "m.pt").epoch == 1


def test_ctrl_c_stops_the_run_and_still_saves(synthetic_dir, tmp_path, capsys, monkeypatch):
    def press_ctrl_c(self, record):
        if record.step == 1:
            signal.raise_signal(signal.SIGINT)  # a real SIGINT, handled in this (the main) thread

    monkeypatch.setattr(ConsoleProgress, "on_batch_end", press_ctrl_c)
    before = signal.getsignal(signal.SIGINT)
    out = tmp_path / "m.pt"
    assert run("train", *TINY, "--epochs", "3", "--data-dir", synthetic_dir, "--out", out) == EXIT_INTERRUPTED
    assert signal.getsignal(signal.SIGINT) is before  # the handler lives only while training
    err = capsys.readouterr().err
    assert "Stopping at the next batch" in err and "stopped: Stopped by request during epoch 1" in err
    saved = load_checkpoint(out)
    assert saved.epoch == 0 and saved.step == 1 and saved.history == ()
    saved.build_model()  # the weights load into the architecture


def test_ctrl_c_from_outside_during_a_longer_run(tmp_path, capsys):
    from tests.synthetic import write_dataset

    data_dir = write_dataset(tmp_path / "bigger", train=6000)
    out = tmp_path / "m.pt"
    timer = threading.Timer(0.3, signal.raise_signal, (signal.SIGINT,))

    class TimedCtrlC(ConsoleProgress):
        def on_fit_start(self, run_started):
            super().on_fit_start(run_started)
            timer.start()  # the handler is installed by now

        def on_fit_end(self, result):
            timer.cancel()  # a run that ends first must not leave a SIGINT for the test itself
            super().on_fit_end(result)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("fmnist_gui.progress.ConsoleProgress", TimedCtrlC)
        code = run("train", "--model", "small-cnn", "--epochs", "10", "--batch-size", "32", "--data-dir", data_dir, "--out", out)
    timer.join()
    assert code == EXIT_INTERRUPTED
    saved = load_checkpoint(out)
    assert saved.epoch < 10 and saved.step > 0


# evaluate


def test_evaluate_prints_loss_accuracy_and_every_class(synthetic_dir, trained, capsys):
    assert run("evaluate", trained, "--data-dir", synthetic_dir) == 0
    out = capsys.readouterr().out
    assert out.startswith("trained.pt: quickstart-mlp, epoch 1\n")
    assert re.search(r"test loss \d+\.\d{4}   test accuracy \d+\.\d\d%   \(200 images\)", out)
    assert all(name in out for name in CLASS_NAMES)


def test_evaluate_json(synthetic_dir, trained, capsys):
    assert run("evaluate", trained, "--json", "--data-dir", synthetic_dir) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "quickstart-mlp" and result["epoch"] == 1
    assert 0 <= result["test_accuracy"] <= 100 and result["test_loss"] > 0
    assert list(result["per_class_accuracy"]) == list(CLASS_NAMES)
    assert all(0 <= v <= 100 for v in result["per_class_accuracy"].values())
    assert result["test_accuracy"] == load_checkpoint(trained).history[-1].test_accuracy


def test_evaluate_a_tutorial_state_dict(synthetic_dir, tutorial_file, capsys):
    assert run("evaluate", tutorial_file, "--json", "--data-dir", synthetic_dir) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["model"] == "quickstart-mlp" and result["epoch"] == 0
    assert 0 <= result["test_accuracy"] <= 100


# predict


@pytest.fixture
def pictures(tmp_path) -> list[Path]:
    png, jpeg = tmp_path / "coat.png", tmp_path / "photo.jpg"
    save_picture(product_photo(100, 60), png)
    save_picture(product_photo(48, 80), jpeg)
    return [png, jpeg]


def test_predict_prints_the_top_three_per_image(trained, pictures, capsys):
    assert run("predict", trained, *pictures) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    names = "|".join(re.escape(n) for n in CLASS_NAMES)
    for path, line in zip(pictures, lines):
        match = re.fullmatch(rf"{re.escape(str(path))}: ({names}) (\d+\.\d)%, ({names}) (\d+\.\d)%, ({names}) (\d+\.\d)%", line)
        assert match, line
        percents = [float(match.group(i)) for i in (2, 4, 6)]
        assert percents == sorted(percents, reverse=True) and sum(percents) <= 100.05
        assert len({match.group(i) for i in (1, 3, 5)}) == 3


def test_predict_json(tutorial_file, pictures, capsys):
    assert run("predict", tutorial_file, *pictures, "--json") == 0
    results = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["image"] for r in results] == [str(p) for p in pictures]
    for result in results:
        top = result["top3"]
        assert len(top) == 3 and all(t["class"] in CLASS_NAMES for t in top)
        probabilities = [t["probability"] for t in top]
        assert probabilities == sorted(probabilities, reverse=True) and 0 < sum(probabilities) <= 1 + 1e-6


# devices and data


def test_devices_lists_the_cpu(capsys):
    assert run("devices") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("cpu ") and "cores" in lines[0]
    assert len(lines) == 1 + torch.cuda.device_count() + (1 if torch.backends.mps.is_available() else 0)


def test_data_reports_the_counts(synthetic_dir, capsys):
    assert run("data", "--data-dir", synthetic_dir) == 0
    assert capsys.readouterr().out == f"Fashion-MNIST in {synthetic_dir}: 600 training and 200 test images.\n"


# errors: one line on stderr; exit code 2 for a bad command line, 1 for a failure


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--lr", "-1"], "learning rate must be above 0"),
        (["--batch-size", "0"], "batch size must be a whole number"),
        (["--epochs", "0"], "Epochs must be a whole number"),
        (["--device", "gpu"], "'gpu' is not a device name"),
        (["--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["--model", "resnet"], "invalid choice: 'resnet'"),
        (["--lr", "fast"], "invalid float value: 'fast'"),
    ],
)
def test_bad_options_are_one_error_line(synthetic_dir, tmp_path, capsys, options, message):
    assert run("train", *TINY, *options, "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_USAGE
    assert message in one_error_line(capsys)
    assert not (tmp_path / "m.pt").exists()


def test_an_absent_gpu_is_one_error_line(synthetic_dir, tmp_path, capsys):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    assert run("train", *TINY, "--device", "cuda:7", "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_FAILURE
    present = ", ".join(d.name for d in available_devices())
    assert f"Device cuda:7 is not available here; this machine has: {present}." in one_error_line(capsys)


def test_a_missing_data_folder(tmp_path, capsys):
    assert run("train", *TINY, "--data-dir", tmp_path / "nowhere", "--out", tmp_path / "m.pt") == EXIT_FAILURE
    assert "nowhere does not exist" in one_error_line(capsys)


def test_out_into_a_missing_folder(synthetic_dir, tmp_path, capsys):
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", tmp_path / "no" / "m.pt") == EXIT_FAILURE
    line = one_error_line(capsys)  # the only line: training never started
    assert "m.pt: the folder" in line and line.endswith("does not exist.")
    assert not (tmp_path / "no").exists()


def test_a_bad_resume_file(synthetic_dir, tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(np.random.default_rng(0).bytes(4096))
    assert run("train", "--resume", bad, "--epochs", "2", "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_FAILURE
    assert "bad.pt is not a PyTorch checkpoint" in one_error_line(capsys)


def test_evaluate_random_bytes(synthetic_dir, tmp_path, capsys):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(np.random.default_rng(1).bytes(4096))
    assert run("evaluate", junk, "--data-dir", synthetic_dir) == EXIT_FAILURE
    assert "junk.pt is not a PyTorch checkpoint" in one_error_line(capsys)


def test_evaluate_a_missing_file(synthetic_dir, tmp_path, capsys):
    assert run("evaluate", tmp_path / "gone.pt", "--data-dir", synthetic_dir) == EXIT_FAILURE
    assert "gone.pt does not exist" in one_error_line(capsys)


def test_predict_with_a_text_file_as_image(tutorial_file, pictures, tmp_path, capsys):
    notes = tmp_path / "notes.png"
    notes.write_text("not a picture\n")
    assert run("predict", tutorial_file, pictures[0], notes) == EXIT_FAILURE
    captured = capsys.readouterr()
    assert captured.out == ""  # every image is checked before anything is printed
    assert captured.err == f"{ERROR_PREFIX} notes.png is not an image this app can read (PNG, JPEG, GIF or WebP).\n"


def test_a_refused_run_leaves_an_existing_checkpoint_alone(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "m.pt"
    out.write_bytes(b"the previous model")
    assert run("train", *TINY, "--device", "gpu", "--data-dir", synthetic_dir, "--out", out) == EXIT_USAGE
    one_error_line(capsys)
    assert out.read_bytes() == b"the previous model"


def test_a_run_that_fails_midway_leaves_an_existing_checkpoint_alone(synthetic_dir, tmp_path, capsys, monkeypatch):
    import fmnist_gui.engine.trainer as trainer_module

    def explode(*args, **kwargs):
        raise ValueError("disk on fire")

    monkeypatch.setattr(trainer_module, "evaluate", explode)
    out = tmp_path / "m.pt"
    out.write_bytes(b"PK\x03\x04 the previous model")  # looks like a checkpoint: --out may replace it
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out) == EXIT_FAILURE
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith(ERROR_PREFIX)]
    assert errors == [f"{ERROR_PREFIX} Training failed: ValueError: disk on fire"]
    assert out.read_bytes() == b"PK\x03\x04 the previous model"
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # no temporary file left behind


def test_a_file_alone_opens_it_in_the_app(monkeypatch, tmp_path):
    """The desktop entry runs `fmnist-gui FILE`: that means the app with FILE open (checked without Qt)."""
    model = tmp_path / "model.pt"
    model.write_bytes(b"")  # only its existence matters: the app, not the command line, reads it
    opened = []
    qt_before = "PySide6" in sys.modules
    fake_app = types.ModuleType("fmnist_gui.qt.shell.app")
    fake_app.run_app = lambda checkpoint=None: opened.append(checkpoint) or 0
    monkeypatch.setitem(sys.modules, "fmnist_gui.qt", types.ModuleType("fmnist_gui.qt"))
    monkeypatch.setitem(sys.modules, "fmnist_gui.qt.shell.app", fake_app)
    assert main([str(model)]) == 0 and main([]) == 0 and main(["gui", "x.pth"]) == 0 and main([str(tmp_path)]) == 0
    assert opened == [str(model), None, "x.pth", str(tmp_path)]  # a run folder opens too
    assert ("PySide6" in sys.modules) == qt_before  # the engine tests never import Qt


def test_present_checks_every_file_before_a_window_opens(tmp_path, capsys):
    (tmp_path / "bad.pt").write_bytes(b"not a checkpoint")
    assert run("present", tmp_path / "bad.pt") == EXIT_FAILURE
    assert "bad.pt" in one_error_line(capsys)
    assert run("present", "a.pt", "b.pt", "c.pt") == EXIT_USAGE
    assert "one model, or two side by side" in one_error_line(capsys)


def test_train_keeps_the_preset_it_started_from_in_the_config(synthetic_dir, tmp_path):
    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.config import preset_label

    assert run("train", "--preset", "quickstart", "--epochs", "1", "--batch-size", "100", "--data-dir", synthetic_dir,
               "--out", tmp_path / "m.pt", "--no-record") == 0
    config = load_checkpoint(tmp_path / "m.pt").config
    assert config.preset == "quickstart" and preset_label(config) == (None, "custom")  # batch 100 is its own choice
    assert preset_label(config.replace(batch_size=64)) == ("quickstart", "quickstart, 1 epoch")

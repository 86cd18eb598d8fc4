"""The command line under stress: unwritable --out, a failed final save, signals, a reader that leaves early."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import fmnist_gui
from fmnist_gui import checkpoint as checkpoint_module
from fmnist_gui.checkpoint import CheckpointError, load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE
from fmnist_gui.progress import ConsoleProgress
from tests.engine.test_cli import ERROR_PREFIX, TINY, one_error_line, run

REPO = Path(fmnist_gui.__file__).parent.parent


# --out is checked before anything is trained


@pytest.mark.parametrize("kind", ["folder", "fifo", "missing-folder"])
def test_an_unwritable_out_is_refused_before_training(synthetic_dir, tmp_path, capsys, kind):
    out = {"folder": tmp_path, "fifo": tmp_path / "pipe.pt", "missing-folder": tmp_path / "no" / "m.pt"}[kind]
    if kind == "fifo":
        os.mkfifo(out)
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out) == EXIT_FAILURE
    line = one_error_line(capsys)  # the only line: no "Training …" was printed
    assert line.startswith(f"{ERROR_PREFIX} Cannot save to {out}: ")
    assert {"folder": "it is a folder.", "fifo": "it is not a regular file.", "missing-folder": "does not exist."}[kind] in line


# a final save that fails still keeps the model


@pytest.fixture
def out_fails(tmp_path, monkeypatch) -> Path:
    """An --out whose save fails as a full disk does; saves anywhere else work."""
    out = tmp_path / "m.pt"
    original = checkpoint_module.save_checkpoint

    def save(checkpoint, path):
        if Path(path) == out:
            raise CheckpointError(f"Cannot save to {out}: No space left on device.")
        return original(checkpoint, path)

    monkeypatch.setattr(checkpoint_module, "save_checkpoint", save)
    return out


def test_a_failed_final_save_goes_to_the_cache_folder_and_says_where(synthetic_dir, tmp_path, out_fails, capsys, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out_fails) == EXIT_FAILURE
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1
    match = re.fullmatch(rf"{ERROR_PREFIX} Cannot save to {re.escape(str(out_fails))}: No space left on device\. "
                         r"The trained model was saved to (.+) instead\.", errors[0])
    assert match, errors[0]
    spare = Path(match.group(1))
    assert spare.parent == tmp_path / "cache" / "fmnist-gui" / "unsaved" and load_checkpoint(spare).epoch == 1
    assert not out_fails.exists()


def test_without_a_cache_folder_the_model_goes_to_the_temp_folder(synthetic_dir, tmp_path, out_fails, capsys, monkeypatch):
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "not-a-folder"))
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out_fails) == EXIT_FAILURE
    spare = re.search(r"saved to (.+) instead\.$", capsys.readouterr().err.strip()).group(1)
    assert Path(spare).parent == tmp_path and load_checkpoint(spare).epoch == 1


def test_when_no_save_works_the_line_says_so(synthetic_dir, tmp_path, capsys, monkeypatch):
    def full(checkpoint, path):
        raise CheckpointError(f"Cannot save to {path}: No space left on device.")

    monkeypatch.setattr(checkpoint_module, "save_checkpoint", full)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_FAILURE
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith(ERROR_PREFIX)]
    assert len(errors) == 1 and "could not be saved elsewhere either: Cannot save to" in errors[0]


# signals, in this process


def test_a_signal_during_the_save_waits_for_it(synthetic_dir, tmp_path, capsys, monkeypatch):
    original = checkpoint_module.save_checkpoint

    def save_while_signalled(checkpoint, path):
        signal.raise_signal(signal.SIGTERM)  # handled right here, in the middle of the save
        signal.raise_signal(signal.SIGINT)
        return original(checkpoint, path)

    monkeypatch.setattr(checkpoint_module, "save_checkpoint", save_while_signalled)
    out = tmp_path / "m.pt"
    assert run("train", *TINY, "--data-dir", synthetic_dir, "--out", out) == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "Saving; the run ends as soon as the file is written." in err and f"Saved {out} (epoch 1)." in err
    assert load_checkpoint(out).epoch == 1


def test_a_second_ctrl_c_before_the_save_quits_without_a_traceback(synthetic_dir, tmp_path, capsys, monkeypatch):
    def press_twice(self, record):
        signal.raise_signal(signal.SIGINT)
        signal.raise_signal(signal.SIGINT)

    monkeypatch.setattr(ConsoleProgress, "on_batch_end", press_twice)
    before = [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)]
    out = tmp_path / "m.pt"
    assert run("train", *TINY, "--epochs", "3", "--data-dir", synthetic_dir, "--out", out) == EXIT_INTERRUPTED
    assert capsys.readouterr().err.splitlines()[-1] == f"{ERROR_PREFIX} interrupted; nothing was saved."
    assert not out.exists()
    assert [signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)] == before


# real signals and pipes, to a real process


def start_training(tmp_path: Path, data_dir: Path, *options: str, stdout=subprocess.PIPE) -> subprocess.Popen:
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--batch-size", "100",
               "--data-dir", str(data_dir), "--out", str(tmp_path / "m.pt"), *options]
    process = subprocess.Popen(command, stdout=stdout, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
    watchdog = threading.Timer(120, process.kill)  # a hung child fails the test instead of hanging it
    watchdog.daemon = True
    watchdog.start()
    process.watchdog = watchdog  # type: ignore[attr-defined]
    return process


def finish(process: subprocess.Popen) -> str:
    """The process's stderr once it has ended."""
    err = process.stderr.read()
    process.wait()
    process.watchdog.cancel()
    return err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_stop_save_and_exit_128_plus_n(synthetic_dir, tmp_path, signum):
    process = start_training(tmp_path, synthetic_dir, "--epochs", "500")
    first = process.stdout.readline()
    assert first.startswith("epoch 1/500:"), first
    process.send_signal(signum)
    process.stdout.read()
    err = finish(process)
    assert process.returncode == 128 + signum, err
    assert "Stopping at the next batch" in err and "Traceback" not in err
    saved = load_checkpoint(tmp_path / "m.pt")
    assert 1 <= saved.epoch < 500 and saved.step >= 6
    saved.build_model()


def test_a_reader_that_leaves_after_one_line_does_not_stop_the_run(synthetic_dir, tmp_path):
    process = start_training(tmp_path, synthetic_dir, "--epochs", "20", "--json")
    first = process.stdout.readline()
    assert json.loads(first)["epoch"] == 1, first
    process.stdout.close()  # as `| head -1` does: every later line meets a closed pipe
    err = finish(process)
    assert process.returncode == 0, err
    assert "Traceback" not in err and "Exception ignored" not in err and "completed: Finished 20 epochs" in err
    assert load_checkpoint(tmp_path / "m.pt").epoch == 20


def test_console_progress_stops_writing_to_a_closed_stream(synthetic_data, fast_config):
    from fmnist_gui.engine import FinishReason, Trainer

    class ClosedPipe:
        writes = 0

        def write(self, text):
            ClosedPipe.writes += 1
            raise BrokenPipeError(32, "Broken pipe")

        def flush(self):
            pass

        def isatty(self):
            return False

    out = ClosedPipe()
    progress = ConsoleProgress(json_lines=True, out=out, err=ClosedPipe())
    trainer = Trainer(fast_config.replace(epochs=3), synthetic_data, [progress])
    assert trainer.fit().reason is FinishReason.COMPLETED
    assert ClosedPipe.writes == 2  # one refused line per stream, then silence
    assert len(progress.closed) == 2


# devices and text from files


def test_a_device_name_with_a_newline_is_a_usage_error(synthetic_dir, tmp_path, capsys):
    assert run("train", *TINY, "--device", "cpu\n", "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_USAGE
    line = one_error_line(capsys)
    assert "is not a device name" in line and not (tmp_path / "m.pt").exists()


def test_control_characters_in_names_never_reach_the_terminal(synthetic_dir, tmp_path, capsys):
    junk = tmp_path / "\x1b]0;owned\x07\x1b[31mred\r.pt"
    junk.write_bytes(b"not a checkpoint at all")
    assert run("evaluate", junk, "--data-dir", synthetic_dir) == EXIT_FAILURE
    line = one_error_line(capsys)
    assert line == f"{ERROR_PREFIX} red .pt is not a PyTorch checkpoint, or it is truncated or damaged."


@pytest.mark.parametrize("name", ["cpu\n", "cuda:0\n", "cuda:\u0663", " cpu", "CPU", "cuda:", ""])
def test_only_exact_device_names_pass(name):
    from fmnist_gui.devices import DeviceError, check_device_syntax

    with pytest.raises(DeviceError, match="is not a device name"):
        check_device_syntax(name)


@pytest.mark.parametrize("value", ["-inf", "-1e-3", "nan"])
def test_a_negative_or_not_finite_rate_is_refused_for_what_it_is(synthetic_dir, capsys, value):
    """`--lr -inf` said 'expected one argument': argparse took the value for an option."""
    assert run("train", "--lr", value, "--data-dir", synthetic_dir) == EXIT_USAGE
    line = one_error_line(capsys)
    assert "The learning rate must be above 0" in line and "expected one argument" not in line


def test_a_loss_that_rounds_below_zero_is_printed_as_zero():
    from fmnist_gui.formats import format_loss

    assert format_loss(-1e-9) == "0.0000" and format_loss(0.25) == "0.2500" and format_loss(float("nan")) == "nan"

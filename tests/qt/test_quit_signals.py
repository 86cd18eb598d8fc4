"""SIGTERM or SIGHUP to the window mid-run (a desktop logout): the run stops, is saved and recorded, then the window quits."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.runs import read_batches

# The real window, driven by a script: train, and once 30 batches are done, send the signal to itself.
WINDOW = """
import os, signal, sys
from PySide6.QtCore import QSettings, QTimer
from fmnist_gui.config import TrainConfig
from fmnist_gui.qt.shell.app import create_app, end_on_signals
from fmnist_gui.qt.shell.main_window import MainWindow
from fmnist_gui.qt.state.settings import Settings

data_dir, settings_file, signum = sys.argv[1], sys.argv[2], int(sys.argv[3])
app = create_app()
window = MainWindow(settings=Settings(QSettings(settings_file, QSettings.Format.IniFormat)), data_dir=data_dir)
end_on_signals(window)
window.show()

def start():
    if window.data_source.data is None:
        QTimer.singleShot(20, start)
        return
    window.controls.set_config(TrainConfig(model="quickstart-mlp", optimizer="sgd", lr=0.001, batch_size=10, epochs=50,
                                           schedule="constant"))
    window.controls.train_button.click()

sent = []
def on_batch(record):
    if record.step >= 30 and not sent:
        sent.append(True)
        os.kill(os.getpid(), signum)

window.session.batch_finished.connect(on_batch)
QTimer.singleShot(0, start)
code = app.exec()
window.shutdown()
sys.stdout.flush()
os._exit(code)
"""


def _run_window(synthetic_dir: Path, tmp_path: Path, signum: int, runs_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FMNIST_RUNS": str(runs_dir), "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "QT_QPA_PLATFORM": "offscreen", "FMNIST_ALLOW_SMALL": "1"}
    return subprocess.run([sys.executable, "-c", WINDOW, str(synthetic_dir), str(tmp_path / "settings.ini"), str(signum)],
                          capture_output=True, text=True, env=env, timeout=180)


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_mid_run_stops_records_and_quits_with_128_plus_n(synthetic_dir, tmp_path, signum):
    runs_dir = tmp_path / "runs"
    done = _run_window(synthetic_dir, tmp_path, signum, runs_dir)
    assert done.returncode == 128 + signum, done.stderr[-2000:]
    assert f"{signal.Signals(signum).name} received: stopping the run" in done.stderr
    (folder,) = list(runs_dir.iterdir())
    run = json.loads((folder / "run.json").read_text())
    assert run["status"] == "stopped"
    last = load_checkpoint(folder / "checkpoints" / "last.pt")
    # Nothing trained is lost: last.pt holds every batch reported (reports are throttled, so it may hold more).
    assert last.step == run["last_step"] >= int(read_batches(folder)["step"][-1]) >= 30
    assert f"The model is recorded in {folder}." in done.stderr
    assert "Traceback" not in done.stderr


def test_a_signal_mid_run_without_a_run_folder_keeps_the_model_in_the_unsaved_folder(synthetic_dir, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    done = _run_window(synthetic_dir, tmp_path, signal.SIGTERM, blocker / "runs")
    assert done.returncode == 128 + signal.SIGTERM, done.stderr[-2000:]
    (kept,) = list((tmp_path / "cache" / "fmnist-gui" / "unsaved").glob("*.pt"))
    assert f"The unsaved model was saved to {kept}." in done.stderr
    assert load_checkpoint(kept).step >= 30

"""Small sweeps for the sweep tests: the quickstart MLP on the synthetic data, and worker processes to start and watch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fmnist_gui.sweeps import SweepSnapshot, SweepStore, read_sweep

REPO = Path(__file__).resolve().parents[2]
# Each trial: the MLP, 600 images in batches of 50: an epoch in a fraction of a second.
TINY_SWEEP = ["--preset", "quickstart", "--optimizer", "adam", "--batch-size", "50"]
LR_RANGE = ["--param", "lr=1e-3:3e-2:log"]


def worker_process(name: str, runs_dir: Path, data_dir: Path, log: Path, *options: str) -> subprocess.Popen[bytes]:
    """`fmnist-gui sweep work NAME …` in a process of its own (killed after two minutes, so a hang fails the test)."""
    env = dict(os.environ, FMNIST_ALLOW_SMALL="1", PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    command = [sys.executable, "-m", "fmnist_gui", "sweep", "work", name, "--runs-dir", str(runs_dir),
               "--data-dir", str(data_dir), *options]
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=REPO)
    watchdog = threading.Timer(120, process.kill)
    watchdog.daemon = True
    watchdog.start()
    return process


def snapshot(name: str, runs_dir: Path, storage: str | None = None) -> SweepSnapshot:
    return read_sweep(SweepStore.locate(name, storage, runs_dir))


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 60.0) -> Any:
    """Poll until `condition()` is true (returns it), or fail saying `what` never happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def run_json(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "run.json").read_text())


def assert_exact_budget(sweep: SweepSnapshot) -> None:
    """N counted trials, each trial number once, each counted trial a run folder of this sweep saying so."""
    numbers = [trial.number for trial in sweep.trials]
    assert len(numbers) == len(set(numbers))
    counted = [trial for trial in sweep.trials if trial.state in ("COMPLETE", "PRUNED")]
    assert len(counted) == sweep.definition.trials, [(t.number, t.state, t.message) for t in sweep.trials]
    for trial in counted:
        assert trial.run is not None
        meta = run_json(trial.run)
        assert (meta["sweep"], meta["trial"]) == (sweep.name, trial.number)
        assert meta["status"] == ("completed" if trial.state == "COMPLETE" else "pruned")

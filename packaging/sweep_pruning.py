"""What the median pruner saves, and what a second worker adds, on a real sweep on the real data.

    python packaging/sweep_pruning.py [--trials 30] [--epochs 3] [--rate-trials 10] [--part all|pruning|rate] [--data-dir DIR]

Runs `fmnist-gui sweep run` as a user would, in a throwaway runs folder, over the default preset's
learning rate (1e-4 to 0.1, log) and weight decay (1e-5 to 0.01, log), and prints:
- a sweep of --trials trials of --epochs epochs with the median pruner, and one with none (2 workers
  each): the epochs trained, the best value and the time taken;
- trials per hour with 1 and with 2 workers: two sweeps of --rate-trials trials without a pruner, so
  that every trial trains all its epochs.
A timing, and a long one (hours at the defaults on 2 CPU cores): run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SPACE = ("lr=1e-4:0.1:log", "weight_decay=1e-5:1e-2:log")


def sweep(runs: Path, name: str, trials: int, epochs: int, pruner: str, workers: int, data_dir: str | None) -> str:
    """Run one sweep to its end; a line saying what it trained, found and took."""
    from fmnist_gui.sweeps import SweepStore, read_sweep

    command = [sys.executable, "-m", "fmnist_gui", "sweep", "run", name, "--preset", "default", "--epochs", str(epochs),
               "--trials", str(trials), "--pruner", pruner, "--workers", str(workers), "--runs-dir", str(runs)]
    for param in SPACE:
        command += ["--param", param]
    if data_dir:
        command += ["--data-dir", data_dir]
    started = time.perf_counter()
    ended = subprocess.run(command, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=subprocess.DEVNULL)
    if ended.returncode != 0:
        raise SystemExit(f"Sweep {name} failed (exit code {ended.returncode}); its errors are above.")
    seconds = time.perf_counter() - started
    snapshot = read_sweep(SweepStore.locate(name, None, runs))
    counted = [trial for trial in snapshot.trials if trial.state in ("COMPLETE", "PRUNED")]
    pruned = sum(trial.state == "PRUNED" for trial in counted)
    epochs_trained = sum(trial.epochs_done for trial in snapshot.trials)
    best = snapshot.best
    best_text = f"best {best.value:.2f}% (trial {best.number})" if best is not None else "no trial completed"
    return (f"{name}: {len(counted)} trials ({pruned} pruned), {epochs_trained} epochs trained of "
            f"{len(counted) * epochs} asked, {best_text}, {seconds / 60:.1f} min with {workers} worker"
            f"{'s' if workers != 1 else ''}: {3600 * len(counted) / seconds:.1f} trials per hour")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rate-trials", type=int, default=10)
    parser.add_argument("--data-dir")
    parser.add_argument("--part", choices=("all", "pruning", "rate"), default="all",
                        help="only the pruner comparison (its epochs and values do not depend on a quiet machine), "
                             "or only the trials per hour")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fmnist-gui-sweep-pruning-") as folder:
        runs = Path(folder)
        pruning = [("median", args.trials, "median", 2), ("no-pruner", args.trials, "none", 2)]
        rate = [("one-worker", args.rate_trials, "none", 1), ("two-workers", args.rate_trials, "none", 2)]
        parts = {"all": pruning + rate, "pruning": pruning, "rate": rate}[args.part]
        for name, trials, pruner, workers in parts:
            print(sweep(runs, name, trials, args.epochs, pruner, workers, args.data_dir), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

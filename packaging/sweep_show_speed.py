"""How long `fmnist-gui sweep show` takes on a sweep of 10,000 trials in its journal file.

    python packaging/sweep_show_speed.py [--trials 10000] [--repeat 3]

The study is made synthetically (Optuna's create_trial and add_trials: three hyperparameters, three epochs of
intermediate values, a run folder and, for one trial in ten, a failure message each) in a temporary runs folder;
then `sweep show`, `sweep show --json` and `sweep export --csv` run as a user runs them, each in a new process,
and `read_sweep` is timed in this one (what the window's Sweeps workspace calls). A timing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def make_sweep(runs: Path, trials: int) -> None:
    import optuna

    from fmnist_gui.sweeps import SweepDefinition, SweepStore, create_study, parse_space
    from fmnist_gui.sweeps.storage import opened_study

    base = SweepDefinition(space=(), trials=trials, epochs=3).base_config()
    space = parse_space(["lr=1e-4:0.1:log", "batch_size=64,128,256", "optimizer=sgd,adamw"], base)
    store = SweepStore.locate("big", None, runs)
    create_study(store, SweepDefinition(space=space, trials=trials, epochs=3))
    distributions = {"lr": optuna.distributions.FloatDistribution(1e-4, 0.1, log=True),
                     "batch_size": optuna.distributions.CategoricalDistribution([64, 128, 256]),
                     "optimizer": optuna.distributions.CategoricalDistribution(["sgd", "adamw"])}
    rng = random.Random(0)
    start = datetime(2026, 1, 1)
    made = []
    for number in range(trials):
        failed = number % 10 == 9
        began = start + timedelta(seconds=40 * number)
        made.append(optuna.trial.create_trial(
            state=optuna.trial.TrialState.FAIL if failed else optuna.trial.TrialState.COMPLETE,
            value=None if failed else rng.uniform(80, 92),
            params={"lr": 10 ** rng.uniform(-4, -1), "batch_size": rng.choice([64, 128, 256]),
                    "optimizer": rng.choice(["sgd", "adamw"])},
            distributions=distributions,
            intermediate_values={} if failed else {epoch: rng.uniform(70, 92) for epoch in (1, 2, 3)},
            user_attrs={"run": str(runs / f"2026-01-01_000000-small-cnn-{number:04x}"),
                        **({"message": "Training diverged: the loss became nan at epoch 1, batch 3."} if failed else {})},
        ))
        # create_trial stamps the times now; a sweep's trials have their own
        made[-1].datetime_start, made[-1].datetime_complete = began, began + timedelta(seconds=36)
    with opened_study(store) as study:
        study.add_trials(made)


def timed(command: list[str], repeat: int) -> tuple[float, int]:
    """The median wall time of `command` in a new process, and its output's size in lines."""
    times, lines = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, check=True, cwd=REPO,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
        times.append(time.perf_counter() - started)
        lines = len(done.stdout.splitlines())
    return statistics.median(times), lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        started = time.perf_counter()
        make_sweep(runs, args.trials)
        journal = runs / "sweeps" / "big" / "journal.log"
        print(f"made a sweep of {args.trials} trials in {time.perf_counter() - started:.1f} s "
              f"(journal {journal.stat().st_size / 1e6:.1f} MB)")

        from fmnist_gui.sweeps import SweepStore, read_sweep

        reads = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            snapshot = read_sweep(SweepStore.locate("big", None, runs))
            reads.append(time.perf_counter() - started)
        print(f"read_sweep in this process: {statistics.median(reads):.2f} s ({len(snapshot.trials)} trials)")
        cli = [sys.executable, "-m", "fmnist_gui", "sweep"]
        for name, extra in (("show", []), ("show --json", ["--json"])):
            seconds, lines = timed([*cli, "show", "big", "--runs-dir", str(runs), *extra], args.repeat)
            print(f"fmnist-gui sweep {name}: {seconds:.2f} s, {lines} lines, in a new process")
        seconds, _ = timed([*cli, "export", "big", "--runs-dir", str(runs), "--csv", str(runs / "big.csv")], args.repeat)
        print(f"fmnist-gui sweep export --csv: {seconds:.2f} s, in a new process")
        seconds, _ = timed([sys.executable, "-c", "import fmnist_gui.sweeps"], args.repeat)
        print(f"(of which starting Python and importing the package, torch and optuna: {seconds:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Sweeps written straight into a journal (Optuna's create_trial and add_trials), for the workspace's tests and timings.

Each trial has lr (log range), weight_decay (range), batch_size and optimizer (choices), a value that
depends on lr and the optimizer, one intermediate value per epoch, and a run folder path; one in five is
PRUNED after its first epochs, one in twenty FAIL, and `running` more at the end are RUNNING.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import optuna

from fmnist_gui.sweeps import SweepDefinition, SweepStore, create_study, parse_space
from fmnist_gui.sweeps.liveness import worker_identity
from fmnist_gui.sweeps.storage import opened_study

SPACE = ["lr=1e-4:0.1:log", "weight_decay=0:0.01", "batch_size=64,128,256", "optimizer=sgd,adamw"]


def make_sweep(runs: Path, name: str, trials: int, epochs: int = 4, running: int = 0, budget: int | None = None,
               seed: int = 0) -> SweepStore:
    """A journal sweep NAME in RUNS/sweeps with `trials` finished trials and `running` running ones; its store."""
    base = SweepDefinition(space=(), trials=1, epochs=epochs).base_config()
    space = parse_space(SPACE, base)
    store = SweepStore.locate(name, None, runs)
    create_study(store, SweepDefinition(space=space, trials=budget or trials + running, epochs=epochs,
                                        preset="quickstart", pruner="median"))
    distributions = {"lr": optuna.distributions.FloatDistribution(1e-4, 0.1, log=True),
                     "weight_decay": optuna.distributions.FloatDistribution(0.0, 0.01),
                     "batch_size": optuna.distributions.CategoricalDistribution([64, 128, 256]),
                     "optimizer": optuna.distributions.CategoricalDistribution(["sgd", "adamw"])}
    rng = random.Random(seed)
    start = datetime(2026, 1, 1)
    made = []
    for number in range(trials + running):
        params = {"lr": 10 ** rng.uniform(-4, -1), "weight_decay": rng.uniform(0, 0.01),
                  "batch_size": rng.choice([64, 128, 256]), "optimizer": rng.choice(["sgd", "adamw"])}
        final = 91 - 6 * abs(_log10(params["lr"]) + 2.5) - (2 if params["optimizer"] == "sgd" else 0) + rng.uniform(-1, 1)
        curve = {epoch: final - 8 / epoch + rng.uniform(-0.5, 0.5) for epoch in range(1, epochs + 1)}
        state, value, message = optuna.trial.TrialState.COMPLETE, max(curve.values()), ""
        if number >= trials:
            state, value, curve = optuna.trial.TrialState.RUNNING, None, {1: curve[1]}
        elif number % 20 == 19:
            state, value, curve, message = optuna.trial.TrialState.FAIL, None, {}, "Training diverged: the loss became nan."
        elif number % 5 == 4:
            stop = 1 + number % (epochs - 1)
            curve = {epoch: accuracy - 25 for epoch, accuracy in curve.items() if epoch <= stop}
            state, value, message = optuna.trial.TrialState.PRUNED, curve[stop], f"Pruned after epoch {stop}."
        trial = optuna.trial.create_trial(
            state=state, value=value, params=params, distributions=distributions, intermediate_values=curve,
            user_attrs={"run": str(runs / f"2026-01-01_000000-quickstart-mlp-{number:04x}"),
                        **({"message": message} if message else {}),
                        # a running trial's worker is this process: alive while the test runs
                        **({"worker": worker_identity()} if state == optuna.trial.TrialState.RUNNING else {})})
        began = start + timedelta(seconds=40 * number)
        trial.datetime_start = began
        trial.datetime_complete = None if state == optuna.trial.TrialState.RUNNING else began + timedelta(seconds=36)
        made.append(trial)
    with opened_study(store) as study:
        study.add_trials(made)
    return store


def _log10(value: float) -> float:
    import math

    return math.log10(value)

"""Overlaying runs: each alone, or runs that differ only in seed as a mean with a band."""

from __future__ import annotations

import numpy as np

from fmnist_gui.runs.overlay import grouped_series, run_series
from fmnist_gui.config import TrainConfig
from fmnist_gui.engine.events import EpochSummary

NAN10 = (float("nan"),) * 10


def history(*accuracies: float) -> list[EpochSummary]:
    return [EpochSummary(epoch=e, step=10 * e, train_loss=1.0, train_accuracy=50.0, test_loss=1.0 / e, test_accuracy=a,
                         per_class_accuracy=NAN10, confusion=None, lr=0.01, seconds=1.0)
            for e, a in enumerate(accuracies, start=1)]


def test_runs_differing_only_in_seed_become_one_mean_with_a_band():
    config = TrainConfig()
    runs = [("seed 0", config.replace(seed=0), history(80, 90, 91)),
            ("seed 1", config.replace(seed=1, device="cuda:0"), history(82, 88)),
            ("seed 2", config.replace(seed=2), history(84, 89, 95)),
            ("other lr", config.replace(lr=0.1), history(70, 75))]
    series = grouped_series(runs)
    assert [s.members for s in series] == [3, 1]
    group, other = series
    np.testing.assert_allclose(group.epochs, [1, 2])  # the epochs every member reached
    np.testing.assert_allclose(group.test_accuracy, [82, 89])
    low, high = group.accuracy_band
    np.testing.assert_allclose(high - low, 2 * np.std([[80, 90], [82, 88], [84, 89]], axis=0))
    assert "seed 0 and 2 more" in group.name and other.name == "other lr" and other.accuracy_band is None


def test_a_run_without_a_readable_config_stays_alone():
    series = grouped_series([("a", None, history(50)), ("b", None, history(60))])
    assert [s.name for s in series] == ["a", "b"]
    assert run_series("a", history(50, 60)).test_accuracy.tolist() == [50, 60]

"""The learning-rate finder: its numerical core on hand-made arrays, then short runs on the synthetic data."""

from __future__ import annotations

import numpy as np
import pytest

from fmnist_gui.config import TrainConfig
from fmnist_gui.engine.callbacks import RunControl
from fmnist_gui.engine.lr_finder import (
    FinderOptions,
    describe,
    explosion_index,
    exponential_rates,
    find_learning_rate,
    smooth,
    steepest_descent,
)
from fmnist_gui.errors import UserFacingError

MLP = TrainConfig(model="quickstart-mlp", optimizer="adam", batch_size=50, weight_decay=0.0)
EXPLODING = FinderOptions(start_lr=10.0, end_lr=1e6, steps=100)  # Adam at these rates diverges in a few batches

# the numerical core


def test_the_smoothed_loss_is_a_bias_corrected_moving_average():
    assert smooth(np.array([2.0, 2.0, 2.0])) == pytest.approx([2.0, 2.0, 2.0])  # no pull towards zero at the start
    # beta 0.5: (0.5 * 1) / 0.5 = 1, then (0.25 + 1.5) / 0.75
    assert smooth(np.array([1.0, 3.0]), beta=0.5) == pytest.approx([1.0, 1.75 / 0.75])


def test_the_rates_rise_exponentially_from_start_to_end():
    rates = exponential_rates(FinderOptions(start_lr=1e-4, end_lr=1.0, steps=21))
    assert rates[0] == pytest.approx(1e-4) and rates[-1] == pytest.approx(1.0)
    assert np.diff(np.log10(rates)) == pytest.approx(np.full(20, 0.2))


def test_the_search_ends_when_the_smoothed_loss_passes_four_times_its_best_or_is_not_finite():
    assert explosion_index(np.array([2.0, 1.5, 1.0, 3.9, 1.0]), beta=0.0) is None  # 3.9 < 4 x 1.0
    assert explosion_index(np.array([2.0, 1.5, 1.0, 1.2, 4.1]), beta=0.0) == 4
    assert explosion_index(np.array([2.0, 1.5, float("nan")]), beta=0.0) == 2
    assert explosion_index(np.array([2.0, float("inf")])) == 1
    assert explosion_index(np.array([float("nan")])) == 0


def test_the_suggestion_is_the_steepest_fall_against_the_log_of_the_rate():
    lrs = np.array([1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    # slopes per decade: -0.05, -0.5, -0.485, -0.015, -0.01, -0.01 (the exploding last point is skipped)
    assert steepest_descent(lrs, np.array([2.0, 1.95, 1.0, 0.98, 0.97, 0.96, 3.0]), skip_start=0, skip_end=1) == pytest.approx(1e-5)
    # the same fall later in the curve moves the suggestion with it
    assert steepest_descent(lrs, np.array([2.0, 2.0, 2.0, 1.95, 1.0, 0.98, 3.0]), skip_start=0, skip_end=1) == pytest.approx(1e-3)


def test_the_first_points_are_ignored():
    lrs = np.geomspace(1e-6, 1.0, 30)
    smoothed = np.linspace(2.0, 1.0, 30)
    smoothed[:3] = [9.0, 5.0, 2.0]  # a steep start that is only the average settling
    smoothed[20] -= 0.2  # the steepest fall after the first points
    assert steepest_descent(lrs, smoothed, skip_start=3, skip_end=0) == pytest.approx(lrs[19])
    assert steepest_descent(lrs, smoothed, skip_start=0, skip_end=0) == pytest.approx(lrs[0])


def test_no_suggestion_when_the_loss_never_falls_or_too_few_points_remain():
    lrs = np.geomspace(1e-6, 1.0, 30)
    assert steepest_descent(lrs, np.linspace(1.0, 2.0, 30), skip_start=0, skip_end=0) is None
    assert steepest_descent(lrs[:12], np.linspace(2.0, 1.0, 12)) is None  # 10 skipped at the start, 5 at the end


def test_immediate_divergence_says_so_and_suggests_nothing():
    lrs, smoothed = np.array([1e-7, 1.1e-7, 1.2e-7]), np.array([2.3, 40.0, float("inf")])
    assert steepest_descent(lrs, smoothed) is None
    message = describe(lrs, smoothed, None, exploded=True, stopped=False, steps=200)
    assert message.startswith("The loss diverged at once at a rate of 1.2e-07, after 3 batches: no rate can be suggested.")


def test_bad_options_are_refused():
    with pytest.raises(UserFacingError, match="must rise"):
        FinderOptions(start_lr=1.0, end_lr=1e-3)
    with pytest.raises(UserFacingError, match="at least 20 batches"):
        FinderOptions(steps=5)


# runs on the synthetic data


def test_a_run_records_a_point_per_batch_and_suggests_a_rate_inside_the_range(synthetic_data):
    reports: list[tuple[float, float, float]] = []
    result = find_learning_rate(MLP, synthetic_data, progress=lambda *values: reports.append(values), report_interval=0.0)
    done = len(result.lrs)
    assert 20 <= done <= 200 and len(result.losses) == len(result.smoothed) == done
    assert np.all(np.diff(result.lrs) > 0) and result.lrs[0] == pytest.approx(1e-7)
    assert not result.stopped
    assert result.suggestion is not None and result.lrs[10] <= result.suggestion <= result.lrs[-6]
    assert f"The smoothed loss fell fastest at {result.suggestion:.2g}" in result.message
    assert len(reports) == done and all(isinstance(v, float) for report in reports for v in report)
    assert [r[0] for r in reports] == sorted(r[0] for r in reports) and reports[-1][1] == pytest.approx(result.lrs[-1])


def test_the_same_seed_gives_the_same_curve(synthetic_data):
    options = FinderOptions(steps=40)
    first, second = (find_learning_rate(MLP, synthetic_data, options) for _ in range(2))
    np.testing.assert_array_equal(first.losses, second.losses)
    assert not np.array_equal(first.losses, find_learning_rate(MLP.replace(seed=1), synthetic_data, options).losses)


def test_a_stop_request_ends_the_run_at_the_next_batch_without_a_suggestion(synthetic_data):
    control = RunControl()
    result = find_learning_rate(MLP, synthetic_data, control=control, progress=lambda *values: control.stop(),
                                report_interval=0.0)
    assert result.stopped and len(result.lrs) == 1 and result.suggestion is None
    assert result.message == "Stopped after 1 of 200 batches: a part of the curve suggests no rate."


def test_a_model_that_diverges_at_once_gets_no_suggestion(synthetic_data):
    result = find_learning_rate(MLP, synthetic_data, EXPLODING)
    assert result.exploded and len(result.lrs) < 20 and result.suggestion is None
    assert "diverged at once" in result.message


def test_the_peak_rules_minimum_tenth_and_valley_on_a_hand_made_curve():
    from fmnist_gui.engine.lr_finder import advice, minimum_tenth, valley

    lrs = np.geomspace(1e-6, 1, 61)
    losses = np.concatenate([np.full(20, 2.3) + np.linspace(0, -0.01, 20), np.linspace(2.28, 0.5, 30), np.linspace(0.6, 5, 11)])
    assert minimum_tenth(lrs, losses) == pytest.approx(lrs[49] / 10)
    found = valley(lrs, losses)
    assert lrs[20] < found < lrs[49]  # inside the long fall, short of the minimum
    rules = {"steepest descent": 1e-3, "valley": 1e-2, "minimum / 10": 2e-2}
    assert advice(rules, "one-cycle")[0] == "minimum / 10"  # as measured on the presets (README)
    assert advice(rules, "constant")[0] == "steepest descent"
    assert advice({"steepest descent": 1e-3}, "one-cycle")[0] == "steepest descent"  # the one rule that found a rate
    assert advice({}, "cosine") is None

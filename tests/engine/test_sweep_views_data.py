"""What the Sweeps workspace and the comparison room draw from, without Qt: the trials frame, importances, a
definition from the form's values, reading without writing, and several runs' metrics side by side."""

from __future__ import annotations

import math

import numpy as np
import pytest
from tests.synthetic_sweep import make_sweep

from fmnist_gui.config import TrainConfig, preset
from fmnist_gui.engine.events import EpochSummary
from fmnist_gui.runs.side_by_side import differing_fields, metric_series, metrics
from fmnist_gui.sweeps import SpaceError, read_sweep
from fmnist_gui.sweeps.definition import define_from_config
from fmnist_gui.sweeps.frame import TrialsFrame
from fmnist_gui.sweeps import importance
from fmnist_gui.sweeps.importance import MIN_TRIALS, ImportancesStopped, importances_apart, param_importances


@pytest.fixture(scope="module")
def sweep(tmp_path_factory):
    store = make_sweep(tmp_path_factory.mktemp("runs"), "frame", 40, running=2)
    return read_sweep(store, reap=False)


def test_the_frame_holds_every_trial_as_columns(sweep):
    frame = TrialsFrame.of(sweep)
    assert frame.numbers.tolist() == list(range(42)) and frame.epochs == 4
    assert [column.name for column in frame.params] == ["lr", "weight_decay", "batch_size", "optimizer"]
    optimizer = frame.params[3]
    assert optimizer.choices == ("sgd", "adamw") and optimizer.text(0) == sweep.trials[0].params["optimizer"]
    assert frame.params[0].log and not frame.params[3].log
    pruned = frame.states == "PRUNED"
    assert np.isnan(frame.curves[pruned][:, -1]).all()  # stopped early: no last epoch
    assert np.isnan(frame.values[frame.states == "RUNNING"]).all()


def test_the_value_range_leaves_pruned_trials_out(sweep):
    frame = TrialsFrame.of(sweep)
    low, high = frame.value_range()
    complete = frame.values[frame.states == "COMPLETE"]
    assert (low, high) == (complete.min(), complete.max())
    assert frame.values[frame.states == "PRUNED"].min() < low  # they would have stretched it


def test_top_percent_keeps_the_best_complete_trials_and_best_so_far_rises(sweep):
    frame = TrialsFrame.of(sweep)
    complete = int((frame.states == "COMPLETE").sum())
    top = frame.top_mask(10)
    assert top.sum() == math.ceil(complete / 10)
    assert frame.values[top].min() >= np.sort(frame.values[frame.states == "COMPLETE"])[-top.sum()]
    assert frame.top_mask(100).all() and frame.top_mask(0.1).sum() == 1
    numbers, best = frame.best_so_far()
    assert (np.diff(best) >= 0).all() and best[-1] == sweep.best.value


def test_importances_name_their_evaluator_and_need_a_few_trials(sweep):
    importances = param_importances(sweep)
    assert importances.evaluator in ("fANOVA", "PED-ANOVA") and importances.trials == 32
    assert set(importances.shares) == {"lr", "weight_decay", "batch_size", "optimizer"}
    assert math.isclose(sum(importances.shares.values()), 1.0)
    assert max(importances.shares, key=importances.shares.get) == "lr"  # the value depends mostly on lr
    few = param_importances(type(sweep)(sweep.name, sweep.where, sweep.definition, sweep.trials[:MIN_TRIALS - 1],
                                        sweep.tally))
    assert not few.shares and few.message.startswith("Not yet: ")


def test_importances_of_many_trials_come_from_a_seeded_sample(sweep, monkeypatch):
    monkeypatch.setattr(importance, "MAX_TRIALS", 20)
    sampled = param_importances(sweep)
    assert (sampled.trials, sampled.sampled_from) == (20, 32)
    assert param_importances(sweep) == sampled  # the same sample each time
    assert param_importances(sweep).shares.keys() == {"lr", "weight_decay", "batch_size", "optimizer"}


def test_importances_apart_answer_as_in_this_process_and_stop_when_asked(sweep):
    import multiprocessing
    import threading

    assert importances_apart(sweep, threading.Event()) == param_importances(sweep)
    stop = threading.Event()
    stop.set()
    with pytest.raises(ImportancesStopped):
        importances_apart(sweep, stop)
    assert not [p for p in multiprocessing.active_children() if p.name == "sweep-importances"]  # ended, not left


def test_a_definition_from_the_forms_values_fixes_what_differs_from_its_preset():
    form = preset("quickstart").replace(batch_size=50, seed=3)
    definition = define_from_config(form, ["lr=1e-4:0.1:log", "seed=0,1"], trials=5, epochs=2, pruner="none")
    assert definition.preset == "quickstart" and definition.fixed == {"batch_size": 50}
    assert definition.trial_config({"lr": 0.01, "seed": 1}).batch_size == 50
    custom = define_from_config(TrainConfig(model="quickstart-mlp"), ["lr=1e-4:0.1"], trials=5, epochs=2)
    assert custom.preset == "default" and custom.base_config().model == "quickstart-mlp"
    with pytest.raises(SpaceError, match="at least one hyperparameter"):
        define_from_config(form, [], trials=5, epochs=2)
    with pytest.raises(SpaceError, match="The grid has 2 points"):
        define_from_config(form, ["seed=0,1"], trials=5, epochs=2, sampler="grid")


def summary(epoch: int, accuracy: float) -> EpochSummary:
    classes = tuple([accuracy] * 9 + [float("nan")])
    return EpochSummary(epoch, 100 * epoch, 0.5, 80.0, 1 / epoch, accuracy, classes, None, 1e-3, 2.0)


def test_a_metric_of_several_runs_and_the_fields_they_differ_in():
    history = [summary(1, 80.0), summary(2, 85.0)]
    chosen = {metric.key: metric for metric in metrics()}
    x, y = metric_series(chosen["test_accuracy"], history, None)
    assert x.tolist() == [1.0, 2.0] and y.tolist() == [80.0, 85.0]
    x, y = metric_series(chosen["class_9"], history, None)
    assert np.isnan(y).all()
    batches = {"step": np.array([50, 100, 150]), "loss": np.array([1.0, 0.8, 0.6]), "lr": np.array([1e-3] * 3)}
    x, y = metric_series(chosen["batch_loss"], history, batches)
    assert x.tolist() == [0.5, 1.0, 1.5] and y.tolist() == [1.0, 0.8, 0.6]
    assert metric_series(chosen["lr"], [], None)[0].size == 0
    configs = [TrainConfig(lr=0.01), TrainConfig(lr=0.1, seed=2), TrainConfig(lr=0.1)]
    assert differing_fields(configs) == ["lr", "seed"]
    assert "model" in differing_fields([*configs, None])  # a run without a config: nothing is known to be equal

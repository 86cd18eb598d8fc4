"""Training with a fix set: relabelled images train with their new label, set-aside ones are never drawn into a
batch (seen through the run's dynamics rows), and the test set is the data's own."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.dynamics import example_statistics
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.engine import trainer as trainer_module
from fmnist_gui.engine.events import NOT_SEEN
from fmnist_gui.engine.example_tracker import ExampleTracker
from fmnist_gui.engine.optim import continuation_config
from fmnist_gui.errors import UserFacingError
from fmnist_gui.labels import FixSet, LabelsError
from fmnist_gui.labels.training import data_for_run, with_fixes
from fmnist_gui.runs import last_checkpoint, read_dynamics, read_run
from tests.engine.test_runs_recorder import train
from tests.engine.test_runs_resume import StopAt

RELABELLED = [0, 1, 2, 3, 4, 5, 6, 7]
SET_ASIDE = [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22]  # 13: batches of 50 no longer line up with 600


@pytest.fixture
def fix_set(synthetic_data, tmp_path) -> FixSet:
    given = synthetic_data.train_labels.numpy()
    fixes = FixSet.open(tmp_path / "labels" / "review.csv", "train", given)
    for index in RELABELLED:
        fixes.relabel(index, (int(given[index]) + 3) % 10)
    for index in SET_ASIDE:
        fixes.exclude(index)
    fixes.keep(30)
    fixes.save()
    return fixes


def test_relabelled_images_train_with_their_new_label_and_set_aside_ones_are_never_drawn(
        synthetic_data, fast_config, fix_set, tmp_path, monkeypatch):
    data = with_fixes(synthetic_data, fix_set)
    drawn: list[torch.Tensor] = []  # each batch's positions, as the tracker is told them
    fed: list[torch.Tensor] = []  # each batch's labels, as the step is given them
    step, record = trainer_module.train_step, ExampleTracker.record
    monkeypatch.setattr(trainer_module, "train_step", lambda model, optimizer, inputs, labels, **path: (
        fed.append(labels.clone()), step(model, optimizer, inputs, labels, **path))[1])
    monkeypatch.setattr(ExampleTracker, "record", lambda self, index, logits: (drawn.append(index.clone()), record(self, index, logits)))
    config = fast_config.replace(labels=fix_set.identity)
    recorder, trainer, result = train(config, data, tmp_path / "runs")
    assert result.reason is FinishReason.COMPLETED

    positions, labels = torch.cat(drawn).numpy(), torch.cat(fed).numpy()
    expected, _ = fix_set.apply_fixes(synthetic_data.train_labels.numpy())
    assert np.array_equal(labels, expected[positions])  # every image trained with its fixed label
    per_epoch = np.split(positions, config.epochs)
    kept = np.setdiff1d(np.arange(600), SET_ASIDE)
    assert all(np.array_equal(np.sort(epoch), kept) for epoch in per_epoch)  # the others once an epoch, these never

    dynamics = read_dynamics(recorder.folder)
    assert np.all(dynamics.train_predicted[:, SET_ASIDE] == NOT_SEEN)  # no training record in any epoch
    assert np.all(dynamics.train_predicted[:, kept] != NOT_SEEN)
    # Each epoch's end still gives them a place on the data map, drawn apart, and no training statistic.
    placed = dynamics.train_probability[:, SET_ASIDE].astype(np.float32)
    assert np.all((placed >= 0) & (placed <= 1))
    stats = example_statistics(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels)
    assert stats.set_aside is not None and np.flatnonzero(stats.set_aside).tolist() == SET_ASIDE
    assert np.all(np.isfinite(stats.set_aside_confidence[SET_ASIDE])) and np.isnan(stats.confidence[SET_ASIDE]).all()
    assert stats.forgetting[SET_ASIDE].sum() == 0 and not stats.never_learned[SET_ASIDE].any()
    assert np.array_equal(dynamics.train_labels, expected)  # the labels it trained with, new ones included
    assert np.array_equal(dynamics.test_labels, synthetic_data.test_labels.numpy())  # the test set is never changed
    assert trainer.history[-1].confusion is not None and np.sum(trainer.history[-1].confusion) == 200
    assert recorder.warnings == []


def test_the_run_its_checkpoint_and_its_name_record_the_fix_set(synthetic_data, fast_config, fix_set, tmp_path):
    config = fast_config.replace(labels=fix_set.identity, epochs=1)
    recorder, trainer, _ = train(config, with_fixes(synthetic_data, fix_set), tmp_path / "runs")
    info = read_run(recorder.folder)
    assert info.config.labels == fix_set.identity and info.name.endswith("labels review")
    assert load_checkpoint(last_checkpoint(recorder.folder)).config.labels == fix_set.identity
    assert trainer.history[-1].epoch == 1


def test_a_run_never_trains_on_labels_its_config_does_not_name(synthetic_data, fast_config, fix_set):
    with pytest.raises(UserFacingError, match="its data has no fixes applied"):
        Trainer(fast_config.replace(labels=fix_set.identity), synthetic_data)
    with pytest.raises(UserFacingError, match="the run's config names none"):
        Trainer(fast_config, with_fixes(synthetic_data, fix_set))


def test_a_run_stopped_mid_epoch_resumes_with_the_same_fixes_exactly(synthetic_data, fast_config, fix_set, tmp_path):
    config = fast_config.replace(labels=fix_set.identity)
    data = with_fixes(synthetic_data, fix_set)
    _, straight, _ = train(config, data, tmp_path / "straight")
    first, _, result = train(config, data, tmp_path / "stopped", callbacks=[StopAt(2, 4)])
    assert result.reason is FinishReason.STOPPED
    start = load_checkpoint(last_checkpoint(first.folder))
    again = data_for_run(start.config.labels, synthetic_data, fix_set.path.parent)  # as `train --resume` finds it
    second, resumed, _ = train(start.config, again, tmp_path / "stopped", start=start, resume=first.folder)
    assert second.warnings == []
    weights, expected = resumed.checkpoint().model_state, straight.checkpoint().model_state
    assert all(torch.equal(weights[key], expected[key]) for key in expected)
    assert np.all(read_dynamics(first.folder).train_predicted[:, SET_ASIDE] == NOT_SEEN)


def test_continue_training_keeps_the_fix_set_the_model_trained_with(fast_config, fix_set):
    saved = fast_config.replace(labels=fix_set.identity)
    assert continuation_config(saved, 2, 1e-3, fast_config.replace(epochs=3)).labels == fix_set.identity


def test_a_fix_set_changed_since_the_run_is_not_taken_for_the_one_it_trained_with(synthetic_data, fix_set):
    identity = fix_set.identity
    fix_set.exclude(40)
    fix_set.save()
    with pytest.raises(LabelsError, match=f"The fix set review has changed since the run trained with it .content {identity[-12:]}"):
        data_for_run(identity, synthetic_data, fix_set.path.parent)
    with pytest.raises(LabelsError, match="which is not in"):
        data_for_run("gone@" + "0" * 12, synthetic_data, fix_set.path.parent)
    assert data_for_run("", synthetic_data, fix_set.path.parent) is synthetic_data


def test_fixes_of_other_data_or_of_every_image_are_refused(synthetic_data, tmp_path):
    given = synthetic_data.train_labels.numpy()
    everything = FixSet.open(tmp_path / "all.csv", "train", given)
    with everything.one_step():
        for index in range(len(given)):
            everything.exclude(index)
    with pytest.raises(LabelsError, match="sets every training image aside"):
        with_fixes(synthetic_data, everything)
    other = FixSet.open(tmp_path / "other.csv", "train", (given + 1) % 10)
    other.exclude(5)
    with pytest.raises(LabelsError, match="belongs to other data"):
        with_fixes(synthetic_data, other)

"""Training dynamics: what the loop records per image, what it derives, how a run folder keeps it."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.data import CLASS_NAMES, load_fashion_mnist
from fmnist_gui.dynamics import (DynamicsDamaged, Region, TrainingDynamics, example_statistics, forgetting_by_class,
                                 forgetting_epochs, forgetting_events, likely_mislabelled, load_dynamics, most_forgotten,
                                 save_dynamics)
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.engine.events import NOT_SEEN, EpochDynamics
from fmnist_gui.runs import last_checkpoint, read_dynamics, snapshots
from tests.engine.recorder import Recorder
from tests.engine.test_cli import ERROR_PREFIX, one_error_line, run
from tests.engine.test_runs_recorder import train
from tests.engine.test_runs_resume import StopAt
from tests.synthetic import LABELS_MAGIC, SPLIT_FILES, idx_bytes, write_dataset

N = NOT_SEEN


# Deriving, on hand-made arrays: 3 epochs (rows) of 5 images (columns), labels 0..4
LABELS = np.array([0, 1, 2, 3, 4], dtype=np.uint8)
PROBABILITY = np.array([
    [0.9, 0.2, 0.1, 0.6, 0.5],
    [0.9, 0.8, 0.1, 0.2, np.nan],
    [0.9, 0.2, 0.1, 0.8, 0.7],
], dtype=np.float16)
PREDICTED = np.array([
    [0, 5, 7, 3, 4],
    [0, 1, 7, 5, N],  # image 4 not seen in epoch 2 (a resumed run's first epoch)
    [0, 5, 7, 3, 4],
], dtype=np.uint8)


def test_statistics_of_each_image_over_the_epochs_it_was_seen():
    stats = example_statistics(PROBABILITY, PREDICTED, LABELS)
    f16 = PROBABILITY.astype(np.float32)
    assert np.allclose(stats.confidence, [f16[:, 0].mean(), f16[:, 1].mean(), f16[:, 2].mean(), f16[:, 3].mean(),
                                          (f16[0, 4] + f16[2, 4]) / 2])
    assert np.allclose(stats.variability, [0.0, f16[:, 1].std(), 0.0, f16[:, 3].std(), f16[[0, 2], 4].std()], atol=1e-6)
    assert np.allclose(stats.correctness, [1, 1 / 3, 0, 2 / 3, 1])
    # right -> wrong counts once; the unseen epoch of image 4 neither forgets nor learns
    assert stats.forgetting.tolist() == [0, 1, 0, 1, 0]
    assert stats.never_learned.tolist() == [False, False, True, False, False]
    assert stats.unforgettable.tolist() == [True, False, False, False, True]
    assert [Region(code) for code in stats.regions] == [Region.EASY, Region.AMBIGUOUS, Region.HARD, Region.AMBIGUOUS, Region.EASY]


def test_forgetting_counts_each_right_to_wrong_step_and_skips_unseen_epochs():
    correct = np.array([[1, 1, 0], [0, 1, 1], [1, 0, 0], [0, 0, 1]], dtype=bool)
    assert forgetting_events(correct).tolist() == [2, 1, 1]
    seen = np.array([[1, 1, 1], [0, 1, 1], [1, 1, 1], [1, 1, 1]], dtype=bool)
    assert forgetting_events(correct, seen).tolist() == [1, 1, 1]  # image 0: right, (unseen), right, wrong
    assert forgetting_epochs(np.zeros(4), np.array([3, 3, 1, 3, 1]), label=3).tolist() == [2, 4]
    assert forgetting_epochs(np.zeros(4), np.array([3, N, 1, N]), label=3).tolist() == [2]


def test_an_image_never_seen_has_no_statistics_and_is_no_suspect():
    stats = example_statistics(np.full((2, 1), np.nan, np.float16), np.full((2, 1), N, np.uint8), np.array([3]))
    assert np.isnan(stats.confidence[0]) and not stats.never_learned[0] and not stats.unforgettable[0]
    assert likely_mislabelled(np.full((2, 1), np.nan, np.float16), np.full((2, 1), N, np.uint8), np.array([3])) == []


def test_suspects_are_hard_to_learn_and_predicted_as_one_other_class_most_suspicious_first():
    labels = np.array([0, 0, 0, 0, 0], dtype=np.uint8)
    probability = np.array([
        [0.05, 0.10, 0.05, 0.95, 0.45],
        [0.02, 0.10, 0.05, 0.97, 0.01],
        [0.03, 0.10, 0.05, 0.99, 0.45],
        [0.02, 0.10, 0.05, 0.99, 0.01],
    ], dtype=np.float16)
    predicted = np.array([
        [6, 6, 2, 0, 6],
        [6, 6, 3, 0, 6],
        [6, 2, 4, 0, 6],
        [6, 6, 5, 0, 6],
    ], dtype=np.uint8)
    suspects = likely_mislabelled(probability, predicted, labels)
    # 0: steadily called a 6; 1: less steadily; 2: low confidence but no one rival class; 3: learned;
    # 4: called a 6 throughout but its probability swings, so it is ambiguous rather than hard.
    assert [s.index for s in suspects] == [0, 1]
    first = suspects[0]
    assert (first.given, first.predicted, first.agreement, first.forgetting) == (0, 6, 1.0, 0)
    assert first.score == pytest.approx(1 - probability[:, 0].astype(np.float32).mean(), rel=1e-3)
    assert suspects[1].agreement == 0.75
    assert [s.index for s in likely_mislabelled(probability, predicted, labels, top=1)] == [0]


def test_forgetting_per_class_and_the_most_forgotten_images():
    forgetting = np.array([0, 3, 1, 2, 0, 2])
    labels = np.array([0, 1, 1, 2, 2, 9])
    assert forgetting_by_class(forgetting, labels).tolist() == [0, 4, 2, 0, 0, 0, 0, 0, 0, 2]
    assert most_forgotten(forgetting, 3).tolist() == [1, 3, 5]
    assert most_forgotten(forgetting, 10, labels, label=1).tolist() == [1, 2]


# Keeping
def _epoch(epoch: int, probability, predicted) -> EpochDynamics:
    return EpochDynamics(epoch, np.array(probability, np.float16), np.array(predicted, np.uint8))


def _two_epochs() -> TrainingDynamics:
    empty = TrainingDynamics.empty(np.array([1, 2, 3]), np.array([0, 1]))
    test = np.eye(10, dtype=np.float32)[[0, 2]]  # test image 0 right, 1 wrong
    return (empty.with_epoch(_epoch(1, [0.1, 0.2, 0.3], [1, 2, 0]), test)
            .with_epoch(_epoch(2, [0.5, 0.6, 0.7], [1, 2, 3]), test))


def test_dynamics_grow_by_epoch_and_merge_the_part_a_stop_recorded():
    dynamics = _two_epochs()
    assert dynamics.epochs.tolist() == [1, 2] and dynamics.train_correct.tolist() == [[1, 1, 0], [1, 1, 1]]
    assert dynamics.test_correct.tolist() == [[1, 0], [1, 0]] and dynamics.test_probability[0].tolist() == [1.0, 0.0]
    stopped = dynamics.with_unfinished(_epoch(3, [0.9, np.nan, np.nan], [1, N, N]))
    resumed = stopped.with_epoch(_epoch(3, [np.nan, 0.8, 0.7], [N, 2, 3]), np.eye(10, dtype=np.float32)[[0, 1]])
    assert resumed.train_predicted[-1].tolist() == [1, 2, 3] and resumed.unfinished is None
    assert np.allclose(resumed.history_of(0), [0.1, 0.5, 0.9], atol=1e-3)
    retrained = resumed.with_epoch(_epoch(2, [0.0, 0.0, 0.0], [0, 0, 0]), np.eye(10, dtype=np.float32)[[0, 1]])
    assert retrained.epochs.tolist() == [1, 2] and retrained.train_predicted[-1].tolist() == [0, 0, 0]


def test_a_saved_file_reads_back_equal_with_packed_correctness(tmp_path):
    dynamics = _two_epochs().with_unfinished(_epoch(3, [0.9, np.nan, np.nan], [1, N, N]))
    save_dynamics(dynamics, tmp_path / "dynamics.npz")
    loaded = load_dynamics(tmp_path / "dynamics.npz")
    for name in ("epochs", "train_labels", "test_labels", "train_predicted", "test_predicted"):
        assert np.array_equal(getattr(loaded, name), getattr(dynamics, name)), name
    assert np.array_equal(loaded.train_probability, dynamics.train_probability, equal_nan=True)
    assert loaded.unfinished.epoch == 3 and loaded.unfinished.predicted.tolist() == [1, N, N]
    with np.load(tmp_path / "dynamics.npz") as raw:
        assert np.unpackbits(raw["train_correct"], axis=1, count=3).tolist() == [[1, 1, 0], [1, 1, 1]]


@pytest.mark.parametrize("damage, reason", [
    (lambda arrays: arrays.pop("train_predicted"), "lacks train_predicted"),
    (lambda arrays: arrays.update(train_probability=arrays["train_probability"].astype(np.float32)), "not float16"),
    (lambda arrays: arrays.update(train_predicted=np.full((2, 3), 12, np.uint8)), "not classes"),
    (lambda arrays: arrays.update(train_probability=np.full((2, 3), 2.0, np.float16)), "outside 0 to 1"),
    (lambda arrays: arrays.update(epochs=np.array([2, 1])), "not increasing"),
    (lambda arrays: arrays.update(test_predicted=np.zeros((1, 2), np.uint8)), "wrong shape"),
    (lambda arrays: arrays.update(schema=np.array(7)), "format 7"),
])
def test_a_damaged_file_is_refused_with_its_reason(tmp_path, damage, reason):
    save_dynamics(_two_epochs(), tmp_path / "good.npz")
    with np.load(tmp_path / "good.npz") as raw:
        arrays = {name: raw[name] for name in raw.files}
    damage(arrays)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DynamicsDamaged, match=reason):
        load_dynamics(tmp_path / "bad.npz")


@pytest.mark.parametrize("content", [b"", b"not a zip at all", None])
def test_a_file_that_is_no_archive_or_pickles_is_refused(tmp_path, content):
    path = tmp_path / "dynamics.npz"
    if content is None:  # an object array would need pickle, which could run code
        np.savez(path, schema=np.array(1), epochs=np.array([object()], dtype=object))
    else:
        path.write_bytes(content)
    with pytest.raises(DynamicsDamaged, match="dynamics.npz"):
        load_dynamics(path)


# Recording, in the loop and in the run folder
def test_each_epoch_records_every_training_image_once_consistent_with_its_accuracy(fast_config, synthetic_data):
    recorder = Recorder()
    Trainer(fast_config, synthetic_data, [recorder], report_interval=0.0).fit()
    labels = synthetic_data.train_labels.numpy()
    for record in recorder.epochs:
        dynamics = record.train_dynamics
        assert dynamics.epoch == record.epoch and dynamics.label_probability.dtype == np.float16
        assert not np.any(dynamics.predicted == N) and not np.any(np.isnan(dynamics.label_probability))
        assert 100 * np.mean(dynamics.predicted == labels) == pytest.approx(record.train_accuracy)
        # the label's probability is the largest exactly where the prediction is the label
        right = dynamics.predicted == labels
        assert np.all(dynamics.label_probability[right] >= 0.1 - 1e-3)


def test_a_recorded_run_keeps_its_dynamics_and_a_resumed_one_continues_them_exactly(fast_config, synthetic_data, tmp_path):
    config = fast_config.replace(epochs=3)
    straight, _, _ = train(config, synthetic_data, tmp_path / "straight")
    expected = read_dynamics(straight.folder)
    assert expected.epochs.tolist() == [1, 2, 3] and expected.train_size == len(synthetic_data.train_labels)
    assert np.array_equal(expected.train_labels, synthetic_data.train_labels.numpy())

    first, _, result = train(config, synthetic_data, tmp_path / "stopped", callbacks=[StopAt(2, 5)])
    assert result.reason is FinishReason.STOPPED
    stopped = read_dynamics(first.folder)
    assert stopped.epochs.tolist() == [1] and stopped.unfinished.epoch == 2
    assert np.count_nonzero(stopped.unfinished.predicted != N) == 5 * config.batch_size
    start = load_checkpoint(last_checkpoint(first.folder))
    second, _, _ = train(config, synthetic_data, tmp_path / "stopped", start=start, resume=first.folder)
    assert second.folder == first.folder and second.warnings == []
    resumed = read_dynamics(first.folder)
    # the run trains exactly as one that never stopped, so every image's record is the same
    assert np.array_equal(resumed.train_predicted, expected.train_predicted)
    assert np.array_equal(resumed.train_probability, expected.train_probability)
    assert np.array_equal(resumed.test_predicted, expected.test_predicted) and resumed.unfinished is None


def test_a_branch_from_an_earlier_snapshot_takes_the_parents_dynamics_up_to_it(fast_config, synthetic_data, tmp_path):
    first, _, _ = train(fast_config.replace(epochs=3), synthetic_data, tmp_path)
    parent = read_dynamics(first.folder)
    snapshot = dict(snapshots(first.folder))[1]
    second, _, _ = train(fast_config.replace(epochs=2), synthetic_data, tmp_path, start=load_checkpoint(snapshot), resume=snapshot)
    branch = read_dynamics(second.folder)
    assert branch.epochs.tolist() == [1, 2]
    assert np.array_equal(branch.train_predicted[0], parent.train_predicted[0])
    assert read_dynamics(first.folder).epochs.tolist() == [1, 2, 3]  # the parent is untouched


def test_a_damaged_dynamics_file_costs_a_warning_and_the_resumed_run_starts_them_anew(fast_config, synthetic_data, tmp_path):
    first, _, _ = train(fast_config, synthetic_data, tmp_path)
    (first.folder / "dynamics.npz").write_bytes(b"garbage")
    start = load_checkpoint(last_checkpoint(first.folder))
    second, _, result = train(fast_config.replace(epochs=3), synthetic_data, tmp_path, start=start, resume=first.folder)
    assert result.reason is FinishReason.COMPLETED
    assert any("dynamics" in warning and "not continued" in warning for warning in second.warnings)
    assert read_dynamics(first.folder).epochs.tolist() == [3]


# The finder, on planted label noise
def test_the_finder_names_planted_label_flips_far_above_chance(tmp_path, fast_config):
    folder = write_dataset(tmp_path / "noisy", train=1000, test=200, seed=3)
    labels_path = folder / SPLIT_FILES["train"][1]
    labels = np.frombuffer(labels_path.read_bytes()[8:], dtype=np.uint8).copy()
    rng = np.random.default_rng(0)
    flipped = rng.choice(len(labels), size=50, replace=False)
    labels[flipped] = (labels[flipped] + rng.integers(1, 10, size=50)) % 10
    labels_path.write_bytes(idx_bytes(labels, LABELS_MAGIC))
    recorder, _, _ = train(fast_config.replace(epochs=4), load_fashion_mnist(folder), tmp_path / "runs")
    dynamics = read_dynamics(recorder.folder)
    suspects = likely_mislabelled(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels, top=50)
    precision = len({s.index for s in suspects} & set(flipped.tolist())) / 50
    assert precision >= 0.6  # picking 50 at random finds 5% of them


# The command line
def test_datamap_prints_the_suspects_as_a_table_and_as_json(fast_config, synthetic_data, tmp_path, capsys):
    recorder, _, _ = train(fast_config, synthetic_data, tmp_path)
    assert run("datamap", recorder.folder, "--top", "5") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(recorder.folder.name) and "from 2 epochs" in lines[0]
    assert run("datamap", recorder.folder.name, "--runs-dir", tmp_path, "--json", "--top", "3") == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["epochs"] == 2 and printed["train_size"] == len(synthetic_data.train_labels)
    assert len(printed["suspects"]) <= 3
    for suspect in printed["suspects"]:
        assert suspect["given"] in CLASS_NAMES and suspect["predicted"] != suspect["given"]
        assert set(suspect) == {"index", "given", "predicted", "confidence", "variability", "forgetting", "agreement", "score"}


def test_datamap_of_a_run_without_dynamics_or_with_a_bad_file_is_one_error_line(fast_config, synthetic_data, tmp_path, capsys):
    recorder, _, _ = train(fast_config, synthetic_data, tmp_path)
    path = recorder.folder / "dynamics.npz"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("schema.npy", b"nonsense")
    assert run("datamap", recorder.folder) == 1
    assert "dynamics.npz" in one_error_line(capsys)
    path.unlink()
    assert run("datamap", recorder.folder) == 1
    assert "has no training dynamics" in one_error_line(capsys)
    assert run("datamap", "no such run", "--runs-dir", tmp_path) == 1
    assert one_error_line(capsys).startswith(ERROR_PREFIX)
    assert run("datamap", recorder.folder, "--top", "0") == 2

"""EpochSummary: the typed history entry, its stored dict form and the checks on reading it back."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from fmnist_gui.engine.events import EpochRecord, EpochSummary


def stored_entry() -> dict:
    """A history entry exactly as version 0.1 checkpoints and `train --json` hold it."""
    return {
        "epoch": 2,
        "step": 20,
        "train_loss": 0.5,
        "train_accuracy": 81.25,
        "test_loss": 0.6,
        "test_accuracy": 79.0,
        "per_class_accuracy": [90.0, None, 70.0, 60.0, 50.0, 40.0, 30.0, 20.0, 10.0, 0.0],
        "confusion": [[i + j for j in range(10)] for i in range(10)],
        "lr": 0.001,
        "seconds": 1.5,
    }


def test_a_stored_entry_round_trips_exactly():
    summary = EpochSummary.from_dict(stored_entry())
    assert summary.test_accuracy == 79.0 and summary.epoch == 2 and summary.confusion[1][2] == 3
    assert summary.to_dict() == stored_entry()
    assert json.loads(json.dumps(summary.to_dict())) == stored_entry()  # None, never NaN, in JSON
    per_class = summary.per_class_array()
    assert per_class.dtype == np.float64 and math.isnan(per_class[1]) and per_class[0] == 90.0


def test_an_epoch_record_summarises_to_plain_values():
    confusion = np.eye(10, dtype=np.int64) * 3
    record = EpochRecord(
        epoch=1, epochs=3, step=10, train_loss=np.float32(0.25), train_accuracy=50.0, test_loss=0.5, test_accuracy=40.0,
        per_class_accuracy=np.array([np.nan] + [40.0] * 9), confusion=confusion,
        test_probabilities=np.zeros((30, 10), np.float32), sample_indices=np.arange(4), lr=0.1, seconds=2.0, elapsed=2.0,
    )
    summary = record.summary()
    assert type(summary.train_loss) is float and type(summary.confusion[0][0]) is int
    assert summary.to_dict()["per_class_accuracy"][0] is None and summary.confusion[2][2] == 3
    assert EpochSummary.from_dict(summary.to_dict()) == EpochSummary.from_dict(json.loads(json.dumps(summary.to_dict())))


def test_no_confusion_is_allowed():
    entry = stored_entry() | {"confusion": None}
    assert EpochSummary.from_dict(entry).confusion is None


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("epoch", 0, "epoch must be a whole number from 1"),
        ("epoch", 2.0, "epoch must be a whole number"),
        ("epoch", True, "epoch must be a whole number"),
        ("step", -1, "step must be a whole number from 0"),
        ("step", float("inf"), "step must be a whole number"),
        ("train_loss", float("nan"), "train_loss must be a finite number"),
        ("train_loss", "0.5", "train_loss must be a finite number"),
        ("test_loss", float("inf"), "test_loss must be a finite number"),
        ("test_accuracy", 101.0, "test_accuracy must be from 0 to 100"),
        ("train_accuracy", None, "train_accuracy must be a finite number"),
        ("per_class_accuracy", [50.0] * 9, "must have 10 entries"),
        ("per_class_accuracy", [float("nan")] * 10, "must be a finite number"),
        ("per_class_accuracy", "ten", "must be a list"),
        ("confusion", [[0] * 10] * 9, "confusion must have 10 entries"),
        ("confusion", [[0] * 9 + [-1]] * 10, "a confusion count must be a whole number from 0"),
        ("confusion", [[0.5] * 10] * 10, "a confusion count must be a whole number"),
        ("lr", -0.1, "lr must be from 0"),
        ("seconds", float("-inf"), "seconds must be a finite number"),
    ],
)
def test_every_bad_field_is_refused_with_its_name(field, value, reason):
    with pytest.raises(ValueError, match=reason):
        EpochSummary.from_dict(stored_entry() | {field: value})


def test_a_missing_field_or_a_non_dict_is_refused():
    entry = stored_entry()
    del entry["lr"]
    with pytest.raises(ValueError, match="lacks lr"):
        EpochSummary.from_dict(entry)
    with pytest.raises(ValueError, match="must be a dict, not a list"):
        EpochSummary.from_dict([1, 2])

"""Two models side by side: the comparison of crafted probabilities, and of real checkpoints on the synthetic set."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tests.engine.export_helpers import fresh_checkpoint

from fmnist_gui.compare import Comparison, compare_predictions
from fmnist_gui.compare.models import compare_models
from fmnist_gui.engine.evaluation import evaluate


def confident(predictions: list[int], confidence: list[float], classes: int = 10) -> np.ndarray:
    """Probabilities of a fake model: `confidence` on its predicted class, the rest spread evenly."""
    probabilities = np.repeat(((1.0 - np.array(confidence)) / (classes - 1))[:, None], classes, axis=1)
    probabilities[np.arange(len(predictions)), predictions] = confidence
    return probabilities.astype(np.float32)


LABELS = [0, 1, 2, 3, 4, 5, 6, 7]
A_SAYS = [0, 1, 2, 3, 9, 5, 1, 1]  # wrong on 4, 6 and 7
B_SAYS = [0, 1, 7, 3, 4, 5, 6, 2]  # wrong on 2 and 7
A_CONFIDENCE = [0.9, 0.9, 0.6, 0.9, 0.5, 0.9, 0.95, 0.3]
B_CONFIDENCE = [0.9, 0.9, 0.55, 0.9, 0.9, 0.9, 0.2, 0.4]


@pytest.fixture
def crafted() -> Comparison:
    return compare_predictions(confident(A_SAYS, A_CONFIDENCE), confident(B_SAYS, B_CONFIDENCE), np.array(LABELS))


def test_the_counts_of_two_crafted_models(crafted):
    assert crafted.a.accuracy == pytest.approx(62.5) and crafted.b.accuracy == pytest.approx(75.0)
    assert crafted.difference == pytest.approx(12.5) and crafted.size == 8
    assert (crafted.both_right, crafted.only_a_right, crafted.only_b_right, crafted.both_wrong) == (4, 1, 2, 1)
    assert crafted.agreement == pytest.approx(4 / 8)
    assert crafted.mcnemar_p == 1.0  # 1 against 2: 2 · P(X ≤ 1 | 3) = 2 · 4/8
    assert crafted.verdict("mlp", "cnn").startswith("cnn is right on 2 images that mlp gets wrong and mlp on 1")


def test_the_disagreement_matrix_and_its_cells(crafted):
    expected = np.zeros((10, 10), dtype=np.int64)
    for a, b in [(2, 7), (9, 4), (1, 6), (1, 2)]:  # images 2, 4, 6 and 7
        expected[a, b] += 1
    np.testing.assert_array_equal(crafted.disagreement_matrix, expected)
    assert np.trace(crafted.disagreement_matrix) == 0
    assert crafted.cell_indices(1, 6).tolist() == [6] and crafted.cell_indices(9, 4).tolist() == [4]
    assert crafted.cell_indices(1, 1).tolist() == [] and crafted.cell_indices(4, 9).tolist() == []


def test_disagreements_are_sorted_by_how_lopsided_they_are(crafted):
    assert [d.index for d in crafted.disagreements] == [6, 4, 7, 2]  # gaps 0.75, 0.4, 0.1, 0.05
    first = crafted.disagreements[0]
    assert (first.label, first.a, first.b) == (6, 1, 6)
    assert first.pa == pytest.approx(0.95) and first.pb == pytest.approx(0.2)
    fewer = compare_predictions(confident(A_SAYS, A_CONFIDENCE), confident(B_SAYS, B_CONFIDENCE), np.array(LABELS), top=2)
    assert [d.index for d in fewer.disagreements] == [6, 4]
    assert fewer.disagreement_matrix.sum() == 4  # the matrix counts every disagreement, whatever `top` keeps


def test_three_flipped_images_read_as_no_evidence():
    """Like two seeds of one config: the same answers but for 3 images, all won by A."""
    labels = np.arange(1_000) % 10
    b_says = labels.copy()
    b_says[[10, 500, 990]] = (labels[[10, 500, 990]] + 1) % 10
    comparison = compare_predictions(confident(labels.tolist(), [0.9] * 1_000), confident(b_says.tolist(), [0.9] * 1_000),
                                     labels)
    assert (comparison.only_a_right, comparison.only_b_right) == (3, 0)
    assert comparison.mcnemar_p == pytest.approx(0.25)
    assert comparison.verdict().endswith("no evidence that either is better on this test set.")


def test_the_comparison_holds_read_only_copies(crafted):
    probabilities = confident(A_SAYS, A_CONFIDENCE)
    labels = np.array(LABELS)
    comparison = compare_predictions(probabilities, probabilities, labels)
    assert probabilities.flags.writeable and labels.flags.writeable
    for array in (comparison.a.probabilities, comparison.a.predictions, comparison.labels, comparison.disagreement_matrix):
        assert not array.flags.writeable
    with pytest.raises(dataclasses.FrozenInstanceError):
        comparison.agreement = 0.5  # type: ignore[misc]


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="do not fit"):
        compare_predictions(confident([0, 1], [0.9, 0.9]), confident([0, 1], [0.9, 0.9]), np.array([0, 1, 2]))


# checkpoints


def test_each_checkpoint_is_evaluated_with_its_own_normalisation(synthetic_data):
    mlp, cnn = fresh_checkpoint("quickstart-mlp", seed=1), fresh_checkpoint("small-cnn", seed=2)
    comparison = compare_models(mlp, cnn, synthetic_data.test_images, synthetic_data.test_labels, top=None)
    for checkpoint, answers in ((mlp, comparison.a), (cnn, comparison.b)):
        alone = evaluate(checkpoint.build_model(), synthetic_data.test_images, synthetic_data.test_labels,
                         checkpoint.spec.mean, checkpoint.spec.std)
        np.testing.assert_allclose(answers.probabilities, alone.probabilities, atol=1e-6)
        assert answers.accuracy == pytest.approx(alone.accuracy)
        assert answers.probabilities.dtype == np.float32 and answers.probabilities.shape == (len(synthetic_data.test_labels), 10)
    assert len(comparison.disagreements) == comparison.disagreement_matrix.sum() == round((1 - comparison.agreement) * comparison.size)


def test_one_checkpoint_against_itself_agrees_everywhere(synthetic_data):
    checkpoint = fresh_checkpoint("small-cnn")
    comparison = compare_models(checkpoint, checkpoint, synthetic_data.test_images.numpy(), synthetic_data.test_labels.numpy())
    assert comparison.agreement == 1.0 and comparison.mcnemar_p == 1.0
    assert comparison.difference_ci == (0.0, 0.0) and comparison.disagreements == ()
    assert comparison.only_a_right == comparison.only_b_right == 0

"""McNemar's exact test, the paired bootstrap interval and the verdict, on hand-made cases with known answers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from fmnist_gui.compare import bootstrap_difference_interval, format_p, log_binomial_cdf_half, mcnemar_p, verdict

# McNemar's exact test


def test_ten_images_all_one_way_give_2_in_1024():
    assert mcnemar_p(0, 10) == pytest.approx(2 / 1024, rel=1e-12)
    assert mcnemar_p(10, 0) == pytest.approx(2 / 1024, rel=1e-12)


@pytest.mark.parametrize("each", [0, 1, 5, 500, 4_000])
def test_as_many_images_each_way_give_p_1(each):
    assert mcnemar_p(each, each) == 1.0


def test_three_flipped_images_are_no_evidence():
    """Two seeds of one config often differ on a handful of images: 3 against 0 is p = 2/8, far from 0.05."""
    assert mcnemar_p(3, 0) == pytest.approx(0.25, rel=1e-12)
    assert verdict(3, 0).endswith("p = 0.25: no evidence that either is better on this test set.")


def exact_tail(k: int, n: int) -> Fraction:
    """P(X ≤ k), X ~ Binomial(n, 1/2), in whole numbers: the brute-force sum of C(n, i) / 2ⁿ."""
    return Fraction(sum(math.comb(n, i) for i in range(0, min(k, n) + 1)), 2**n)


def test_the_binomial_tail_matches_a_brute_force_sum_for_small_n():
    for n in range(0, 41):
        for k in range(-1, n + 2):
            found = math.exp(log_binomial_cdf_half(k, n))
            assert found == pytest.approx(float(exact_tail(k, n)), rel=1e-12, abs=0.0), (k, n)


def test_ten_images_against_three_is_the_exact_sum():
    assert mcnemar_p(40, 3) == pytest.approx(float(2 * exact_tail(3, 43)), rel=1e-12)  # 26,576 / 2⁴³


def test_a_large_test_set_stays_exact_in_log_space():
    """Thousands of disputed images: factorials would overflow and the tail underflow; the log stays finite and exact."""
    assert log_binomial_cdf_half(0, 10_000) == pytest.approx(-10_000 * math.log(2), rel=1e-12)
    tail = exact_tail(1_000, 10_000)  # about 10⁻¹⁹⁰⁰: its log from the whole numbers, as a float would be 0
    assert log_binomial_cdf_half(1_000, 10_000) == pytest.approx(math.log(tail.numerator) - math.log(tail.denominator), rel=1e-12)
    assert mcnemar_p(4_900, 5_100) == pytest.approx(float(2 * exact_tail(4_900, 10_000)), rel=1e-9)
    assert mcnemar_p(4_900, 5_100) == pytest.approx(0.0466, abs=0.001)  # the normal approximation's answer
    assert mcnemar_p(0, 10_000) == 0.0  # 2 · 2⁻¹⁰⁰⁰⁰ is below the smallest double, and said as such


# the paired bootstrap interval


def paired_outcomes(size: int, only_a: int, only_b: int, both: int) -> tuple[np.ndarray, np.ndarray]:
    """Right/wrong per image for two models with the given counts, in a shuffled order."""
    right_a = np.zeros(size, dtype=bool)
    right_b = np.zeros(size, dtype=bool)
    right_a[:only_a] = True
    right_b[only_a : only_a + only_b] = True
    right_a[only_a + only_b : only_a + only_b + both] = right_b[only_a + only_b : only_a + only_b + both] = True
    order = np.random.default_rng(7).permutation(size)
    return right_a[order], right_b[order]


def test_the_interval_holds_the_true_difference_and_has_the_expected_width():
    right_a, right_b = paired_outcomes(10_000, only_a=200, only_b=350, both=8_000)  # B − A = 1.5 points
    low, high = bootstrap_difference_interval(right_a, right_b)
    assert low < 1.5 < high
    differences = right_b.astype(float) - right_a
    standard_error = 100 * differences.std() / math.sqrt(len(differences))
    assert (high - low) == pytest.approx(2 * 1.96 * standard_error, rel=0.15)


def test_the_interval_has_no_width_when_both_models_agree_everywhere():
    right, _ = paired_outcomes(1_000, only_a=600, only_b=0, both=0)
    assert bootstrap_difference_interval(right, right.copy()) == (0.0, 0.0)


def test_the_interval_is_seeded():
    right_a, right_b = paired_outcomes(500, only_a=20, only_b=30, both=300)
    assert bootstrap_difference_interval(right_a, right_b, seed=3) == bootstrap_difference_interval(right_a, right_b, seed=3)
    assert bootstrap_difference_interval(right_a, right_b, seed=3) != bootstrap_difference_interval(right_a, right_b, seed=4)


# how the result is said


@pytest.mark.parametrize(("p", "text"), [
    (1.0, "p = 1"), (0.41, "p = 0.41"), (0.049, "p = 0.049"), (0.0019531, "p = 0.00195"), (0.001, "p = 0.001"),
    (0.00099, "p = 9.9·10⁻⁴"), (2.04e-8, "p = 2·10⁻⁸"), (1.234e-12, "p = 1.2·10⁻¹²"), (0.0, "p < 10⁻³⁰⁰"),
])
def test_p_values_are_written_for_people(p, text):
    assert format_p(p) == text


def test_the_verdict_names_the_better_model_first():
    assert verdict(187, 312) == ("B is right on 312 images that A gets wrong and A on 187 that B gets wrong: "
                                 "p = 2.4·10⁻⁸, B is better.")
    assert verdict(40, 3, "small-cnn", "mlp") == ("small-cnn is right on 40 images that mlp gets wrong and mlp on 3 "
                                                  "that small-cnn gets wrong: p = 3·10⁻⁹, small-cnn is better.")


def test_a_verdict_without_evidence_says_so():
    assert verdict(45, 55) == ("B is right on 55 images that A gets wrong and A on 45 that B gets wrong: "
                               "p = 0.368: no evidence that either is better on this test set.")
    assert verdict(1, 0) == ("A is right on 1 image that B gets wrong and B on none that A gets wrong: "
                             "p = 1: no evidence that either is better on this test set.")
    assert verdict(0, 0) == ("A and B get exactly the same images right (p = 1): "
                             "no evidence that either is better on this test set.")

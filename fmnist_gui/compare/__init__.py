"""Which of two models is better on the test set, and is the difference real? (Qt-free.)

The numbers and the verdict are numpy only (stats.py, comparison.py) and are exported here; getting two checkpoints'
probabilities needs torch and lives in fmnist_gui.compare.models (compare_models), imported where it is used.
"""

from __future__ import annotations

from fmnist_gui.compare.comparison import DEFAULT_TOP, Comparison, Disagreement, ModelAnswers, compare_predictions
from fmnist_gui.compare.stats import (SIGNIFICANCE, bootstrap_difference_interval, format_p, log_binomial_cdf_half,
                                      mcnemar_p, verdict)

__all__ = [
    "DEFAULT_TOP",
    "SIGNIFICANCE",
    "Comparison",
    "Disagreement",
    "ModelAnswers",
    "bootstrap_difference_interval",
    "compare_predictions",
    "format_p",
    "log_binomial_cdf_half",
    "mcnemar_p",
    "verdict",
]

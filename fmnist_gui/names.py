"""The names the command line offers, kept free of torch so `fmnist-gui --help` answers at once.

models.py and config.py build their registries under these names; a test keeps them equal.
"""

from __future__ import annotations

MODEL_NAMES = ("small-cnn", "quickstart-mlp", "wide-cnn")  # in the order the registry lists them
DEFAULT_MODEL = "small-cnn"
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "one-cycle", "cosine")
PRESET_NAMES = ("default", "quickstart", "gpu")
JSON_SCHEMA = 1  # of every object the command line prints with --json; raised when a field changes meaning

"""The names the command line offers, kept free of torch so `fmnist-gui --help` answers at once.

models.py and config.py build their registries under these names; a test keeps them equal.
"""

from __future__ import annotations

import re

MODEL_NAMES = ("small-cnn", "quickstart-mlp", "wide-cnn")  # in the order the registry lists them
DEFAULT_MODEL = "small-cnn"
OPTIMIZERS = ("sgd", "adam", "adamw")
SCHEDULES = ("constant", "one-cycle", "cosine")
PRESET_NAMES = ("default", "quickstart", "gpu")
# How a run computes: "auto" picks the fastest path this machine measures (fmnist_gui.engine.paths), "fp32" the
# plain path, "bf16" bf16 autocast (CPUs with AMX or AVX512-BF16, GPUs that support it).
PRECISIONS = ("auto", "fp32", "bf16")
JSON_SCHEMA = 1  # of every object the command line prints with --json; raised when a field changes meaning
# What a user-named thing kept as a file or folder may be called (a sweep, a label fix set): a name on every system.
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
SAFE_NAME_RULE = "use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)"
# A label fix set's content as a run records it: its name and the short sha256 of its rows (fmnist_gui.labels).
FIX_SET_HASH_DIGITS = 12
FIX_SET_IDENTITY = re.compile(rf"({SAFE_NAME.pattern})@([0-9a-f]{{{FIX_SET_HASH_DIGITS}}})")

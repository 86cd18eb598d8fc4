"""fmnist-gui: train, watch and demo Fashion-MNIST models in a native Qt desktop app."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it (dynamic), and so do
# `fmnist-gui --version` and the checkpoints' "versions" (no package metadata needed, so a
# PyInstaller bundle knows it too).
__version__ = "0.1.0"

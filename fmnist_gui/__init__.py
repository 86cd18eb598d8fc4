"""fmnist-gui: train, watch and demo Fashion-MNIST models in a native Qt desktop app."""

from __future__ import annotations

__version__ = "0.1.0"

"""The model registry: named architectures with a description and their input normalisation.

Importing it costs no torch (the window lists the models before torch has loaded): each entry builds
its module from fmnist_gui.architectures when asked to.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from fmnist_gui.errors import UserFacingError

if TYPE_CHECKING:
    import torch
    from torch import nn

# Mean and standard deviation of Fashion-MNIST's training pixels scaled to [0, 1].
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530


@dataclass(frozen=True)
class ModelSpec:
    """One architecture: how to build it, what it is, and how its input is normalised."""

    name: str
    description: str
    build: Callable[[], nn.Module]
    mean: float
    std: float

    @property
    def parameter_count(self) -> int:
        """Builds the model (imports torch): not for the GUI thread before torch has loaded."""
        from fmnist_gui.architectures import count_parameters

        return count_parameters(self.build())

    def create(self, device: torch.device | str = "cpu") -> nn.Module:
        """A fresh model on `device`, convolutions laid out channels-last.

        On CPUs (oneDNN) and recent GPUs channels-last convolutions are faster: the small CNN
        trains 1.5x faster here (packaging/benchmark.py, section d). It changes no result.
        """
        import torch

        from fmnist_gui.architectures import has_convolutions

        model = self.build().to(device)
        return model.to(memory_format=torch.channels_last) if has_convolutions(model) else model


def _architecture(class_name: str) -> nn.Module:
    return getattr(importlib.import_module("fmnist_gui.architectures"), class_name)()


MODELS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "small-cnn",
            "Small CNN (16/32 channels, batch norm): 91% in 3 epochs on a CPU",
            partial(_architecture, "SmallCNN"),
            FASHION_MEAN,
            FASHION_STD,
        ),
        ModelSpec(
            "quickstart-mlp",
            "PyTorch quickstart MLP (784-512-512-10); loads the tutorial's model.pth",
            partial(_architecture, "QuickstartMLP"),
            0.0,  # the tutorial feeds ToTensor() output: pixels in [0, 1], not standardised
            1.0,
        ),
        ModelSpec(
            "wide-cnn",
            "Wide CNN (64/128/256 channels, dropout): 93%+ with a GPU",
            partial(_architecture, "WideCNN"),
            FASHION_MEAN,
            FASHION_STD,
        ),
    )
}


def get_model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UserFacingError(
            f"Unknown model '{name}'; choose one of: {', '.join(MODELS)}."
        ) from None

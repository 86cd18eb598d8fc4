"""The model registry: named architectures with a description and their input normalisation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import torch
from torch import nn

from fmnist_gui.data import IMAGE_SIDE, NUM_CLASSES
from fmnist_gui.errors import UserFacingError

# Mean and standard deviation of Fashion-MNIST's training pixels scaled to [0, 1].
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530


class QuickstartMLP(nn.Module):
    """The PyTorch quickstart network, with the same module names so its `model.pth` loads.

    The tutorial ends in a ReLU on the logits; it has no weights, so leaving it out keeps the
    tutorial's state_dict compatible and lets negative logits through.
    """

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(IMAGE_SIDE * IMAGE_SIDE, 512),
            nn.ReLU(),
            nn.Linear(512, 512),
            nn.ReLU(),
            nn.Linear(512, NUM_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear_relu_stack(self.flatten(x))


def _conv_block(in_channels: int, out_channels: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for index in range(convs):
        layers += [
            nn.Conv2d(in_channels if index == 0 else out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        ]
    layers.append(nn.MaxPool2d(2))
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    """Two 3x3 conv blocks (16 and 32 channels, batch norm) and a 128-unit head: fast on a CPU."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(_conv_block(1, 16, 1), _conv_block(16, 32, 1))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(32 * 7 * 7, 128),
            nn.ReLU(inplace=True),
            nn.Dropout(0.2),
            nn.Linear(128, NUM_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


class WideCNN(nn.Module):
    """Three double-conv blocks (64/128/256 channels) with dropout: for a GPU, aiming at 93%+."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            _conv_block(1, 64, 2), _conv_block(64, 128, 2), _conv_block(128, 256, 2)
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(0.3),
            nn.Linear(256 * 3 * 3, 256),
            nn.ReLU(inplace=True),
            nn.Dropout(0.3),
            nn.Linear(256, NUM_CLASSES),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


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
        return count_parameters(self.build())

    def create(self, device: torch.device | str = "cpu") -> nn.Module:
        """A fresh model on `device`, convolutions laid out channels-last.

        On CPUs (oneDNN) and recent GPUs channels-last convolutions are faster: the small CNN
        trains 1.5x faster here (packaging/benchmark.py, section d). It changes no result.
        """
        model = self.build().to(device)
        return model.to(memory_format=torch.channels_last) if has_convolutions(model) else model


MODELS: Mapping[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            "small-cnn",
            "Small CNN (16/32 channels, batch norm): 91% in 3 epochs on a CPU",
            SmallCNN,
            FASHION_MEAN,
            FASHION_STD,
        ),
        ModelSpec(
            "quickstart-mlp",
            "PyTorch quickstart MLP (784-512-512-10); loads the tutorial's model.pth",
            QuickstartMLP,
            0.0,  # the tutorial feeds ToTensor() output: pixels in [0, 1], not standardised
            1.0,
        ),
        ModelSpec(
            "wide-cnn",
            "Wide CNN (64/128/256 channels, dropout): 93%+ with a GPU",
            WideCNN,
            FASHION_MEAN,
            FASHION_STD,
        ),
    )
}


def has_convolutions(model: nn.Module) -> bool:
    return any(p.dim() == 4 for p in model.parameters())


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def get_model_spec(name: str) -> ModelSpec:
    try:
        return MODELS[name]
    except KeyError:
        raise UserFacingError(
            f"Unknown model '{name}'; choose one of: {', '.join(MODELS)}."
        ) from None

"""The architectures themselves: the torch modules the model registry (models.py) builds."""

from __future__ import annotations

import torch
from torch import nn

from fmnist_gui.data import IMAGE_SIDE, NUM_CLASSES


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


def has_convolutions(model: nn.Module) -> bool:
    return any(p.dim() == 4 for p in model.parameters())


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())

"""The arithmetic a model does, counted from its layers: what a training step costs, whatever runs it."""

from __future__ import annotations

import torch
from torch import nn

from fmnist_gui.data import IMAGE_SIDE

TRAINING_FACTOR = 3  # a training step: the forward pass, and a backward pass of about twice its cost


def forward_flops(model: nn.Module) -> int:
    """Floating-point operations (a multiply-add counts 2) of one image's forward pass through the convolutions
    and linear layers; batch norm, activations and pooling are a few per value and left out."""
    total = 0

    def count(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal total
        if isinstance(module, nn.Conv2d):
            kernel = module.kernel_size[0] * module.kernel_size[1] * module.in_channels // module.groups
            total += 2 * output[0].numel() * kernel
        elif isinstance(module, nn.Linear):
            total += 2 * module.in_features * module.out_features

    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    hooks = [layer.register_forward_hook(count) for layer in layers]
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            parameter = next(model.parameters())
            model(torch.zeros(1, 1, IMAGE_SIDE, IMAGE_SIDE, device=parameter.device))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return total


def training_flops(model: nn.Module, batch_size: int) -> int:
    """Floating-point operations of one training step of `batch_size` images (3x the forward pass)."""
    return TRAINING_FACTOR * forward_flops(model) * batch_size

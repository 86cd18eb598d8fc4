"""Inside a model's layers: what its first layer looks for, and how each layer answers one image.

The first layer's weights are pictures in the input's own space: a convolution's 3x3 kernels,
or, for the MLP, each first-layer unit's 784 weights as a 28x28 image. The activations are the
outputs of each ReLU (the maps or units a layer passes on), caught with forward hooks.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fmnist_gui.data import IMAGE_SIDE
from fmnist_gui.engine.evaluation import to_input
from fmnist_gui.architectures import has_convolutions


@dataclass(frozen=True)
class FirstLayer:
    kind: str  # "conv" or "linear"
    weights: np.ndarray  # (units, height, width) float32, raw (the view normalises)


@dataclass(frozen=True)
class Activation:
    name: str  # for people: "Convolution 2", "Hidden layer 1"
    values: np.ndarray  # (channels, H, W) feature maps or (units,) hidden activations, float32, >= 0


@dataclass(frozen=True)
class LayerPictures:
    """What the Layers view shows for one model and, if one is inspected, one image."""

    first_layer: FirstLayer
    activations: tuple[Activation, ...] = ()  # empty when no image is given


def first_layer(model: nn.Module) -> FirstLayer:
    """The weights of the first layer that reads pixels, as pictures."""
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            weights = module.weight.detach().float().cpu()
            return FirstLayer("conv", weights.sum(dim=1).numpy())  # one input channel (gray): the sum is the kernel
        if isinstance(module, nn.Linear):
            weights = module.weight.detach().float().cpu()
            if weights.shape[1] != IMAGE_SIDE * IMAGE_SIDE:
                break
            return FirstLayer("linear", weights.reshape(-1, IMAGE_SIDE, IMAGE_SIDE).numpy())
    raise ValueError(f"{type(model).__name__} has no convolution or pixel-reading Linear layer first")


@torch.no_grad()
def activations(model: nn.Module, image: np.ndarray, mean: float, std: float) -> tuple[Activation, ...]:
    """Every ReLU's output for one (28, 28) uint8 image, in eval mode, in the order they run."""
    caught: list[torch.Tensor] = []
    hooks = [module.register_forward_hook(lambda module, inputs, output: caught.append(output.detach().float().clone()))
             for module in model.modules() if isinstance(module, nn.ReLU)]
    was_training = model.training
    model.eval()
    try:
        pixels = torch.from_numpy(np.ascontiguousarray(image, dtype=np.uint8))[None]
        model(to_input(pixels, mean, std, has_convolutions(model)))
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    named: list[Activation] = []
    counts = {"conv": 0, "hidden": 0}
    for output in caught:
        values = output[0].contiguous().numpy().astype(np.float32)
        kind = "conv" if values.ndim == 3 else "hidden"
        counts[kind] += 1
        name = f"Convolution {counts[kind]}" if kind == "conv" else f"Hidden layer {counts[kind]}"
        named.append(Activation(name, values))
    return tuple(named)


def layer_pictures(model: nn.Module, image: np.ndarray | None, mean: float, std: float) -> LayerPictures:
    return LayerPictures(first_layer(model), () if image is None else activations(model, image, mean, std))

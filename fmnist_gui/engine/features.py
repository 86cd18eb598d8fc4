"""What a model sees: the features its classifier reads (the input of its last Linear layer).

Every registered model ends in one Linear layer that turns a feature vector into ten logits;
a forward pre-hook on that layer collects the vectors while the whole model runs, so the
predictions come from the same pass and no architecture needs a special case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from fmnist_gui.engine.evaluation import EVAL_BATCH, inference_copy, to_input
from fmnist_gui.architectures import has_convolutions
from fmnist_gui.engine.work import Cancel, Cancelled, Progress

__all__ = ["Cancel", "Cancelled", "Features", "Progress", "last_linear", "penultimate_features"]


@dataclass(frozen=True)
class Features:
    values: np.ndarray  # (N, D) float32: the input of the model's last Linear layer
    predicted: np.ndarray  # (N,) int64: the class each image gets from the same forward pass


def last_linear(model: nn.Module) -> nn.Linear:
    """The layer that makes the logits: the last Linear module in registration (= call) order."""
    linears = [module for module in model.modules() if isinstance(module, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(model).__name__} has no Linear layer to read features from")
    return linears[-1]


@torch.no_grad()
def penultimate_features(model: nn.Module, images: np.ndarray, mean: float, std: float,
                         progress: Progress | None = None, cancelled: Cancelled | None = None,
                         batch: int = EVAL_BATCH) -> Features:
    """Features and predicted classes of (N, 28, 28) uint8 images, `batch` images at a time.

    `progress` hears the fraction done after each batch; `cancelled` is asked before each one
    and a True raises Cancel, so a newer request does not wait for an old one to finish.
    """
    fused = inference_copy(model)  # eval mode, batch norm folded: the same function, faster
    channels_last = has_convolutions(fused)
    collected: list[torch.Tensor] = []
    hook = last_linear(fused).register_forward_pre_hook(lambda module, inputs: collected.append(inputs[0].float().clone()))
    predicted: list[torch.Tensor] = []
    pixels = torch.from_numpy(np.ascontiguousarray(images))
    try:
        for start in range(0, len(pixels), batch):
            if cancelled is not None and cancelled():
                raise Cancel
            logits = fused(to_input(pixels[start : start + batch], mean, std, channels_last))
            predicted.append(logits.argmax(dim=1))
            if progress is not None:
                progress(min(1.0, (start + batch) / len(pixels)))
    finally:
        hook.remove()
    width = last_linear(fused).in_features
    values = torch.cat(collected).numpy() if collected else np.zeros((0, width), dtype=np.float32)
    classes = torch.cat(predicted).numpy().astype(np.int64) if predicted else np.zeros(0, dtype=np.int64)
    return Features(values.astype(np.float32, copy=False), classes)

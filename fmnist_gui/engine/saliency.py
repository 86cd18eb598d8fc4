"""Why the model chose what it chose: class probabilities and a gradient saliency map for one image."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from fmnist_gui.engine.evaluation import to_input
from fmnist_gui.architectures import has_convolutions


@dataclass(frozen=True)
class Explanation:
    probabilities: np.ndarray  # (10,) float32, sums to 1
    predicted: int
    saliency: np.ndarray  # (28, 28) float32 in [0, 1]: |d score / d pixel|, scaled to its maximum


def explain(model: nn.Module, image: np.ndarray, mean: float, std: float) -> Explanation:
    """Probabilities for a (28, 28) uint8 image and the gradient of the predicted class's score
    with respect to the input pixels (Simonyan et al.'s saliency map), in eval mode."""
    was_training = model.training
    model.eval()
    try:
        x = to_input(torch.from_numpy(np.ascontiguousarray(image))[None], mean, std, has_convolutions(model)).requires_grad_(True)
        logits = model(x)[0]
        predicted = int(logits.argmax())
        (gradient,) = torch.autograd.grad(logits[predicted], x)
    finally:
        model.train(was_training)
    saliency = gradient[0, 0].abs()
    peak = float(saliency.max())
    saliency = saliency / peak if peak > 0 else saliency
    probabilities = F.softmax(logits.detach().float(), dim=0)
    return Explanation(probabilities.numpy().astype(np.float32), predicted, saliency.numpy().astype(np.float32))

"""Turning uint8 images into model input, and evaluating a model on a labelled set."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from fmnist_gui.data import NUM_CLASSES
from fmnist_gui.architectures import has_convolutions

EVAL_BATCH = 500  # small enough for a batch's activations to stay in cache


def to_input(images: torch.Tensor, mean: float, std: float, channels_last: bool = False) -> torch.Tensor:
    """(B, 28, 28) uint8 -> (B, 1, 28, 28) float, scaled to [0, 1] then standardised."""
    x = images.unsqueeze(1).float().div_(255.0)
    if mean != 0.0 or std != 1.0:
        x = x.sub_(mean).div_(std)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x


@dataclass(frozen=True)
class Evaluation:
    loss: float
    accuracy: float  # percent
    per_class_accuracy: np.ndarray  # (10,) percent, NaN where a class has no images
    confusion: np.ndarray  # (10, 10) int64, rows are true classes
    probabilities: np.ndarray  # (N, 10) float32


def inference_copy(model: nn.Module) -> nn.Module:
    """An eval-mode copy with each batch norm folded into the convolution before it.

    The same function with one layer less: evaluating the test set takes a quarter less time.
    """
    copy = deepcopy(model).eval()
    for module in copy.modules():
        if isinstance(module, nn.Sequential):
            layers = list(module)
            for index, (first, second) in enumerate(zip(layers, layers[1:])):
                if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                    module[index] = fuse_conv_bn_eval(first, second)
                    module[index + 1] = nn.Identity()
    return copy


@torch.no_grad()
def log_probabilities(model: nn.Module, images: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Log-softmax of the model's logits for uint8 images, in eval mode, on the images' device."""
    fused = inference_copy(model)
    channels_last = has_convolutions(fused)
    chunks = [
        F.log_softmax(fused(to_input(images[i : i + EVAL_BATCH], mean, std, channels_last)).float(), dim=1)
        for i in range(0, len(images), EVAL_BATCH)
    ]
    return torch.cat(chunks) if chunks else torch.empty(0, NUM_CLASSES, device=images.device)


def predict_probabilities(model: nn.Module, images: torch.Tensor, mean: float, std: float) -> torch.Tensor:
    """Softmax probabilities for uint8 images."""
    return log_probabilities(model, images, mean, std).exp()


@torch.no_grad()
def evaluate(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, mean: float, std: float) -> Evaluation:
    """Loss, accuracy, per-class accuracy, confusion matrix and probabilities over a whole set."""
    log_probs = log_probabilities(model, images, mean, std)
    loss = float(-log_probs.gather(1, labels.unsqueeze(1)).mean()) if len(labels) else float("nan")
    probabilities = log_probs.exp()
    predictions = probabilities.argmax(dim=1)
    counts = torch.bincount(labels * NUM_CLASSES + predictions, minlength=NUM_CLASSES**2)
    confusion = counts.reshape(NUM_CLASSES, NUM_CLASSES).cpu().numpy().astype(np.int64)
    per_class_total = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_class = np.where(per_class_total > 0, 100.0 * np.diag(confusion) / per_class_total, np.nan)
    accuracy = 100.0 * float(np.trace(confusion)) / max(1, len(labels))
    return Evaluation(loss, accuracy, per_class, confusion, probabilities.cpu().numpy().astype(np.float32))

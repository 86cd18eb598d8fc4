"""Two checkpoints compared on the same labelled images: each evaluated with its own normalisation, then compared."""

from __future__ import annotations

import numpy as np
import torch

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.compare.comparison import DEFAULT_TOP, Comparison, compare_predictions
from fmnist_gui.engine.evaluation import predict_probabilities


def compare_models(checkpoint_a: Checkpoint, checkpoint_b: Checkpoint, images: torch.Tensor | np.ndarray,
                   labels: torch.Tensor | np.ndarray, device: torch.device | str = "cpu",
                   top: int | None = DEFAULT_TOP) -> Comparison:
    """A against B on uint8 images (N, 28, 28) and their labels; top: how many disagreements to keep (None: all).

    Predictions are compared by class index: two checkpoints that name their classes differently still compare.
    """
    images = torch.as_tensor(images).to(device)
    return compare_predictions(probabilities(checkpoint_a, images, device), probabilities(checkpoint_b, images, device),
                               torch.as_tensor(labels).cpu().numpy(), top=top)


def probabilities(checkpoint: Checkpoint, images: torch.Tensor, device: torch.device | str = "cpu") -> np.ndarray:
    """(N, 10) float32 softmax probabilities of a checkpoint's model, in batches, with the mean and std it trained with."""
    model = checkpoint.build_model(device)
    return predict_probabilities(model, images, checkpoint.spec.mean, checkpoint.spec.std).cpu().numpy().astype(np.float32)

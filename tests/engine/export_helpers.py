"""Checkpoints with fresh random weights for the export tests: every registered architecture, in a second."""

from __future__ import annotations

import torch

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.models import get_model_spec


def fresh_checkpoint(model: str, seed: int = 0, **fields) -> Checkpoint:
    """Random weights and random batch-norm statistics, so normalisation and folding both matter."""
    torch.manual_seed(seed)
    network = get_model_spec(model).build()
    for module in network.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
    state = {key: value.detach().clone() for key, value in network.state_dict().items()}
    return Checkpoint(config=TrainConfig(model=model), model_state=state, **fields)

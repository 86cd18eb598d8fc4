"""One training step, and the words for what can go wrong in one: shared by the trainer and the learning-rate finder."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

OUT_OF_MEMORY = "The GPU ran out of memory; try a smaller batch size or a smaller model."


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
               labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward, cross-entropy, backward and the optimizer's step; the logits and the loss, detached.

    Nothing here waits for the device: the caller decides when a number is read back.
    """
    logits = model(inputs)
    loss = F.cross_entropy(logits, labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return logits.detach(), loss.detach()


def describe_failure(exc: BaseException, doing: str = "Training") -> str:
    """One line for people about an unexpected failure of a training loop."""
    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return OUT_OF_MEMORY
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{doing} failed: {type(exc).__name__}{': ' + text if text else ''}"

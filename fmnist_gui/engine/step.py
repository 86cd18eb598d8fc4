"""One training step, and the words for what can go wrong in one: shared by the trainer and the learning-rate finder."""

from __future__ import annotations

import contextlib

import torch
import torch.nn.functional as F
from torch import nn

OUT_OF_MEMORY = "The GPU ran out of memory; try a smaller batch size or a smaller model."


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, inputs: torch.Tensor,
               labels: torch.Tensor, bf16: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Forward, cross-entropy, backward and the optimizer's step; the logits and the loss, detached.

    With `bf16` the forward pass runs under bf16 autocast (the weights, their gradients and the
    optimizer stay fp32, the loss is computed in fp32: bf16 keeps fp32's range, so no loss scaling).
    Nothing here waits for the device: the caller decides when a number is read back.
    """
    with torch.autocast(inputs.device.type, dtype=torch.bfloat16) if bf16 else contextlib.nullcontext():
        logits = model(inputs)
    loss = F.cross_entropy(logits.float(), labels)
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

"""Per-example training dynamics of one epoch, filled from the logits the training step computed anyway.

For every training image, by its position in the training set (not in the batch order): the
probability the model gave its label and the class it predicted, at the batch that trained on
it. Kept on the training device and read back once an epoch, so the loop never waits for it.
"""

from __future__ import annotations

import torch

from fmnist_gui.engine.events import NOT_SEEN, EpochDynamics


class ExampleTracker:
    def __init__(self, size: int, device: torch.device) -> None:
        self.label_probability = torch.empty(size, dtype=torch.float16, device=device)
        self.predicted = torch.empty(size, dtype=torch.uint8, device=device)
        self.clear()

    def clear(self) -> None:
        self.label_probability.fill_(float("nan"))
        self.predicted.fill_(NOT_SEEN)

    @torch.no_grad()
    def record(self, index: torch.Tensor, logits: torch.Tensor, labels: torch.Tensor, predicted: torch.Tensor) -> None:
        """`logits` of the images at training-set positions `index`, their labels and argmax."""
        log_probability = logits.float().log_softmax(dim=1).gather(1, labels.unsqueeze(1)).squeeze(1)
        self.label_probability[index] = log_probability.exp().to(torch.float16)
        self.predicted[index] = predicted.to(torch.uint8)

    def read(self, epoch: int) -> EpochDynamics:
        return EpochDynamics(epoch, self.label_probability.cpu().numpy().copy(), self.predicted.cpu().numpy().copy())

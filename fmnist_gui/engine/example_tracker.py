"""Per-example training dynamics of one epoch, from the logits the training step computed anyway.

For every training image, by its position in the training set (not in the batch order): the
probability the model gave its label and the class it predicted, at the batch that trained on
it. Each batch only copies its logits into a buffer on the training device (one small op, the
loop never waits); the probabilities and classes are worked out for the whole set at once when
the epoch is read.

Images a run sets aside (a label fix set's exclusions) are never trained on, so they have no
training record: `read` marks them not seen. It can be given their probability from the model at
the epoch's end, which only places them on a data map (drawn apart); every training statistic
still leaves them out.
"""

from __future__ import annotations

import torch

from fmnist_gui.engine.events import NOT_SEEN, EpochDynamics


class ExampleTracker:
    def __init__(self, labels: torch.Tensor) -> None:
        self.labels = labels
        self.logits = torch.empty(len(labels), 0, dtype=torch.float32, device=labels.device)  # sized by the first batch

    def clear(self) -> None:
        self.logits.fill_(float("nan"))

    @torch.no_grad()
    def record(self, index: torch.Tensor, logits: torch.Tensor) -> None:
        """The (detached) `logits` of the images at training-set positions `index`."""
        if self.logits.shape[1] != logits.shape[1]:
            self.logits = torch.full((len(self.labels), logits.shape[1]), float("nan"), device=self.labels.device)
        self.logits[index] = logits.float()

    @torch.no_grad()
    def read(self, epoch: int, set_aside: tuple[torch.Tensor, torch.Tensor] | None = None) -> EpochDynamics:
        """The epoch's record; `set_aside` = (positions, probability of their label at the epoch's end)."""
        dynamics = self._read(epoch)
        if set_aside is not None:
            positions, probability = set_aside
            dynamics.label_probability[positions.cpu().numpy()] = probability.to(torch.float16).cpu().numpy()
        return dynamics

    @torch.no_grad()
    def _read(self, epoch: int) -> EpochDynamics:
        if self.logits.shape[1] == 0:  # no batch trained this epoch
            size = len(self.labels)
            return EpochDynamics(epoch, torch.full((size,), float("nan"), dtype=torch.float16).numpy(),
                                 torch.full((size,), NOT_SEEN, dtype=torch.uint8).numpy())
        seen = ~torch.isnan(self.logits[:, 0])
        logits = torch.nan_to_num(self.logits, nan=0.0)
        probability = logits.log_softmax(dim=1).gather(1, self.labels.unsqueeze(1)).squeeze(1).exp()
        probability = torch.where(seen, probability, torch.full_like(probability, float("nan")))
        predicted = torch.where(seen, logits.argmax(dim=1), torch.full_like(self.labels, NOT_SEEN))
        return EpochDynamics(epoch, probability.to(torch.float16).cpu().numpy(), predicted.to(torch.uint8).cpu().numpy())

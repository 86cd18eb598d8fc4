"""Batched, per-image random augmentation on the training device.

torchvision's v2 transforms draw one set of random parameters per call, so a whole batch
would get the same flip; one affine grid per image keeps the randomness per image and the
work in a single batched kernel.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

MAX_SHIFT_PIXELS = 2


def augment_batch(images: torch.Tensor, generator: torch.Generator, mean: float, std: float, channels_last: bool = False) -> torch.Tensor:
    """(B, 28, 28) uint8 -> (B, 1, 28, 28) float: random horizontal flips and shifts of up to 2 px."""
    x = images.unsqueeze(1).float().div_(255.0)
    count, side = x.shape[0], x.shape[-1]
    flips = torch.rand(count, generator=generator) < 0.5
    shifts = torch.randint(-MAX_SHIFT_PIXELS, MAX_SHIFT_PIXELS + 1, (count, 2), generator=generator)
    theta = torch.zeros(count, 2, 3)
    theta[:, 0, 0] = torch.where(flips, -1.0, 1.0)
    theta[:, 1, 1] = 1.0
    theta[:, :, 2] = shifts.float() * (2.0 / side)  # one pixel is 2/side in grid coordinates
    grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    if mean != 0.0 or std != 1.0:
        x = x.sub_(mean).div_(std)
    return x.contiguous(memory_format=torch.channels_last) if channels_last else x

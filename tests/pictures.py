"""Writing test pictures in real file formats (the format follows the file's suffix)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image


def save_picture(image: torch.Tensor | np.ndarray, path: Path | str, **options) -> Path:
    """(C, H, W) or (H, W) uint8 pixels to a PNG, JPEG, GIF or WebP file."""
    array = image.numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    if array.ndim == 3:
        array = array[0] if array.shape[0] == 1 else np.moveaxis(array, 0, -1)
    Image.fromarray(np.ascontiguousarray(array.astype(np.uint8))).save(path, **options)
    return Path(path)

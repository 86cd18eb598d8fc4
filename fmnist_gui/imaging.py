"""Turning any picture into a 28x28 Fashion-MNIST-style image: grayscale, light item on black, fitted and centred."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps, UnidentifiedImageError
from torchvision.transforms.v2 import functional as TF

from fmnist_gui.data import IMAGE_SIDE
from fmnist_gui.errors import UserFacingError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")


class ImageError(UserFacingError):
    """A file that is not a readable picture."""


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """A PNG, JPEG, GIF or WebP file as an (H, W) uint8 luminance array.

    Transparent pixels become white, as the background of a product photo; an animated
    image gives its first frame; a photo is turned upright by its EXIF orientation.
    """
    source = Path(path).expanduser()
    if source.is_dir():
        raise ImageError(f"{source.name} is a folder, not an image file.")
    if not source.exists():
        raise ImageError(f"{source} does not exist.")
    try:
        if source.stat().st_size == 0:
            raise ImageError(f"{source.name} is empty: it is not an image.")
        with Image.open(source) as image:
            image.seek(0)
            return luminance(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except PermissionError:
        raise ImageError(f"{source.name} cannot be read: permission denied.") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise ImageError(f"{source.name} is not an image this app can read (PNG, JPEG, GIF or WebP).") from None


def luminance(image: Image.Image) -> np.ndarray:
    """A Pillow image of any mode as (H, W) uint8 luminance, transparent pixels counting as white."""
    if image.mode.startswith("I"):  # 16- or 32-bit grayscale
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        return np.clip(np.rint(values * 255.0 / top), 0, 255).astype(np.uint8)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(white, rgba)
    return np.array(image.convert("L"), dtype=np.uint8)


def to_fashion_mnist(gray: np.ndarray) -> np.ndarray:
    """Fit an item into 28x28 the way Fashion-MNIST was made: light on black, longest side 28, centred."""
    if gray.ndim != 2 or gray.size == 0:
        raise ImageError("The picture has no pixels.")
    pixels = gray.astype(np.float32)
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    if np.median(border) > 127:  # a light background, as in photos of products: invert
        pixels = 255.0 - pixels
        border = 255.0 - border
    pixels = np.clip(pixels - np.median(border), 0, None)
    peak = float(pixels.max())
    if peak <= 0:
        return np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=np.uint8)
    pixels *= 255.0 / peak
    rows = np.flatnonzero((pixels > 25).any(axis=1))
    cols = np.flatnonzero((pixels > 25).any(axis=0))
    item = pixels[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]
    scale = IMAGE_SIDE / max(item.shape)
    height = max(1, min(IMAGE_SIDE, round(item.shape[0] * scale)))
    width = max(1, min(IMAGE_SIDE, round(item.shape[1] * scale)))
    resized = TF.resize(torch.from_numpy(np.ascontiguousarray(item))[None], [height, width], antialias=True)[0].numpy()
    canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    top, left = (IMAGE_SIDE - height) // 2, (IMAGE_SIDE - width) // 2
    canvas[top : top + height, left : left + width] = resized
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


def load_as_fashion_mnist(path: str | os.PathLike[str]) -> np.ndarray:
    return to_fashion_mnist(read_grayscale(path))

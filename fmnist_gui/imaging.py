"""Turning any picture into a 28x28 Fashion-MNIST-style image: grayscale, light item on black, fitted and centred."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from fmnist_gui.data import IMAGE_SIDE
from fmnist_gui.errors import UserFacingError
from fmnist_gui.safe_text import printable

PICTURE_FORMATS = ("PNG", "JPEG", "GIF", "WEBP")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")
MAX_PIXELS = 40_000_000  # a 28x28 classifier needs nothing near it; Pillow's own limit is 89 million
JPEG_DRAFT_SIDE = 512  # pixels: plenty to find and fit an item into 28x28


class ImageError(UserFacingError):
    """A file that is not a readable picture."""


def read_grayscale(path: str | os.PathLike[str]) -> np.ndarray:
    """A PNG, JPEG, GIF or WebP file as an (H, W) uint8 luminance array.

    Transparent pixels become white, as the background of a product photo; an animated
    image gives its first frame; a photo is turned upright by its EXIF orientation. The size
    is checked before any pixel is decoded, and a JPEG is decoded at a reduced scale.
    """
    source = Path(path).expanduser()
    name = printable(source.name or source)
    if source.is_dir():
        raise ImageError(f"{name} is a folder, not an image file.")
    if not source.exists():
        raise ImageError(f"{printable(source)} does not exist.")
    try:
        if source.stat().st_size == 0:
            raise ImageError(f"{name} is empty: it is not an image.")
        with warnings.catch_warnings():  # Pillow warns about large images; the check below says it in one line
            warnings.simplefilter("ignore")
            # Only the formats the app offers: Pillow would otherwise hand an EPS file to Ghostscript.
            with Image.open(source, formats=PICTURE_FORMATS) as image:
                _check_size(image, name)
                image.seek(0)
                if image.format == "JPEG":
                    image.draft("L", (JPEG_DRAFT_SIDE, JPEG_DRAFT_SIDE))  # decode at 1/2 … 1/8 scale when that is enough
                return luminance(ImageOps.exif_transpose(image))
    except ImageError:
        raise
    except PermissionError:
        raise ImageError(f"{name} cannot be read: permission denied.") from None
    except Image.DecompressionBombError:
        raise ImageError(f"{name} is too large: more than {MAX_PIXELS // 1_000_000} million pixels.") from None
    except MemoryError:
        raise ImageError(f"{name} is too large to open.") from None
    except Exception:  # noqa: BLE001 - whatever a damaged or crafted file makes Pillow raise, one line
        raise ImageError(f"{name} is not an image this app can read (PNG, JPEG, GIF or WebP).") from None


def _check_size(image: Image.Image, name: str) -> None:
    """Refuse a picture whose header declares more pixels than a 28x28 classifier could use, before decoding."""
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise ImageError(
            f"{name} is {width}x{height} pixels, more than the {MAX_PIXELS // 1_000_000} million this app opens."
        )


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
    import torch  # here, not at the top: a command that reads no picture need not wait for torch

    # Antialiased bilinear, exactly torchvision's resize (Pillow's differs by up to 70 levels on small items),
    # from torch itself: torchvision's import pulls in triton, whose LLVM crashes a process where Qt's video
    # frames (the camera) have loaded Mesa's.
    pixels_in = torch.from_numpy(np.ascontiguousarray(item))[None, None]
    resized = torch.nn.functional.interpolate(pixels_in, size=(height, width), mode="bilinear", align_corners=False,
                                              antialias=True)[0, 0].numpy()
    canvas = np.zeros((IMAGE_SIDE, IMAGE_SIDE), dtype=np.float32)
    top, left = (IMAGE_SIDE - height) // 2, (IMAGE_SIDE - width) // 2
    canvas[top : top + height, left : left + width] = resized
    return np.clip(np.rint(canvas), 0, 255).astype(np.uint8)


CAMERA_SQUARE = 0.8  # the share of a camera frame's shorter side that is classified (the square the presenter draws)


def camera_square(gray: np.ndarray) -> np.ndarray:
    """The centred square of a camera frame that the presenter's guide shows: what is held up to the camera."""
    height, width = gray.shape
    side = max(1, round(min(height, width) * CAMERA_SQUARE))
    top, left = (height - side) // 2, (width - side) // 2
    return gray[top : top + side, left : left + side]


def camera_input(gray: np.ndarray) -> np.ndarray:
    """A camera frame as Fashion-MNIST shows an item: the guide's square, then as any picture (to_fashion_mnist)."""
    return to_fashion_mnist(camera_square(gray))


def load_as_fashion_mnist(path: str | os.PathLike[str]) -> np.ndarray:
    return to_fashion_mnist(read_grayscale(path))

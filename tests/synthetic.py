"""Small, learnable Fashion-MNIST look-alikes written as real IDX files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

from fmnist_gui.data import IMAGES_MAGIC, LABELS_MAGIC, SPLIT_FILES


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def make_images(labels: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each class is a bright bar at its own place, over noise: a CNN or MLP learns it in an epoch."""
    images = rng.integers(0, 60, size=(len(labels), 28, 28), dtype=np.uint8)
    for index, label in enumerate(labels):
        row = 2 + int(label) * 2
        images[index, row : row + 3, 4:24] = rng.integers(180, 255)
    return images


def write_dataset(directory: Path, train: int = 600, test: int = 200, seed: int = 0, gz: bool = False) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("test", test)):
        labels = np.arange(count, dtype=np.uint8) % 10
        rng.shuffle(labels)
        images_name, labels_name = SPLIT_FILES[split]
        for name, payload in (
            (images_name, idx_bytes(make_images(labels, rng), IMAGES_MAGIC)),
            (labels_name, idx_bytes(labels, LABELS_MAGIC)),
        ):
            if gz:
                (directory / (name + ".gz")).write_bytes(gzip.compress(payload, compresslevel=1))
            else:
                (directory / name).write_bytes(payload)
    return directory

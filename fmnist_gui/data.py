"""Finding, validating and loading Fashion-MNIST from IDX files, without any network."""

from __future__ import annotations

import errno
import gzip
import os
import stat
import threading
import zlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fmnist_gui.errors import UserFacingError
from fmnist_gui.lazy import lazy_module

if TYPE_CHECKING:
    import torch
else:
    torch = lazy_module("torch")

CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
NUM_CLASSES = len(CLASS_NAMES)
IMAGE_SIDE = 28

SPLIT_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
FULL_COUNTS = {"train": 60_000, "test": 10_000}
IMAGES_MAGIC = 0x00000803  # unsigned bytes, 3 dimensions
LABELS_MAGIC = 0x00000801  # unsigned bytes, 1 dimension
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
INSTALL_HINT = (
    "install it with 'sudo apt-get install dataset-fashion-mnist', "
    "or put the four IDX files in ./data/FashionMNIST/raw or a folder named by FMNIST_DATA"
)
# Smaller IDX sets are refused unless this is set: tests and quick trials use them.
ALLOW_SMALL_ENV = "FMNIST_ALLOW_SMALL"


class DataError(UserFacingError):
    """Fashion-MNIST is missing or a file of it is not what it should be."""


@dataclass(frozen=True)
class FashionMNIST:
    """The whole data set as uint8 images (N, 28, 28) and int64 labels, on one device.

    A label fix set (fmnist_gui.labels) changes only the training side, and only in memory: `train_labels`
    are then the labels the run trains with, `train_kept` the positions drawn into batches (the others are
    set aside) and `label_fixes` names the fix set and its content ("NAME@HASH"). The test set is never changed.
    """

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: Path
    train_kept: torch.Tensor | None = None  # int64 positions of the images trained on; None: every image
    label_fixes: str = ""  # the fix set applied to train_labels as "NAME@HASH"; "" for the labels as the files hold them

    @property
    def trained_count(self) -> int:
        """How many training images a run draws into its batches."""
        return len(self.train_kept) if self.train_kept is not None else len(self.train_labels)

    def to(self, device: torch.device | str) -> FashionMNIST:
        """The same data resident on `device` (no copy when it is there already)."""
        return replace(
            self,
            train_images=self.train_images.to(device),
            train_labels=self.train_labels.to(device),
            test_images=self.test_images.to(device),
            test_labels=self.test_labels.to(device),
            train_kept=self.train_kept.to(device) if self.train_kept is not None else None,
        )


def search_dirs(data_dir: str | os.PathLike[str] | None = None) -> list[Path]:
    """Folders that may hold the IDX files, in the order they are tried."""
    roots: list[Path] = []
    if data_dir is not None:
        roots.append(Path(data_dir).expanduser())
    if os.environ.get("FMNIST_DATA"):
        roots.append(Path(os.environ["FMNIST_DATA"]).expanduser())
    roots.append(Path("data"))  # torchvision's usual root, as in the PyTorch quickstart
    roots.append(Path.home() / ".cache" / "fmnist-gui")
    dirs: list[Path] = []
    for root in roots:
        dirs += [root, root / "FashionMNIST" / "raw", root / "raw"]
    dirs.append(DEBIAN_DIR)
    return dirs


def _idx_file(directory: Path, stem: str) -> Path | None:
    for name in (stem, stem + ".gz"):
        if (directory / name).is_file():
            return directory / name
    return None


def find_data_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """The first folder holding all four files; a named folder (or FMNIST_DATA) that lacks them is an error."""
    if data_dir is not None:
        explicit = search_dirs(data_dir)[:3]  # the folder, its FashionMNIST/raw and raw
        for directory in explicit:
            if _has_all_files(directory):
                return directory
        problem = _not_a_folder(Path(data_dir).expanduser())
        if problem:
            raise DataError(f"The data folder {data_dir} {problem}; {INSTALL_HINT}.")
        raise DataError(
            f"The data folder {data_dir} does not hold the Fashion-MNIST files "
            f"({', '.join(_missing_files(Path(data_dir).expanduser()))} missing); {INSTALL_HINT}."
        )
    _check_environment_folder()
    for directory in search_dirs():
        if _has_all_files(directory):
            return directory
    raise DataError(f"Fashion-MNIST was not found; {INSTALL_HINT}.")


def _check_environment_folder() -> None:
    """A FMNIST_DATA that names no folder is a mistake to report, not a path to skip silently."""
    value = os.environ.get("FMNIST_DATA")
    problem = _not_a_folder(Path(value).expanduser()) if value else None
    if problem:
        raise DataError(f"FMNIST_DATA points at {value}, which {problem}.")


def _not_a_folder(path: Path) -> str | None:
    """Why `path` cannot be searched ("does not exist", "is not a folder" …), or None for a folder."""
    try:
        mode = os.stat(path).st_mode  # follows links, so a link to a folder is a folder
    except FileNotFoundError:
        return "does not exist"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a loop of symbolic links"
        return f"cannot be opened ({exc.strerror or exc})"
    except ValueError:  # a NUL in the value
        return "is not a valid path"
    return None if stat.S_ISDIR(mode) else "is not a folder"


def _has_all_files(directory: Path) -> bool:
    return directory.is_dir() and not _missing_files(directory)


def _missing_files(directory: Path) -> list[str]:
    stems = [stem for pair in SPLIT_FILES.values() for stem in pair]
    return [stem for stem in stems if _idx_file(directory, stem) is None]


def _read_bytes(path: Path, limit: int) -> bytes:
    """The file's bytes, inflated when it is .gz; reading stops past `limit`, so a gz bomb cannot fill memory."""
    try:
        with (gzip.open(path, "rb") if path.suffix == ".gz" else path.open("rb")) as handle:
            raw = handle.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} cannot be read ({exc}); {INSTALL_HINT}.") from None
    if len(raw) > limit:
        raise DataError(f"{path} holds more than the {limit:,} bytes a Fashion-MNIST file can; it is not Fashion-MNIST.")
    return raw


def read_idx(path: Path, magic: int, item_shape: tuple[int, ...], max_items: int) -> np.ndarray:
    """One IDX file of at most `max_items` items as a uint8 array, after checking its magic number, dimensions and length."""
    ndim = 1 + len(item_shape)
    header_size = 4 + 4 * ndim
    raw = _read_bytes(path, header_size + max_items * int(np.prod(item_shape)))
    if len(raw) < header_size:
        raise DataError(f"{path} is truncated: {len(raw)} bytes is shorter than an IDX header.")
    found_magic = int.from_bytes(raw[:4], "big")
    if found_magic != magic:
        raise DataError(
            f"{path} is not the expected IDX file: magic number {found_magic:#010x}, "
            f"expected {magic:#010x}."
        )
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if dims[1:] != item_shape:
        raise DataError(f"{path} holds items of shape {dims[1:]}, expected {item_shape}.")
    expected_size = header_size + int(np.prod(dims))
    if len(raw) != expected_size:
        state = "truncated" if len(raw) < expected_size else "longer than its header says"
        raise DataError(
            f"{path} is {state}: {len(raw)} bytes for {dims[0]} items ({expected_size} expected)."
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header_size).reshape(dims)


def load_split(directory: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images and labels of one split, checked against each other and Fashion-MNIST's counts."""
    images_stem, labels_stem = SPLIT_FILES[split]
    images_path, labels_path = _idx_file(directory, images_stem), _idx_file(directory, labels_stem)
    if images_path is None or labels_path is None:
        missing = images_stem if images_path is None else labels_stem
        raise DataError(f"{directory / missing}(.gz) is missing; {INSTALL_HINT}.")
    images = read_idx(images_path, IMAGES_MAGIC, (IMAGE_SIDE, IMAGE_SIDE), FULL_COUNTS[split])
    labels = read_idx(labels_path, LABELS_MAGIC, (), FULL_COUNTS[split])
    if len(images) != len(labels):
        raise DataError(
            f"{images_path.name} holds {len(images)} images but {labels_path.name} "
            f"holds {len(labels)} labels."
        )
    if len(labels) and int(labels.max()) >= NUM_CLASSES:
        raise DataError(f"{labels_path} holds label {int(labels.max())}; labels run from 0 to 9.")
    expected = FULL_COUNTS[split]
    small_allowed = os.environ.get(ALLOW_SMALL_ENV) == "1" and 0 < len(images) < expected
    if len(images) != expected and not small_allowed:
        raise DataError(
            f"{images_path} holds {len(images)} images; the Fashion-MNIST {split} set has {expected}."
        )
    return images, labels


@dataclass(frozen=True)
class SplitArrays:
    """Both splits as read and checked from the files, before torch holds them."""

    train: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray]
    source: Path


def read_fashion_mnist(data_dir: str | os.PathLike[str] | None = None) -> SplitArrays:
    """Find, validate and read both splits, without torch (so it can run while torch is imported)."""
    directory = find_data_dir(data_dir)
    return SplitArrays(load_split(directory, "train"), load_split(directory, "test"), directory)


def from_arrays(arrays: SplitArrays, device: torch.device | str = "cpu") -> FashionMNIST:
    (train_images, train_labels), (test_images, test_labels) = arrays.train, arrays.test
    return FashionMNIST(
        torch.from_numpy(train_images.copy()),
        torch.from_numpy(train_labels.astype(np.int64)),
        torch.from_numpy(test_images.copy()),
        torch.from_numpy(test_labels.astype(np.int64)),
        arrays.source,
    ).to(device)


def load_fashion_mnist(
    data_dir: str | os.PathLike[str] | None = None, device: torch.device | str = "cpu"
) -> FashionMNIST:
    """Find, validate and load both splits at once, resident on `device`."""
    return from_arrays(read_fashion_mnist(data_dir), device)


class ReadAhead:
    """`read_fashion_mnist` in a thread of its own, started at once: the command line reads and checks the files
    (gzip and zlib let other threads run) while it imports torch. `result()` waits, and raises what reading raised."""

    def __init__(self, data_dir: str | os.PathLike[str] | None) -> None:
        self._arrays: SplitArrays | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._read, args=(data_dir,), name="read-data", daemon=True)
        self._thread.start()

    def _read(self, data_dir: str | os.PathLike[str] | None) -> None:
        try:
            self._arrays = read_fashion_mnist(data_dir)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, raised there
            self._error = exc

    def result(self) -> FashionMNIST:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._arrays is not None
        return from_arrays(self._arrays)

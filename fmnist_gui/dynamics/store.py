"""Training dynamics of a run: each image's probability of its label and predicted class, epoch by epoch.

Kept in memory while a run trains (the window, the recorder) and in the run folder as
`dynamics.npz`, replaced atomically at each epoch's end.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from fmnist_gui import atomic
from fmnist_gui.data import NUM_CLASSES
from fmnist_gui.dynamics.archive import largest_file_bytes, read_arrays
from fmnist_gui.engine.events import NOT_SEEN, EpochDynamics
from fmnist_gui.errors import UserFacingError
from fmnist_gui.regular_file import open_regular
from fmnist_gui.safe_text import printable

SCHEMA = 1


class DynamicsDamaged(UserFacingError):
    """A dynamics file that cannot be read; the message says which and why."""


@dataclass(frozen=True)
class TrainingDynamics:
    """Per-epoch rows, by position in the training (or test) set; E epochs, N training, M test images."""

    train_labels: np.ndarray  # (N,) uint8: the labels the run trained with
    test_labels: np.ndarray  # (M,) uint8
    epochs: np.ndarray  # (E,) int64, increasing
    train_probability: np.ndarray  # (E, N) float16: probability of the given label; NaN where not seen
    train_predicted: np.ndarray  # (E, N) uint8: predicted class; NOT_SEEN where not seen
    test_probability: np.ndarray  # (E, M) float16
    test_predicted: np.ndarray  # (E, M) uint8
    unfinished: EpochDynamics | None = None  # the part of an epoch a stop interrupted

    @classmethod
    def empty(cls, train_labels: np.ndarray, test_labels: np.ndarray) -> TrainingDynamics:
        train = np.asarray(train_labels, dtype=np.uint8)
        test = np.asarray(test_labels, dtype=np.uint8)
        return cls(train, test, np.zeros(0, dtype=np.int64),
                   np.zeros((0, len(train)), np.float16), np.zeros((0, len(train)), np.uint8),
                   np.zeros((0, len(test)), np.float16), np.zeros((0, len(test)), np.uint8))

    @property
    def epoch_count(self) -> int:
        return len(self.epochs)

    @property
    def train_size(self) -> int:
        return len(self.train_labels)

    @property
    def train_seen(self) -> np.ndarray:
        return self.train_predicted != NOT_SEEN

    @property
    def train_correct(self) -> np.ndarray:
        """(E, N) bool: predicted as labelled (False where not seen)."""
        return self.train_predicted == self.train_labels[None, :]

    @property
    def test_correct(self) -> np.ndarray:
        return self.test_predicted == self.test_labels[None, :]

    def matches(self, train_labels: np.ndarray, test_labels: np.ndarray) -> bool:
        """Whether these rows are of the data a run trains on now (same sizes and labels)."""
        return (np.array_equal(self.train_labels, np.asarray(train_labels, dtype=np.uint8))
                and np.array_equal(self.test_labels, np.asarray(test_labels, dtype=np.uint8)))

    def with_epoch(self, train: EpochDynamics, test_probabilities: np.ndarray) -> TrainingDynamics:
        """These rows and one more: `train` from the training loop, the test set's softmax (M, 10).

        Images a resumed run did not train on in its first epoch take the values the interrupted
        part of that epoch recorded, so a stop mid-epoch loses nothing.
        """
        probability = np.asarray(train.label_probability, dtype=np.float16)
        predicted = np.asarray(train.predicted, dtype=np.uint8)
        if len(predicted) != self.train_size or len(test_probabilities) != len(self.test_labels):
            raise ValueError("an epoch's dynamics do not fit the data set of the run")
        if self.epoch_count and train.epoch <= self.epochs[-1]:
            return self.until(train.epoch - 1).with_epoch(train, test_probabilities)
        if self.unfinished is not None and self.unfinished.epoch == train.epoch:
            # What the interrupted part trained fills what the rest did not (a set-aside image's place stays)
            earlier = (predicted == NOT_SEEN) & (self.unfinished.predicted != NOT_SEEN)
            probability = np.where(earlier, self.unfinished.label_probability, probability)
            predicted = np.where(earlier, self.unfinished.predicted, predicted)
        test = np.asarray(test_probabilities, dtype=np.float32)
        test_probability = np.take_along_axis(test, self.test_labels[:, None].astype(np.int64), axis=1)[:, 0]
        return TrainingDynamics(
            self.train_labels, self.test_labels, np.append(self.epochs, train.epoch),
            np.vstack([self.train_probability, probability[None]]), np.vstack([self.train_predicted, predicted[None]]),
            np.vstack([self.test_probability, test_probability.astype(np.float16)[None]]),
            np.vstack([self.test_predicted, test.argmax(axis=1).astype(np.uint8)[None]]),
        )

    def with_unfinished(self, unfinished: EpochDynamics | None) -> TrainingDynamics:
        return replace(self, unfinished=unfinished)

    def until(self, epoch: int) -> TrainingDynamics:
        """The rows up to `epoch`; the unfinished part is kept only when it is of the epoch after."""
        keep = int(np.searchsorted(self.epochs, epoch, side="right"))
        unfinished = self.unfinished if self.unfinished is not None and self.unfinished.epoch == epoch + 1 else None
        return TrainingDynamics(self.train_labels, self.test_labels, self.epochs[:keep],
                                self.train_probability[:keep], self.train_predicted[:keep],
                                self.test_probability[:keep], self.test_predicted[:keep], unfinished)

    def history_of(self, index: int) -> np.ndarray:
        """(E,) float32: one training image's probability of its label, epoch by epoch."""
        return self.train_probability[:, index].astype(np.float32)


def save_dynamics(dynamics: TrainingDynamics, path: Path) -> None:
    """Write `dynamics` to `path` atomically (SaveError when it cannot be written).

    Beside the arrays the reader uses, the correctness of every image and epoch is stored
    bit-packed (`train_correct`, `test_correct`) for anyone reading the file with numpy alone.
    """
    arrays = {
        "schema": np.array(SCHEMA), "epochs": dynamics.epochs,
        "train_labels": dynamics.train_labels, "test_labels": dynamics.test_labels,
        "train_probability": dynamics.train_probability, "train_predicted": dynamics.train_predicted,
        "train_correct": np.packbits(dynamics.train_correct, axis=1),
        "test_probability": dynamics.test_probability, "test_predicted": dynamics.test_predicted,
        "test_correct": np.packbits(dynamics.test_correct, axis=1),
    }
    if dynamics.unfinished is not None:
        arrays |= {"unfinished_epoch": np.array(dynamics.unfinished.epoch),
                   "unfinished_probability": dynamics.unfinished.label_probability,
                   "unfinished_predicted": dynamics.unfinished.predicted}
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)  # type: ignore[arg-type]  # mypy fears a key named allow_pickle; the keys are array names
    atomic.write_bytes(path, buffer.getvalue())


def load_dynamics(path: Path, run_epochs: int | None = None) -> TrainingDynamics:
    """The dynamics in `path`, every array checked, each before it is read; DynamicsDamaged says what is wrong,
    FileNotFoundError that there is no such file. `run_epochs`: the most epochs the file's run asked for."""
    name = printable(Path(path).name)
    try:
        with open_regular(path, name, DynamicsDamaged, largest_file_bytes()) as stream:
            return _checked(read_arrays(stream, run_epochs))
    except ValueError as exc:
        raise DynamicsDamaged(f"{name} is damaged: {exc}.") from None
    except FileNotFoundError:
        raise
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # a member cut short, a bad checksum, a failing disk
        raise DynamicsDamaged(f"{name} cannot be read ({_first_line(exc)}).") from None


def _checked(raw: dict[str, np.ndarray]) -> TrainingDynamics:
    schema = _array(raw, "schema", ())
    if int(schema) != SCHEMA:
        raise ValueError(f"it is of format {int(schema)}, this version reads {SCHEMA}")
    train_labels = _labels(raw, "train_labels")
    test_labels = _labels(raw, "test_labels")
    epochs = _array(raw, "epochs", (None,)).astype(np.int64)
    if np.any(epochs < 1) or np.any(np.diff(epochs) <= 0):
        raise ValueError("its epochs are not increasing whole numbers from 1")
    rows = len(epochs)
    train_probability = _probabilities(raw, "train_probability", (rows, len(train_labels)))
    train_predicted = _predicted(raw, "train_predicted", (rows, len(train_labels)))
    test_probability = _probabilities(raw, "test_probability", (rows, len(test_labels)))
    test_predicted = _predicted(raw, "test_predicted", (rows, len(test_labels)))
    unfinished = None
    if "unfinished_epoch" in raw:
        epoch = int(_array(raw, "unfinished_epoch", ()))
        if epoch < 1 or (rows and epoch <= epochs[-1]):
            raise ValueError("its unfinished epoch comes before its last finished one")
        unfinished = EpochDynamics(epoch, _probabilities(raw, "unfinished_probability", (len(train_labels),)),
                                   _predicted(raw, "unfinished_predicted", (len(train_labels),)))
    return TrainingDynamics(train_labels, test_labels, epochs, train_probability, train_predicted,
                            test_probability, test_predicted, unfinished)


def _array(raw: dict[str, np.ndarray], name: str, shape: tuple[int | None, ...]) -> np.ndarray:
    if name not in raw:
        raise ValueError(f"it lacks {name}")
    array = raw[name]
    if not isinstance(array, np.ndarray):  # np.load gives the bytes of a member that is no .npy
        raise ValueError(f"{name} is not an array")
    if array.dtype.kind not in "iuf" or array.ndim != len(shape) or any(
            want is not None and have != want for have, want in zip(array.shape, shape)):
        raise ValueError(f"{name} has the wrong shape or type ({array.dtype} {array.shape})")
    return array


def _labels(raw: dict[str, np.ndarray], name: str) -> np.ndarray:
    labels = _array(raw, name, (None,))
    if labels.dtype != np.uint8 or np.any(labels >= NUM_CLASSES):
        raise ValueError(f"{name} holds values that are not classes")
    return labels


def _probabilities(raw: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    values = _array(raw, name, shape)
    if values.dtype != np.float16:
        raise ValueError(f"{name} is not float16")
    finite = values[~np.isnan(values)]
    if np.any(finite < 0) or np.any(finite > 1):
        raise ValueError(f"{name} holds values outside 0 to 1")
    return values


def _predicted(raw: dict[str, np.ndarray], name: str, shape: tuple[int, ...]) -> np.ndarray:
    values = _array(raw, name, shape)
    if values.dtype != np.uint8 or np.any((values >= NUM_CLASSES) & (values != NOT_SEEN)):
        raise ValueError(f"{name} holds values that are not classes")
    return values


def _first_line(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = str(exc).strip().splitlines()
    return printable(text[0]) if text else type(exc).__name__

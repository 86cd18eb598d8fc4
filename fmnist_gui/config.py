"""TrainConfig: every hyperparameter of a run, frozen and validated, plus the named presets."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from fmnist_gui import checks
from fmnist_gui.devices import best_device, check_device_syntax
from fmnist_gui.errors import UserFacingError
from fmnist_gui.formats import counted
from fmnist_gui.models import MODELS
from fmnist_gui.names import DEFAULT_MODEL, FIX_SET_IDENTITY, OPTIMIZERS, PRECISIONS, SCHEDULES

MAX_SEED = 2**31 - 1  # what the form's seed field (a 32-bit spin box) can hold
MAX_EPOCHS = 10_000  # the most a run can ask for: what its recorded files can hold is bounded by it
ADDED_LATER = ("labels", "precision")  # fields a complete stored config (run.json) may lack: older versions wrote none


class ConfigError(UserFacingError):
    """A hyperparameter outside what training can use."""


@dataclass(frozen=True)
class TrainConfig:
    model: str = DEFAULT_MODEL
    optimizer: str = "adamw"
    lr: float = 0.01  # the peak rate for one-cycle
    momentum: float = 0.9  # SGD only
    batch_size: int = 128
    epochs: int = 3
    weight_decay: float = 5e-4
    schedule: str = "one-cycle"
    seed: int = 0
    device: str = "cpu"
    augment: bool = False
    # The preset the values started from ("" for none): kept in checkpoints and run folders so that a run can
    # be named after it ("default, 2 epochs"); not a hyperparameter, so two configs that differ only here are equal.
    preset: str = field(default="", compare=False)
    # The label fix set the run trains with, as "NAME@HASH" (fmnist_gui.labels; "" for the labels as the data
    # files hold them). It compares: two runs on differently fixed labels are different experiments, and a
    # resumed run must train on the labels it started with. Files written before it existed hold none.
    labels: str = ""
    # How the run computes (names.PRECISIONS): what was asked, not what ran ("auto" resolves on each machine; run.json's
    # `execution` says what ran). Not a hyperparameter: two configs that differ only here are equal, as for the preset.
    precision: str = field(default="auto", compare=False)

    def __post_init__(self) -> None:
        checks = [
            (self.model in MODELS, f"Unknown model '{self.model}'; choose one of: {', '.join(MODELS)}."),
            (self.optimizer in OPTIMIZERS, f"Unknown optimizer '{self.optimizer}'; choose one of: {', '.join(OPTIMIZERS)}."),
            (self.schedule in SCHEDULES, f"Unknown LR schedule '{self.schedule}'; choose one of: {', '.join(SCHEDULES)}."),
            (_finite(self.lr) and 0 < self.lr <= 10, f"The learning rate must be above 0 and at most 10, not {self.lr}."),
            (_finite(self.momentum) and 0 <= self.momentum < 1, f"Momentum must be at least 0 and below 1, not {self.momentum}."),
            (_whole(self.batch_size) and 1 <= self.batch_size <= 65536, f"The batch size must be a whole number from 1 to 65536, not {self.batch_size}."),
            (_whole(self.epochs) and 1 <= self.epochs <= MAX_EPOCHS, f"Epochs must be a whole number from 1 to {MAX_EPOCHS}, not {self.epochs}."),
            (_finite(self.weight_decay) and 0 <= self.weight_decay <= 1, f"Weight decay must be from 0 to 1, not {self.weight_decay}."),
            (_whole(self.seed) and 0 <= self.seed <= MAX_SEED, f"The seed must be a whole number from 0 to {MAX_SEED}, not {self.seed}."),
            (isinstance(self.augment, bool), f"Augmentation is on or off, not {self.augment!r}."),
            (self.precision in PRECISIONS, f"Unknown precision {self.precision!r}; choose one of: {', '.join(PRECISIONS)}."),
            (isinstance(self.preset, str) and len(self.preset) <= 40 and self.preset.isprintable(),
             f"A preset's name is a short line of text, not {self.preset!r}."),
            (self.labels == "" or (isinstance(self.labels, str) and FIX_SET_IDENTITY.fullmatch(self.labels) is not None),
             f"A label fix set is named as NAME@HASH, not {self.labels!r}."),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(message)
        try:
            check_device_syntax(self.device)
        except UserFacingError as exc:
            raise ConfigError(str(exc)) from None

    def replace(self, **changes: Any) -> TrainConfig:
        """A copy with `changes` applied and validated."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        """A config from stored values; unknown keys (from newer versions) are ignored."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @classmethod
    def from_stored(cls, raw: object, complete: bool = False) -> TrainConfig:
        """The config a file stores; ValueError says why it is none. With `complete` every field must be there
        (a run.json has them all), else a missing one takes its default."""
        values = checks.mapping(raw, "its config")
        missing = [f.name for f in dataclasses.fields(cls) if f.name not in values and f.name not in ADDED_LATER] if complete else []
        if missing:
            raise ValueError(f"its config lacks {missing[0]}")
        try:
            return cls.from_dict(values)
        except UserFacingError as exc:
            raise ValueError(f"its config is invalid: {str(exc).rstrip('.')}") from None
        except TypeError:  # e.g. an unhashable model name
            raise ValueError("its config holds values of the wrong type") from None


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class Continuation(str, Enum):
    """How "Continue training" schedules the rate once the saved run's own schedule has finished."""

    COOLDOWN = "cooldown"  # cosine decay from a tenth of the finished run's peak rate
    CONSTANT = "constant"  # the rate the finished run ended with, unchanged
    RESTART = "restart"  # a new schedule with the form's values (warms up again for one-cycle)

    @property
    def label(self) -> str:
        return CONTINUATION_LABELS[self]


CONTINUATION_LABELS = {
    Continuation.COOLDOWN: "cosine from a tenth of the peak rate",
    Continuation.CONSTANT: "the last rate, constant",
    Continuation.RESTART: "a new schedule with the form's values",
}


PRESETS: dict[str, tuple[str, TrainConfig]] = {
    "default": ("Small CNN, AdamW, one-cycle: about 91% test accuracy after 3 epochs, about 12 s an epoch "
                "on 2 CPU cores", TrainConfig()),
    "quickstart": (
        "The PyTorch quickstart tutorial exactly: MLP, plain SGD, lr 1e-3, batch 64, 5 epochs. It learns slowly "
        "on purpose: about 64% after 5 epochs, as in the tutorial (the default preset reaches 91% in 3)",
        TrainConfig(
            model="quickstart-mlp",
            optimizer="sgd",
            lr=1e-3,
            momentum=0.0,
            batch_size=64,
            epochs=5,
            weight_decay=0.0,
            schedule="constant",
        ),
    ),
    "gpu": (
        "Wide CNN with augmentation, batch 256, 30 epochs: about 94.7% on a GPU in under a minute",
        TrainConfig(
            model="wide-cnn",
            optimizer="adamw",
            lr=3e-3,
            batch_size=256,
            epochs=30,
            weight_decay=5e-4,
            schedule="one-cycle",
            augment=True,
        ),
    ),
}


def preset(name: str) -> TrainConfig:
    """The preset's config (naming it as its origin); the GPU preset takes the first GPU this machine has."""
    try:
        config = PRESETS[name][1].replace(preset=name)
    except KeyError:
        raise ConfigError(f"Unknown preset '{name}'; choose one of: {', '.join(PRESETS)}.") from None
    return config.replace(device=best_device()) if name == "gpu" else config


def preset_label(config: TrainConfig) -> tuple[str | None, str]:
    """The preset `config` holds and how to say it: ("default", "default") for its very values,
    ("default", "default, 2 epochs") when only the length differs, (None, "custom") otherwise. The preset
    the config started from is tried first; the device never counts (the GPU preset runs anywhere)."""
    names = sorted(PRESETS, key=lambda name: name != config.preset)
    for name in names:
        base = PRESETS[name][1].replace(device=config.device)
        if config == base:
            return name, name
    for name in names:
        base = PRESETS[name][1].replace(device=config.device)
        if config.replace(epochs=base.epochs) == base:
            return name, f"{name}, {counted(config.epochs, 'epoch')}"
    return None, "custom"

"""One self-describing checkpoint format: safe loading, atomic writing, tutorial files too."""

from __future__ import annotations

import contextlib
import functools
import io
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import numpy as np

import fmnist_gui
from fmnist_gui import atomic, checks
from fmnist_gui.config import TrainConfig, preset
from fmnist_gui.data import CLASS_NAMES, NUM_CLASSES
from fmnist_gui.errors import UserFacingError
from fmnist_gui.lazy import lazy_module
from fmnist_gui.models import MODELS, ModelSpec, get_model_spec
from fmnist_gui.safe_text import printable
from fmnist_gui.torch_file import UnreadableFile, load_plain

if TYPE_CHECKING:
    import torch
    from torch import nn

    from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
else:
    torch = lazy_module("torch")
    nn = lazy_module("torch.nn")

FORMAT_NAME = "fmnist-gui checkpoint"
FORMAT_VERSION = 1
ORIGIN_APP = "fmnist-gui"
ORIGIN_STATE_DICT = "bare state_dict"
REQUIRED_KEYS = ("config", "model_state", "optimizer_state", "scheduler_state", "epoch", "step", "history", "batch_history", "class_names")
BATCH_KEYS = ("step", "loss", "lr")
MAX_TEXT = 40  # characters of a class name, origin or version string


class CheckpointError(UserFacingError):
    """A checkpoint that cannot be read or written; the message gives the one-line reason."""


@dataclass(frozen=True)
class Checkpoint:
    config: TrainConfig
    model_state: Mapping[str, torch.Tensor]
    optimizer_state: dict[str, Any] | None = None
    scheduler_state: dict[str, Any] | None = None
    epoch: int = 0  # epochs completed
    step: int = 0  # batches trained, including any part of an unfinished epoch
    history: tuple[EpochSummary, ...] = ()  # one entry per finished epoch
    batch_history: dict[str, list[float]] = field(default_factory=dict)  # step, loss, lr
    class_names: tuple[str, ...] = CLASS_NAMES
    versions: dict[str, str] = field(default_factory=dict)
    origin: str = ORIGIN_APP
    changes: tuple[HyperparameterChange, ...] = ()  # values changed while paused, oldest first; the config has the newest

    @property
    def spec(self) -> ModelSpec:
        return get_model_spec(self.config.model)

    @property
    def best_test_accuracy(self) -> float | None:
        values = [entry.test_accuracy for entry in self.history]
        return max(values) if values else None

    @property
    def extra_batches(self) -> int:
        """Batches trained past the last finished epoch: a run stopped in the middle of one."""
        return max(0, self.step - (self.history[-1].step if self.history else 0))

    @property
    def position(self) -> str:
        """How far training got, for people: "epoch 2", or "epoch 2 + 94 batches" after a stop mid-epoch."""
        extra = self.extra_batches
        return f"epoch {self.epoch}" + (f" + {extra} batch{'es' if extra != 1 else ''}" if extra else "")

    @property
    def trained(self) -> bool:
        """Whether it holds any training: a run's model at step 0 (diverged at once) holds none."""
        return self.step > 0 or self.origin != ORIGIN_APP

    def build_model(self, device: torch.device | str = "cpu") -> nn.Module:
        """The architecture with these weights, on `device`."""
        model = self.spec.create(device)
        model.load_state_dict(self.model_state)
        return model


@functools.cache
def library_versions() -> dict[str, str]:
    """Versions of what wrote a checkpoint. torchvision's comes from its metadata: importing it
    takes seconds, and a training thread that imports holds the GIL all that time."""
    try:
        torchvision_version = metadata.version("torchvision")
    except metadata.PackageNotFoundError:
        torchvision_version = "not installed"
    # str(): torch.__version__ is a TorchVersion, which weights-only loading refuses.
    return {"fmnist_gui": fmnist_gui.__version__, "torch": str(torch.__version__), "torchvision": torchvision_version}


def check_save_target(path: str | os.PathLike[str]) -> Path:
    """The real file a save to `path` would write; CheckpointError if it cannot be (see atomic.check_save_target).

    Call it before work whose result would be lost, as the command line does before training.
    """
    with _as_checkpoint_error():
        return atomic.check_save_target(path)


def refuse_to_replace_other_files(path: str | os.PathLike[str]) -> None:
    """Raise CheckpointError when `path` exists and is not a PyTorch file: `--out` never replaces the data set
    or a document by a typo. (In the window the file dialog has already asked.)"""
    target = Path(path).expanduser()
    try:
        with open(target, "rb") as stream:
            head = stream.read(4)
    except FileNotFoundError:
        return
    except OSError:
        return  # check_save_target says what is wrong with it
    if head and not (head.startswith(b"PK\x03\x04") or head[:1] == b"\x80"):
        raise CheckpointError(f"{printable(target)} exists and is not a checkpoint; choose another name or remove it first.")


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str]) -> Path:
    """Write atomically, through a symlink to its target: any failure is a CheckpointError and keeps the old file."""
    payload = _payload(checkpoint)

    def write(stream: BinaryIO) -> None:
        buffer = io.BytesIO()  # serialised first, so a full disk surfaces as the OS's own error on write
        torch.save(payload, buffer)
        stream.write(buffer.getbuffer())

    with _as_checkpoint_error():
        return atomic.write_atomically(path, write)


@contextlib.contextmanager
def _as_checkpoint_error() -> Iterator[None]:
    try:
        yield
    except atomic.SaveError as exc:
        raise CheckpointError(str(exc)) from None


def _payload(checkpoint: Checkpoint) -> dict[str, Any]:
    """The file's content: plain containers and tensors only, so weights-only loading reads it."""
    spec = checkpoint.spec
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "model_name": spec.name,
        "config": checkpoint.config.to_dict(),
        "model_state": dict(checkpoint.model_state),
        "optimizer_state": checkpoint.optimizer_state,
        "scheduler_state": checkpoint.scheduler_state,
        "epoch": checkpoint.epoch,
        "step": checkpoint.step,
        "history": [entry.to_dict() for entry in checkpoint.history],
        "batch_history": checkpoint.batch_history,
        "class_names": list(checkpoint.class_names),
        "normalization": {"mean": spec.mean, "std": spec.std},
        "versions": dict(checkpoint.versions or library_versions()),
        "origin": checkpoint.origin,
        "changes": [change.to_dict() for change in checkpoint.changes],
    }


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint of ours or a bare state_dict, checked whole; never runs code from the file.

    Any bad file, however damaged or crafted, raises CheckpointError with one line; a returned
    checkpoint's weights are proven to load into its architecture, so build_model needs no try.
    """
    source = Path(path).expanduser()
    name = printable(source.name or source)
    try:
        return _interpret(load_plain(source, name), name)
    except CheckpointError:
        raise
    except UnreadableFile as exc:
        raise CheckpointError(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - the promise is one line for any file; the checks above name the usual faults
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(f"{name} is a damaged checkpoint: {detail}") from None


def _interpret(content: Any, name: str) -> Checkpoint:
    if isinstance(content, dict) and isinstance(content.get("format"), str) and content["format"] == FORMAT_NAME:
        checkpoint = _from_payload(content, name)
    else:
        found = _find_state_dict(content)
        if found is None:
            raise CheckpointError(f"{name} is not a checkpoint: it holds no model weights.")
        state = _checked_weights(found, name)
        model_name = match_architecture(state, name)
        config = preset("quickstart") if model_name == "quickstart-mlp" else TrainConfig(model=model_name)
        checkpoint = Checkpoint(config=config, model_state=state, origin=ORIGIN_STATE_DICT)
    _prove_weights_fit(checkpoint, name)
    return checkpoint


def _checked_weights(state: Mapping[Any, torch.Tensor], name: str) -> dict[str, torch.Tensor]:
    """The weights with any wrapper prefix removed, once every name is text and every value finite."""
    for key, tensor in state.items():
        if not isinstance(key, str):
            raise CheckpointError(f"{name} is damaged: a weight is named {checks.shown(key)}, not by its layer.")
        if (tensor.is_floating_point() or tensor.is_complex()) and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(f"{name} holds NaN or infinite weights (in {printable(key)}); it cannot be used.")
    return _strip_prefix(state)


def _prove_weights_fit(checkpoint: Checkpoint, name: str) -> None:
    """Load the weights into the architecture on the CPU, so later builds cannot fail on the file."""
    expected = checkpoint.spec.build().state_dict()
    for key, tensor in checkpoint.model_state.items():
        if expected[key].is_floating_point() and not tensor.is_floating_point():
            raise CheckpointError(f"{name} holds {printable(key)} as {tensor.dtype}, not as real-valued weights.")
    try:
        checkpoint.build_model("cpu")
    except Exception as exc:  # noqa: BLE001 - whatever load_state_dict objects to, it is the file's fault
        reason = printable(str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__)
        raise CheckpointError(f"{name} holds weights that do not fit {checkpoint.config.model}: {reason}") from None


def _find_state_dict(content: Any) -> dict[str, torch.Tensor] | None:
    """The tensors of a bare state_dict, also when nested under a conventional key."""
    if isinstance(content, dict) and content and all(isinstance(v, torch.Tensor) for v in content.values()):
        return dict(content)
    if isinstance(content, dict):
        for key in ("model_state", "model_state_dict", "state_dict"):
            if key in content:
                return _find_state_dict(content[key])
    return None


def _strip_prefix(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Keys saved from DataParallel or torch.compile carry a prefix the bare model lacks."""
    for prefix in ("module.", "_orig_mod."):
        if all(k.startswith(prefix) for k in state):
            return {k[len(prefix) :]: v for k, v in state.items()}
    return dict(state)


def match_architecture(state: Mapping[str, torch.Tensor], name: str = "The file") -> str:
    """The registered model whose parameter names and shapes are exactly those of `state`."""
    state = _strip_prefix(state)
    found = {k: tuple(v.shape) for k, v in state.items()}
    closest: tuple[int, str, str] | None = None
    for spec in MODELS.values():
        expected = {k: tuple(v.shape) for k, v in spec.build().state_dict().items()}
        if expected == found:
            return spec.name
        shared = expected.keys() & found.keys()
        if closest is None or len(shared) > closest[0]:
            closest = (len(shared), spec.name, _first_difference(expected, found))
    assert closest is not None
    if closest[0] == 0:
        raise CheckpointError(f"{name} holds weights of an unknown model: its layer names match none of {', '.join(MODELS)}.")
    raise CheckpointError(f"{name} holds weights of another shape than {closest[1]}: {closest[2]}.")


def _first_difference(expected: dict[str, tuple[int, ...]], found: dict[str, tuple[int, ...]]) -> str:
    for key, shape in expected.items():
        if key not in found:
            return f"{key} is missing"
        if found[key] != shape:
            return f"{key} is {list(found[key])} in the file, {list(shape)} in the model"
    extra = next(iter(found.keys() - expected.keys()))
    return f"{extra} is not a layer of it"


def _from_payload(content: dict[str, Any], name: str) -> Checkpoint:
    version = content.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise CheckpointError(f"{name} is a damaged fmnist-gui checkpoint: its format version is {checks.shown(version)}.")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{name} was written by a newer fmnist-gui (format {version}); update the app to open it.")
    try:
        return _checkpoint_from(content, name)
    except ValueError as exc:
        raise CheckpointError(f"{name} is a damaged fmnist-gui checkpoint: {str(exc).rstrip('.')}.") from None


def _checkpoint_from(content: dict[str, Any], name: str) -> Checkpoint:
    """Every field checked; ValueError names the first that is wrong."""
    missing = [key for key in REQUIRED_KEYS if key not in content]
    if missing:
        raise ValueError(f"it lacks its {missing[0]}")
    config = TrainConfig.from_stored(content["config"])
    raw_state = checks.mapping(content["model_state"], "model_state")
    if not raw_state or not all(isinstance(v, torch.Tensor) for v in raw_state.values()):
        raise ValueError("its model_state does not hold only tensors")
    state = _checked_weights(raw_state, name)
    model_name = match_architecture(state, name)
    if model_name != config.model:
        raise CheckpointError(f"{name} says it holds a {config.model} but its weights are those of {model_name}.")
    return Checkpoint(
        config=config,
        model_state=state,
        optimizer_state=_optimizer_state_from(content["optimizer_state"]),
        scheduler_state=None if content["scheduler_state"] is None else checks.mapping(content["scheduler_state"], "scheduler_state"),
        epoch=checks.whole(content["epoch"], "epoch"),
        step=checks.whole(content["step"], "step"),
        history=_history_from(content["history"]),
        batch_history=_batch_history_from(content["batch_history"]),
        class_names=_class_names_from(content["class_names"]),
        versions=_versions_from(content.get("versions", {})),
        origin=_short_text(content.get("origin", ORIGIN_APP), "origin"),
        changes=_changes_from(content.get("changes", []), checks.whole(content["step"], "step")),
    )


def _optimizer_state_from(raw: Any) -> dict[str, Any] | None:
    """None, or an optimizer's state_dict: a state per parameter, its groups, all values finite."""
    if raw is None:
        return None
    state = checks.mapping(raw, "optimizer_state")
    checks.mapping(state.get("state"), "optimizer_state's state")
    for group in checks.sequence(state.get("param_groups"), "optimizer_state's param_groups"):
        checks.mapping(group, "an optimizer parameter group")
    if not all(bool(torch.isfinite(t).all()) for t in _float_tensors(state)):
        raise ValueError("its optimizer state holds NaN or infinite values")
    return state


def _float_tensors(value: Any) -> Iterator[torch.Tensor]:
    """Every floating-point tensor inside plain containers (already checked to nest shallowly)."""
    if isinstance(value, torch.Tensor):
        if value.is_floating_point():
            yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _float_tensors(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _float_tensors(item)


def _history_from(raw: Any) -> tuple[EpochSummary, ...]:
    # Imported here: fmnist_gui.engine imports this module, so a top-level import would be circular.
    from fmnist_gui.engine.events import EpochSummary

    summaries = []
    for number, entry in enumerate(checks.sequence(raw, "history"), start=1):
        try:
            summaries.append(EpochSummary.from_dict(entry))
        except ValueError as exc:
            raise ValueError(f"its history entry {number} is wrong: {exc}") from None
    return tuple(summaries)


def _changes_from(raw: Any, step: int) -> tuple[HyperparameterChange, ...]:
    """The values changed while paused (absent from files of earlier versions), none past the checkpoint's step."""
    from fmnist_gui.engine.events import HyperparameterChange  # circular at the top, as for the history

    changes = []
    for number, entry in enumerate(checks.sequence(raw, "changes"), start=1):
        try:
            change = HyperparameterChange.from_dict(entry)
        except ValueError as exc:
            raise ValueError(f"its change {number} is wrong: {exc}") from None
        if change.step > step:
            raise ValueError(f"its change {number} is at step {change.step}, after the checkpoint's step {step}")
        changes.append(change)
    return tuple(changes)


def _batch_history_from(raw: Any) -> dict[str, list[float]]:
    """Empty, or equally long lists of steps, losses and rates: non-negative finite numbers."""
    history = checks.mapping(raw, "batch_history")
    if not history:
        return {}
    if sorted(history, key=str) != sorted(BATCH_KEYS):
        raise ValueError(f"its batch_history must hold {', '.join(BATCH_KEYS)}")
    lists = {key: _numbers(history[key], f"batch_history's {key}", whole=key == "step") for key in BATCH_KEYS}
    if len({len(values) for values in lists.values()}) != 1:
        raise ValueError("its batch_history lists differ in length")
    return lists


def _numbers(raw: Any, what: str, whole: bool) -> list[float]:
    """A list of non-negative finite numbers (whole ones when `whole`), checked at numpy speed."""
    values = checks.sequence(raw, what)
    allowed = {int} if whole else {int, float}
    wrong = next((v for v in values if type(v) not in allowed), None)
    if wrong is not None:
        raise ValueError(f"{what} holds {checks.shown(wrong)}, not only {'whole ' if whole else ''}numbers")
    try:
        array = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise ValueError(f"{what} holds a number too large") from None
    if not (np.isfinite(array).all() and (array >= 0).all()):
        raise ValueError(f"{what} holds negative, NaN or infinite numbers")
    return values


def _class_names_from(raw: Any) -> tuple[str, ...]:
    return tuple(_short_text(name, "a class name") for name in checks.sequence(raw, "class_names", NUM_CLASSES))


def _versions_from(raw: Any) -> dict[str, str]:
    versions = checks.mapping(raw, "versions")
    return {_short_text(k, "a library name"): _short_text(v, "a library version") for k, v in versions.items()}


def _short_text(raw: Any, what: str) -> str:
    """Text a window or terminal shows: 1 to 40 printable characters."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_TEXT or printable(raw) != raw:
        raise ValueError(f"{what} must be 1 to {MAX_TEXT} printable characters, not {checks.shown(raw)}")
    return raw

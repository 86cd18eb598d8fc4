"""One self-describing checkpoint format: safe loading, atomic writing, tutorial files too."""

from __future__ import annotations

import functools
import os
import pickle
from importlib import metadata
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

import fmnist_gui
from fmnist_gui.config import TrainConfig, preset
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.errors import UserFacingError
from fmnist_gui.models import MODELS, ModelSpec, get_model_spec

if TYPE_CHECKING:
    from fmnist_gui.engine.events import EpochSummary

FORMAT_NAME = "fmnist-gui checkpoint"
FORMAT_VERSION = 1
ORIGIN_APP = "fmnist-gui"
ORIGIN_STATE_DICT = "bare state_dict"


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

    @property
    def spec(self) -> ModelSpec:
        return get_model_spec(self.config.model)

    @property
    def best_test_accuracy(self) -> float | None:
        values = [entry.test_accuracy for entry in self.history]
        return max(values) if values else None

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


def save_checkpoint(checkpoint: Checkpoint, path: str | os.PathLike[str]) -> Path:
    """Write atomically: a temporary file beside the target, then os.replace."""
    target = Path(path).expanduser()
    if target.is_dir():
        raise CheckpointError(f"Cannot save to {target}: it is a folder.")
    if not target.parent.is_dir():
        raise CheckpointError(f"Cannot save to {target}: the folder {target.parent} does not exist.")
    spec = checkpoint.spec
    payload = {
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
    }
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise CheckpointError(f"Cannot save to {target}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(handle, "wb") as stream:
            torch.save(payload, stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _file_mode(target))  # mkstemp makes it private; a saved model is an ordinary file
        os.replace(temporary, target)
    except BaseException as exc:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise CheckpointError(f"Cannot save to {target}: {exc.strerror or exc}.") from None
        raise
    return target


def _file_mode(target: Path) -> int:
    """The mode an overwritten file had, or what a newly created file gets under the umask."""
    if target.exists():
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def load_checkpoint(path: str | os.PathLike[str]) -> Checkpoint:
    """Read a checkpoint of ours or a bare state_dict; never runs code from the file."""
    source = Path(path).expanduser()
    name = source.name or str(source)
    if source.is_dir():
        raise CheckpointError(f"{name} is a folder, not a checkpoint file.")
    if not source.exists():
        raise CheckpointError(f"{source} does not exist.")
    try:
        if source.stat().st_size == 0:
            raise CheckpointError(f"{name} is empty: it holds no model weights.")
        # weights_only refuses any object but tensors and plain containers, so loading runs no code.
        content = torch.load(source, map_location="cpu", weights_only=True)
    except CheckpointError:
        raise
    except pickle.UnpicklingError as exc:
        if "GLOBAL" in str(exc) or "Unsupported class" in str(exc):  # a reference to code, refused
            raise CheckpointError(
                f"{name} was refused: it holds Python objects that could run code when loaded, "
                "not only weights."
            ) from None
        raise CheckpointError(f"{name} is not a PyTorch checkpoint (or it is damaged).") from None
    except PermissionError:
        raise CheckpointError(f"{name} cannot be read: permission denied.") from None
    except (RuntimeError, EOFError, OSError, ValueError, UnicodeDecodeError, KeyError, IndexError):
        raise CheckpointError(f"{name} is not a PyTorch checkpoint, or it is truncated or damaged.") from None
    return _interpret(content, name)


def _interpret(content: Any, name: str) -> Checkpoint:
    if isinstance(content, dict) and content.get("format") == FORMAT_NAME:
        return _from_payload(content, name)
    state = _find_state_dict(content)
    if state is None:
        raise CheckpointError(f"{name} is not a checkpoint: it holds no model weights.")
    model_name = match_architecture(state, name)
    config = preset("quickstart") if model_name == "quickstart-mlp" else TrainConfig(model=model_name)
    return Checkpoint(config=config, model_state=_strip_prefix(state), origin=ORIGIN_STATE_DICT)


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
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise CheckpointError(f"{name} was written by a newer fmnist-gui (format {version}); update the app to open it.")
    try:
        config = TrainConfig.from_dict(dict(content["config"]))
        state = content["model_state"]
        if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
            raise TypeError
        model_name = match_architecture(state, name)
        if model_name != config.model:
            raise CheckpointError(f"{name} says it holds a {config.model} but its weights are those of {model_name}.")
        return Checkpoint(
            config=config,
            model_state=state,
            optimizer_state=content.get("optimizer_state"),
            scheduler_state=content.get("scheduler_state"),
            epoch=int(content.get("epoch", 0)),
            step=int(content.get("step", 0)),
            history=_history_from(content.get("history") or []),
            batch_history=dict(content.get("batch_history") or {}),
            class_names=tuple(content.get("class_names") or CLASS_NAMES),
            versions=dict(content.get("versions") or {}),
            origin=str(content.get("origin", ORIGIN_APP)),
        )
    except CheckpointError:
        raise
    except (KeyError, TypeError, ValueError, UserFacingError) as exc:
        detail = f": {exc}" if isinstance(exc, UserFacingError) else ""
        raise CheckpointError(f"{name} is a damaged fmnist-gui checkpoint{detail}") from None


def _history_from(raw: Any) -> tuple[EpochSummary, ...]:
    # Imported here: fmnist_gui.engine imports this module, so a top-level import would be circular.
    from fmnist_gui.engine.events import EpochSummary

    if not isinstance(raw, list):
        raise ValueError("the history is not a list")
    return tuple(EpochSummary.from_dict(entry) for entry in raw)

"""Where runs live and what a run folder holds: names of files and columns, shared by writer and readers."""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from fmnist_gui import atomic
from fmnist_gui.data import CLASS_NAMES

SCHEMA = 1  # of run.json and of `fmnist-gui runs --json`
RUN_JSON = "run.json"
METRICS_CSV = "metrics.csv"
BATCHES_CSV = "batches.csv"
CONFUSION_JSONL = "confusion.jsonl"  # one {"epoch": N, "confusion": [[…]]} line per finished epoch
CHANGES_JSONL = "changes.jsonl"  # one HyperparameterChange.to_dict() line per value changed while paused
DYNAMICS = "dynamics.npz"  # every training image's probability of its label, per epoch (fmnist_gui.dynamics)
CHECKPOINTS = "checkpoints"
TENSORBOARD = "tensorboard"  # event files, when the optional tensorboard package is installed
LAST = "last.pt"
BEST = "best.pt"
TRASH = ".trash"
SWEEPS = "sweeps"  # the sweeps' journals, RUNS_DIR/sweeps/NAME/journal.log (fmnist_gui.sweeps): not a run

METRICS_COLUMNS = ("epoch", "step", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "lr", "seconds")
BATCH_COLUMNS = ("step", "epoch", "loss", "lr")
METRICS_HEADER = METRICS_COLUMNS + CLASS_NAMES  # then one accuracy column per class, in percent

_SNAPSHOT = re.compile(r"epoch-(\d{3,})\.pt")


def default_runs_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--runs-dir, else $FMNIST_RUNS, else $XDG_DATA_HOME/fmnist-gui/runs (~/.local/share/fmnist-gui/runs)."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get("FMNIST_RUNS"):
        return Path(os.environ["FMNIST_RUNS"]).expanduser()
    data_home = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(data_home) / "fmnist-gui" / "runs"


def create_run_folder(runs_dir: Path, model: str) -> Path:
    """A new, empty folder named after the time and the model; mkdir's exclusivity keeps two processes apart."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d_%H%M%S")
    safe_model = re.sub(r"[^A-Za-z0-9_.-]", "_", model)[:40]
    for _ in range(100):
        folder = runs_dir / f"{stamp}-{safe_model}-{secrets.token_hex(2)}"
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"no free run folder name in {runs_dir}")


def snapshot_path(folder: Path, epoch: int) -> Path:
    return folder / CHECKPOINTS / f"epoch-{epoch:03d}.pt"


def snapshot_epoch(path: Path) -> int | None:
    """The epoch of a snapshot file name (epoch-NNN.pt), None for any other name."""
    match = _SNAPSHOT.fullmatch(path.name)
    return int(match.group(1)) if match else None


def snapshots(folder: Path) -> list[tuple[int, Path]]:
    """(epoch, path) of every epoch snapshot in the folder, by epoch; empty when there are none."""
    try:
        entries = list((folder / CHECKPOINTS).iterdir())
    except OSError:
        return []
    found = [(epoch, path) for path in entries if (epoch := snapshot_epoch(path)) is not None]
    return sorted(found)


def last_checkpoint(folder: Path) -> Path | None:
    """checkpoints/last.pt: the latest state of the run, also after a stop mid-epoch."""
    path = folder / CHECKPOINTS / LAST
    return path if path.is_file() else None


def run_folder_of(path: Path) -> Path | None:
    """The run folder a path is or lies in (the folder itself, or a file in its checkpoints/, also
    through a symbolic link to that file), or None."""
    path = Path(path).expanduser()
    candidates = [path, path.parent.parent if path.parent.name == CHECKPOINTS else None]
    try:
        real = path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        real = path
    if real.parent.name == CHECKPOINTS:
        candidates.append(real.parent.parent)
    for candidate in candidates:
        if candidate is not None and (candidate / RUN_JSON).is_file():
            return candidate
    return None


def write_json(path: Path, content: dict[str, Any]) -> None:
    """Replace a JSON file atomically (SaveError when it cannot be written)."""
    text = json.dumps(content, indent=2, allow_nan=False) + "\n"
    atomic.write_bytes(path, text.encode("utf-8"))


def csv_number(value: float | int | None) -> str:
    """A cell: whole numbers as they are, floats exactly (repr), NaN or None as an empty cell."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value) if isinstance(value, int) else repr(float(value))

"""Reading run folders: one run's summary, its metrics, batch reports, changes and dynamics.

Nothing here raises for a bad folder when it summarises: a run whose files cannot be read is a
RunInfo with status "damaged" and the reason in `damage`. Every file is read within the bounds of
what its run can have written (fmnist_gui.runs.bounds), and only if it is a regular file.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from fmnist_gui import checks
from fmnist_gui.config import TrainConfig
from fmnist_gui.engine.events import EpochSummary, HyperparameterChange
from fmnist_gui.dynamics import TrainingDynamics, load_dynamics
from fmnist_gui.runs.bounds import MAX_RUN_JSON, RunBounds
from fmnist_gui.runs.layout import BATCHES_CSV, CHANGES_JSONL, CONFUSION_JSONL, DYNAMICS, METRICS_CSV, RUN_JSON
from fmnist_gui.runs.tables import (LineTail, RunDamaged, batch_arrays, check_nesting, open_run_file, parse_batches, parse_changes,
                                    parse_confusion, parse_metrics)
from fmnist_gui.safe_text import printable

# As run.json stores them; "pruned": a sweep trial its pruner stopped (fmnist_gui.sweeps).
STATUSES = ("running", "completed", "stopped", "pruned", "diverged", "failed")
INTERRUPTED = "interrupted"  # a "running" run whose process is gone
DAMAGED = "damaged"
STALE_AFTER = 120.0  # seconds without a heartbeat before a run on another host counts as interrupted
ENDED = "ended"  # process_start() of a process that ended but was not yet waited for


@dataclass(frozen=True)
class RunInfo:
    """One run folder as the runs table and `fmnist-gui runs` show it."""

    folder: Path
    id: str
    name: str
    created: str  # ISO 8601 local time with milliseconds and its UTC offset
    status: str  # running, completed, stopped, pruned, diverged, failed, interrupted, damaged
    model: str
    optimizer: str
    lr: float
    epochs_done: int
    epochs_asked: int
    best_accuracy: float | None  # percent
    best_epoch: int | None
    duration: float  # seconds of training, pauses excluded, over all sessions of the run
    message: str
    note: str
    device: str
    config: TrainConfig | None
    damage: str | None  # why a damaged run could not be read, one line; None otherwise
    seed: int | None


def read_run(folder: Path) -> RunInfo:
    """The run in `folder`; never raises (a folder that cannot be read is "damaged")."""
    folder = Path(folder)
    try:
        return _read_run(folder)
    except Exception as exc:  # noqa: BLE001 - one run that cannot be read must never hide the others
        return run_info(folder, {}, [], damage=f"it cannot be read: {type(exc).__name__}.")


def _read_run(folder: Path) -> RunInfo:
    try:
        raw = load_run_json(folder)
    except RunDamaged as exc:
        return run_info(folder, {}, [], damage=str(exc))
    bounds = RunBounds.of(raw)
    try:
        epochs = read_metrics(folder)
        last = max((entry.epoch for entry in epochs), default=0)
        if last > bounds.epochs:
            raise RunDamaged(f"{METRICS_CSV} holds epoch {last}; its run asked for {bounds.epochs}.")
        _check_batches_header(folder, bounds)
    except RunDamaged as exc:
        return run_info(folder, raw, [], damage=str(exc))
    return run_info(folder, raw, epochs)


def read_dynamics(folder: Path) -> TrainingDynamics | None:
    """The run's per-image training dynamics; None when it has none (recorded before they were, or
    no epoch finished yet); DynamicsDamaged when the file cannot be read or holds more epochs than its run."""
    try:
        return load_dynamics(Path(folder) / DYNAMICS, _bounds(folder).epochs)
    except FileNotFoundError:
        return None


def read_metrics(folder: Path) -> list[EpochSummary]:
    """The finished epochs in metrics.csv (with their confusion matrices); [] without the file.

    A half-written last line is ignored; any other bad line raises RunDamaged.
    """
    metrics = _tail(folder, METRICS_CSV).read()
    confusion: dict[int, Any] = {}
    parse_confusion(_tail(folder, CONFUSION_JSONL).read(), 1, confusion)
    return parse_metrics(metrics, 1, confusion, METRICS_CSV)


def read_batches(folder: Path) -> dict[str, np.ndarray]:
    """batches.csv as arrays "step", "epoch" (int64), "loss", "lr"; tolerant of a half-written last line."""
    return batch_arrays(parse_batches(_tail(folder, BATCHES_CSV, _bounds(folder)).read(), 1, BATCHES_CSV))


def read_changes(folder: Path) -> list[HyperparameterChange]:
    """changes.jsonl: the values changed while the run was paused, oldest first; [] without the file."""
    return parse_changes(_tail(folder, CHANGES_JSONL).read(), 1, CHANGES_JSONL)


def _tail(folder: Path, name: str, bounds: RunBounds = RunBounds()) -> LineTail:
    return LineTail(Path(folder) / name, bounds.table(name))


def _bounds(folder: Path) -> RunBounds:
    """What the run in `folder` can have written, by its run.json; the most any run can when that is unreadable."""
    try:
        return RunBounds.of(load_run_json(folder))
    except RunDamaged:
        return RunBounds()


def load_run_json(folder: Path) -> dict[str, Any]:
    """run.json's content as a dict; RunDamaged for a missing, huge, deeply nested or malformed file."""
    try:
        with open_run_file(Path(folder) / RUN_JSON, MAX_RUN_JSON) as stream:
            data = stream.read(os.fstat(stream.fileno()).st_size + 1)  # read(MAX_RUN_JSON) would allocate all of it
    except FileNotFoundError:
        raise RunDamaged(f"it holds no {RUN_JSON}.") from None
    except OSError as exc:
        raise RunDamaged(f"{RUN_JSON} cannot be read: {exc.strerror or exc}.") from None
    if len(data) > MAX_RUN_JSON:
        raise RunDamaged(f"{RUN_JSON} is too large to be a run's description.")
    check_nesting(data, RUN_JSON)
    try:
        content = json.loads(data.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError is one
        raise RunDamaged(f"{RUN_JSON} is not valid JSON (truncated or damaged).") from None
    if not isinstance(content, dict):
        raise RunDamaged(f"{RUN_JSON} does not hold a JSON object.")
    return content


def run_info(folder: Path, raw: dict[str, Any], epochs: list[EpochSummary], damage: str | None = None) -> RunInfo:
    """A RunInfo from run.json's content and the finished epochs; bad values make it "damaged".

    A run whose config cannot be read is damaged and shows no config: never the defaults, which it never had.
    """
    stored = raw.get("config")
    config_values: dict[str, Any] = stored if isinstance(stored, dict) else {}
    try:
        config: TrainConfig | None = _config(raw)
    except ValueError as exc:
        config, damage = None, damage or f"{RUN_JSON}: {exc}."
    status, created, epochs_done, duration = DAMAGED, _text(raw, "created", strict=False), 0, 0.0
    if damage is None:
        try:
            status = _status(raw)
            created = _text(raw, "created")
            epochs_done = epochs[-1].epoch if epochs else checks.whole(raw.get("epochs_done", 0), "epochs_done")
            duration = checks.finite(raw.get("duration", 0.0), "duration", 0.0)
        except ValueError as exc:
            status, damage = DAMAGED, f"{RUN_JSON}: {exc}."
    listed = raw.get("unsaved_epochs")
    unsaved: list[Any] = listed if isinstance(listed, list) else []
    kept = [e for e in epochs if e.epoch not in unsaved]  # never the best of a snapshot that was not written
    best = max(kept, key=lambda e: e.test_accuracy, default=None)  # the first of equal ones
    return RunInfo(
        folder=folder,
        id=_text(raw, "id", strict=False) or printable(folder.name),
        name=_text(raw, "name", strict=False) or printable(folder.name),
        created=created,
        status=status,
        model=config.model if config else _text(config_values, "model", strict=False),
        optimizer=config.optimizer if config else _text(config_values, "optimizer", strict=False),
        lr=config.lr if config else float("nan"),
        epochs_done=epochs_done,
        epochs_asked=config.epochs if config else 0,
        best_accuracy=best.test_accuracy if best else None,
        best_epoch=best.epoch if best else None,
        duration=duration,
        message=_text(raw, "message", strict=False),
        note="\n".join(printable(line) for line in _text(raw, "note", strict=False, lines=True).splitlines()),
        device=_text(raw, "device", strict=False),
        config=config,
        damage=None if damage is None else printable(damage),
        seed=config.seed if config else None,
    )


def _status(raw: dict[str, Any]) -> str:
    status = raw.get("status")
    if status not in STATUSES:
        raise ValueError(f"its status is {checks.shown(status)}, not one of {', '.join(STATUSES)}")
    if status == "running" and not process_alive(raw):
        return INTERRUPTED
    return status


def process_alive(raw: dict[str, Any]) -> bool:
    """Whether the process that writes a "running" run still runs.

    On this host its pid (and the start time recorded beside it) tells; for another host only
    the heartbeat can, so a run there that stays paused for minutes reads as interrupted.
    """
    pid, host = raw.get("pid"), raw.get("host")
    if host == socket.gethostname() and isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 and os.name == "posix":
        if pid == os.getpid():
            return True
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except OSError:
            pass  # it exists but belongs to someone else
        started = process_start(pid)
        return started != ENDED and (started is None or raw.get("pid_start") in (None, started))
    heartbeat = raw.get("heartbeat")
    return isinstance(heartbeat, (int, float)) and time.time() - heartbeat < STALE_AFTER


def process_start(pid: int) -> str | None:
    """When a process started (Linux /proc, clock ticks since boot), or None: tells a reused pid apart.

    A zombie, a process that ended but was not yet waited for, counts as ended.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return ENDED
    return fields[19]


def _config(raw: dict[str, Any]) -> TrainConfig:
    """run.json's config, every field present and valid; ValueError says why it is not."""
    if "config" not in raw:
        raise ValueError("it holds no config")
    return TrainConfig.from_stored(raw["config"], complete=True)


def _text(raw: dict[str, Any], key: str, strict: bool = True, lines: bool = False) -> str:
    """A text field made printable (unless `lines`: the caller cleans each line); a missing or
    non-text field is "" or, when strict, a ValueError."""
    value = raw.get(key)
    if isinstance(value, str):
        return value[:10_000] if lines else printable(value)[:500]
    if strict:
        raise ValueError(f"its {key} is {checks.shown(value)}, not text")
    return ""


def _check_batches_header(folder: Path, bounds: RunBounds) -> None:
    """Only its size and header: the table must not parse every batch report of every run."""
    parse_batches(_tail(folder, BATCHES_CSV, bounds).read(most=1), 1, BATCHES_CSV)

"""The run recorder: an engine callback that writes every run into its own folder as it trains.

It only observes: a file it cannot write becomes a one-line warning, never a failed run.
"""

from __future__ import annotations

import bisect
import json
import math
import os
import secrets
import socket
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from fmnist_gui import atomic
from fmnist_gui.checkpoint import Checkpoint, CheckpointError, library_versions, save_checkpoint
from fmnist_gui.dynamics import DynamicsDamaged, TrainingDynamics, load_dynamics, save_dynamics
from fmnist_gui.engine.callbacks import Callback, RunContext
from fmnist_gui.engine.events import BatchRecord, EpochRecord, EpochSummary, RunFinished, RunStarted
from fmnist_gui.engine.events import HyperparameterChange
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs import layout, tensorboard
from fmnist_gui.runs.layout import BATCH_COLUMNS, BATCHES_CSV, CONFUSION_JSONL, METRICS_CSV, METRICS_HEADER, RUN_JSON, csv_number
from fmnist_gui.runs.layout import CHANGES_JSONL
from fmnist_gui.runs.manage import rename_run
from fmnist_gui.runs.reader import load_run_json, process_start, read_batches, read_metrics
from fmnist_gui.runs.tables import RunDamaged
from fmnist_gui.safe_text import printable

HEARTBEAT_SECONDS = 10.0  # run.json's heartbeat during an epoch
FLUSH_SECONDS = 1.0  # batch reports reach the file (not the disk) this often, for followers
USER_FIELDS = ("name", "note")  # edited by people while a run trains: always taken from the file


class RunRecorder(Callback):
    """Records a run in a new folder under `runs_dir`, or goes on with the folder of `resume`.

    The run's context (handed to `setup()`) supplies the weights of each snapshot and the
    checkpoint a run resumes from. `resume` is a run folder or a checkpoint inside one; the
    folder is continued when the resumed checkpoint is its latest state (else a new folder is made).
    """

    def __init__(self, runs_dir: Path, name: str | None = None, resume: Path | None = None, keep: int = 50,
                 on_warning: Callable[[str], None] | None = None) -> None:
        self.runs_dir = Path(runs_dir).expanduser()
        self.name = name
        self.resume = Path(resume).expanduser() if resume is not None else None
        self.keep = max(1, keep)
        self.on_warning = on_warning  # called in the training thread with each new warning
        self.folder: Path | None = None
        self.warnings: list[str] = []
        self._run: RunContext | None = None
        self._files: dict[str, IO[str]] = {}
        self._events: tensorboard.EventWriter | None = None  # when the tensorboard package is installed
        self._meta: dict[str, Any] = {}
        self._history: list[EpochSummary] = []
        self._dynamics: TrainingDynamics | None = None  # None when the trainer is unknown
        self._last_step = -1  # the step of the checkpoint in last.pt
        self._base_duration = 0.0  # seconds trained in the folder's earlier sessions
        self._flushed = self._heartbeat = 0.0

    # Engine hooks
    def setup(self, run: RunContext) -> None:
        self._run = run

    def on_fit_start(self, run: RunStarted) -> None:
        start = self._run.resume_from if self._run is not None else None
        try:
            self._open(run, start)
        except (OSError, UserFacingError) as exc:
            self._close_files()
            self.folder = None
            self._warn(f"Runs are not recorded: {printable(self.runs_dir)} is not writable ({_reason(exc)}).")
            return
        if tensorboard.available():
            self._events = tensorboard.EventWriter(self.folder, self._events_failed)
            self._events.open(purge_step=start.step + 1 if start is not None else None)

    def on_batch_end(self, record: BatchRecord) -> None:
        if self.folder is None:
            return
        self._append(BATCHES_CSV, f"{record.step},{record.epoch},{csv_number(record.loss)},{csv_number(record.lr)}\n")
        if self._events is not None:
            self._events.batch(record.step, record.loss, record.lr)
        now = time.monotonic()
        if now - self._flushed >= FLUSH_SECONDS:
            self._flushed = now
            self._sync(BATCHES_CSV, durable=False)
        if now - self._heartbeat >= HEARTBEAT_SECONDS:
            self._update(duration=self._base_duration + record.elapsed)

    def on_epoch_end(self, record: EpochRecord) -> None:
        if self.folder is None:
            return
        summary = record.summary()
        self._history.append(summary)
        # The matrix goes first: a reader that sees the metrics row finds it.
        self._append(CONFUSION_JSONL, json.dumps({"epoch": summary.epoch, "confusion": summary.confusion}) + "\n")
        self._sync(CONFUSION_JSONL)
        self._append(METRICS_CSV, _metrics_row(summary))
        for name in (METRICS_CSV, BATCHES_CSV):
            self._sync(name)
        if self._events is not None:
            self._events.epoch(summary)
        if self._dynamics is not None and record.train_dynamics is not None:
            self._dynamics = self._dynamics.with_epoch(record.train_dynamics, record.test_probabilities)
            self._save_dynamics()
        checkpoint = self._run.checkpoint() if self._run is not None else None
        if checkpoint is not None and checkpoint.epoch == summary.epoch:
            self._save_snapshot(checkpoint)
        self._update(epochs_done=summary.epoch, duration=self._base_duration + record.elapsed, **self._best())

    def on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        """A line in changes.jsonl, on disk at once (changes are rare); run.json's config gets the new value."""
        if self.folder is None:
            return
        self._append(CHANGES_JSONL, json.dumps(change.to_dict()) + "\n")
        self._sync(CHANGES_JSONL)
        if isinstance(self._meta.get("config"), dict):
            self._update(config={**self._meta["config"], change.field: change.new})

    def on_fit_end(self, result: RunFinished) -> None:
        if self.folder is None:
            return
        self._sync(BATCHES_CSV)
        self._close_files()
        if self._events is not None:
            self._events.close()
            self._events = None
        checkpoint = self._run.checkpoint() if self._run is not None else None
        if checkpoint is not None and checkpoint.trained and checkpoint.step != self._last_step:
            self._save_last(checkpoint)  # stopped mid-epoch: its batch position is in the step
        unfinished = self._run.unfinished_dynamics if self._run is not None else None
        if self._dynamics is not None and unfinished is not None:
            self._dynamics = self._dynamics.with_unfinished(unfinished)
            self._save_dynamics()
        self._update(status=result.reason.value, message=result.message, finished=_now(),
                     duration=self._base_duration + result.elapsed)

    # The folder
    def _open(self, run: RunStarted, start: Checkpoint | None) -> None:
        continued = self._continuable(start)
        if continued is not None:
            self.folder, self._meta = continued
            self._base_duration = float(self._meta.get("duration") or 0.0)
            if self.name:
                rename_run(self.folder, self.name)
            self._rewrite_tables(start)
            self._dynamics = self._earlier_dynamics(self.folder, start, keep_unfinished=True)
        else:
            self.folder = layout.create_run_folder(self.runs_dir, run.config.model)
            self._meta = self._new_meta(run, start)
            self._write_run_json()  # first, so the folder is a run from the start
            self._rewrite_tables(start)
            if start is not None and start.trained:
                self._seed_checkpoints(start)
            parent = layout.run_folder_of(self.resume) if self.resume is not None else None
            self._dynamics = self._earlier_dynamics(parent, start, keep_unfinished=False)
            if self._dynamics is not None and self._dynamics.epoch_count:
                self._save_dynamics()
        self._meta.update(status="running", message="", pid=os.getpid(), pid_start=process_start(os.getpid()),
                          host=socket.gethostname(), config=run.config.to_dict(), device=run.device_name,
                          epochs_asked=run.config.epochs, versions=dict(library_versions()))
        self._meta.pop("finished", None)
        self._write_run_json()
        for name in (METRICS_CSV, BATCHES_CSV, CONFUSION_JSONL, CHANGES_JSONL):
            self._files[name] = open(self.folder / name, "a", encoding="utf-8")

    def _earlier_dynamics(self, folder: Path | None, start: Checkpoint | None, keep_unfinished: bool) -> TrainingDynamics | None:
        """The dynamics this run goes on from: the resumed folder's up to where it starts, else none yet."""
        if self._run is None:
            return None
        data = self._run.data
        empty = TrainingDynamics.empty(data.train_labels.cpu().numpy(), data.test_labels.cpu().numpy())
        path = folder / layout.DYNAMICS if folder is not None else None
        if start is None or path is None:
            return empty
        try:
            earlier = load_dynamics(path)
        except FileNotFoundError:
            return empty
        except DynamicsDamaged as exc:
            self._warn(f"The training dynamics of {printable(folder.name)} are not continued ({exc})")
            return empty
        if not earlier.matches(empty.train_labels, empty.test_labels):
            self._warn(f"The training dynamics of {printable(folder.name)} are of other data; this run's start anew.")
            return empty
        earlier = earlier.until(start.epoch)
        return earlier if keep_unfinished else earlier.with_unfinished(None)

    def _save_dynamics(self) -> None:
        assert self.folder is not None and self._dynamics is not None
        try:
            save_dynamics(self._dynamics, self.folder / layout.DYNAMICS)
        except (OSError, UserFacingError) as exc:
            self._warn(f"{layout.DYNAMICS} of run {self.folder.name} could not be written ({_reason(exc)}); training goes on.")

    def _continuable(self, start: Checkpoint | None) -> tuple[Path, dict[str, Any]] | None:
        """The resumed run's folder and run.json when the run goes on from the folder's latest state."""
        folder = layout.run_folder_of(self.resume) if self.resume is not None else None
        if folder is None:
            return None
        try:
            meta = load_run_json(folder)
            last_step = meta.get("last_step", 0)
            if start is not None and isinstance(last_step, int) and start.step < last_step:
                return None  # an earlier snapshot: a new branch of the run, in a new folder
            self._history = read_metrics(folder)
            read_batches(folder)
        except RunDamaged as exc:
            self._warn(f"{printable(folder.name)} cannot be continued ({exc}); this run is recorded in a new folder.")
            self._history = []
            return None
        self._last_step = start.step if start is not None else -1
        return folder, meta

    def _new_meta(self, run: RunStarted, start: Checkpoint | None) -> dict[str, Any]:
        assert self.folder is not None
        config = run.config
        name = self.name or f"{config.model} {config.optimizer} lr {config.lr:g} seed {config.seed}"
        parent = layout.run_folder_of(self.resume) if self.resume is not None else None
        branch: dict[str, Any] = {}
        if parent is not None and start is not None:  # a new branch from an earlier snapshot of that run
            branch = {"parent": parent.name}
            parent_name = _stored_name(parent)
            name = self.name or f"{parent_name or name} (from {start.position})"
        self._history = list(start.history) if start is not None else []
        self._base_duration = sum(entry.seconds for entry in self._history)
        return {"schema": layout.SCHEMA, "id": self.folder.name, "name": printable(name), "note": "", "created": _now(), **branch,
                "status": "running", "epochs_done": start.epoch if start else 0, "last_step": 0,
                "parameters": run.parameter_count, "train_size": run.train_size, "test_size": run.test_size,
                "batches_per_epoch": run.batches_per_epoch}

    def _rewrite_tables(self, start: Checkpoint | None) -> None:
        """Write the CSVs anew up to where the run starts: rows a resumed run will retrain are dropped,
        and so is a line a killed process left half-written."""
        assert self.folder is not None
        epoch, step = (start.epoch, start.step) if start is not None else (math.inf, math.inf)
        if (self.folder / BATCHES_CSV).exists():
            previous = {key: values.tolist() for key, values in read_batches(self.folder).items()}
        else:
            previous = _batches_of(start) if start is not None else None
        self._history = [entry for entry in self._history if entry.epoch <= epoch]
        metrics = [",".join(METRICS_HEADER) + "\n"] + [_metrics_row(entry) for entry in self._history]
        confusion = [json.dumps({"epoch": e.epoch, "confusion": e.confusion}) + "\n" for e in self._history]
        batches = [",".join(BATCH_COLUMNS) + "\n"]
        if previous is not None:
            rows = zip(*(previous[key] for key in BATCH_COLUMNS))
            batches += [f"{s},{e},{csv_number(loss)},{csv_number(lr)}\n" for s, e, loss, lr in rows if s <= step]
        changes = [json.dumps(change.to_dict()) + "\n" for change in (start.changes if start is not None else ())]
        for name, lines in ((METRICS_CSV, metrics), (CONFUSION_JSONL, confusion), (BATCHES_CSV, batches), (CHANGES_JSONL, changes)):
            text = "".join(lines).encode("utf-8")
            atomic.write_atomically(self.folder / name, lambda stream, text=text: stream.write(text))

    def _seed_checkpoints(self, start: Checkpoint) -> None:
        """A run resumed from a checkpoint outside this folder starts with that checkpoint in it."""
        if start.extra_batches == 0 and start.history:
            self._save_snapshot(start)
        else:
            self._save_last(start)

    # Checkpoints
    def _save_snapshot(self, checkpoint: Checkpoint) -> None:
        """epoch-NNN.pt, then last.pt and (when it is the best epoch) best.pt; then retention."""
        assert self.folder is not None
        path = layout.snapshot_path(self.folder, checkpoint.epoch)
        if not self._save(checkpoint, path):
            return
        self._link_or_save(path, layout.LAST, checkpoint)
        self._last_step = checkpoint.step
        self._meta["last_step"] = checkpoint.step
        if self._best().get("best_epoch") == checkpoint.epoch:
            self._link_or_save(path, layout.BEST, checkpoint)
        self._retain(checkpoint.epoch)

    def _save_last(self, checkpoint: Checkpoint) -> None:
        assert self.folder is not None
        if self._save(checkpoint, self.folder / layout.CHECKPOINTS / layout.LAST):
            self._last_step = checkpoint.step
            self._meta["last_step"] = checkpoint.step

    def _save(self, checkpoint: Checkpoint, path: Path) -> bool:
        try:
            path.parent.mkdir(exist_ok=True)
            save_checkpoint(checkpoint, path)
        except (OSError, CheckpointError) as exc:
            self._warn(f"{path.name} of run {self.folder.name if self.folder else ''} was not saved ({_reason(exc)}); "
                       "the snapshots saved before are kept and training goes on.")
            return False
        return True

    def _link_or_save(self, source: Path, name: str, checkpoint: Checkpoint) -> None:
        """`name` as a hard link to `source` (no second copy on disk), replaced atomically; a copy where links fail."""
        target = source.parent / name
        temporary = source.parent / f".{name}.{secrets.token_hex(4)}.tmp"
        try:
            os.link(source, temporary)
            os.replace(temporary, target)
        except OSError:
            temporary.unlink(missing_ok=True)
            self._save(checkpoint, target)

    def _retain(self, newest: int) -> None:
        """Keep at most `keep` epoch snapshots; the first, the best and the newest always stay."""
        assert self.folder is not None
        saved = layout.snapshots(self.folder)
        kept = {saved[0][0], newest, self._best().get("best_epoch")}
        removable = [path for epoch, path in saved if epoch not in kept]
        for path in removable[: max(0, len(saved) - self.keep)]:
            try:
                path.unlink()
            except OSError as exc:
                self._warn(f"An old snapshot, {path.name}, could not be removed ({_reason(exc)}).")

    def _best(self) -> dict[str, Any]:
        best = max(self._history, key=lambda entry: entry.test_accuracy, default=None)
        return {"best_epoch": best.epoch, "best_accuracy": best.test_accuracy} if best else {}

    # Files
    def _append(self, name: str, line: str) -> None:
        stream = self._files.get(name)
        if stream is None:
            return
        try:
            stream.write(line)
        except (OSError, ValueError) as exc:
            self._lose(name, exc)

    def _sync(self, name: str, durable: bool = True) -> None:
        """Flush to the file (followers see it) and, when durable, to the disk (a crash keeps it)."""
        stream = self._files.get(name)
        if stream is None:
            return
        try:
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        except (OSError, ValueError) as exc:
            self._lose(name, exc)

    def _lose(self, name: str, exc: BaseException) -> None:
        """A table that failed to write is not written again: a later row could join a half-written one."""
        self._files.pop(name, None)
        self._warn(f"{name} of run {self.folder.name if self.folder else ''} can no longer be written ({_reason(exc)}); "
                   "training goes on.")

    def _close_files(self) -> None:
        for name, stream in list(self._files.items()):
            try:
                stream.close()
            except OSError as exc:
                self._lose(name, exc)
        self._files.clear()

    def _events_failed(self, exc: BaseException) -> None:
        self._warn(f"TensorBoard event files of run {self.folder.name if self.folder else ''} are no longer written "
                   f"({_reason(exc)}); training goes on.")

    def _update(self, **changes: Any) -> None:
        self._meta.update(changes)
        self._write_run_json()

    def _write_run_json(self) -> None:
        """run.json with a fresh heartbeat; the name and note are read back first, as people edit them."""
        assert self.folder is not None
        self._heartbeat = time.monotonic()
        try:
            on_disk = load_run_json(self.folder)
        except RunDamaged:
            on_disk = {}
        for key in USER_FIELDS:
            if isinstance(on_disk.get(key), str):
                self._meta[key] = on_disk[key]
        self._meta["heartbeat"] = time.time()
        try:
            layout.write_json(self.folder / RUN_JSON, self._meta)
        except (OSError, UserFacingError) as exc:
            self._warn(f"{RUN_JSON} of run {self.folder.name} could not be updated ({_reason(exc)}).")

    def _warn(self, message: str) -> None:
        """Each distinct warning once, in `warnings` and to `on_warning`."""
        if message in self.warnings:
            return
        self.warnings.append(message)
        if self.on_warning is not None:
            self.on_warning(message)


def _metrics_row(summary: EpochSummary) -> str:
    head = (summary.epoch, summary.step, summary.train_loss, summary.train_accuracy, summary.test_loss,
            summary.test_accuracy, summary.lr, summary.seconds)
    return ",".join(csv_number(v) for v in (*head, *summary.per_class_accuracy)) + "\n"


def _batches_of(checkpoint: Checkpoint) -> dict[str, list[Any]]:
    """A checkpoint's batch history with the epoch of each step, as batches.csv holds it."""
    ends = [entry.step for entry in checkpoint.history]
    steps = [int(s) for s in checkpoint.batch_history.get("step", [])]
    return {"step": steps, "epoch": [bisect.bisect_left(ends, s) + 1 for s in steps],
            "loss": list(checkpoint.batch_history.get("loss", [])), "lr": list(checkpoint.batch_history.get("lr", []))}


def _stored_name(folder: Path) -> str | None:
    try:
        name = load_run_json(folder).get("name")
    except RunDamaged:
        return None
    return name if isinstance(name, str) else None


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return printable(str(exc).rstrip(".")) or type(exc).__name__

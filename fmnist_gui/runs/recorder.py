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
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.dynamics import DynamicsDamaged, TrainingDynamics, load_dynamics, save_dynamics
from fmnist_gui.engine.callbacks import Callback, RunContext
from fmnist_gui.engine.events import BatchRecord, EpochRecord, EpochSummary, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.events import HyperparameterChange
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs import layout, tensorboard
from fmnist_gui.runs.layout import BATCH_COLUMNS, BATCHES_CSV, CONFUSION_JSONL, METRICS_CSV, METRICS_HEADER, RUN_JSON, csv_number
from fmnist_gui.runs.layout import CHANGES_JSONL
from fmnist_gui.runs.lock import FolderBusy, WriterLock, run_json_edit
from fmnist_gui.runs.manage import rename_run
from fmnist_gui.runs.reader import load_run_json, process_start, read_batches, read_metrics
from fmnist_gui.runs.tables import RunDamaged
from fmnist_gui.safe_text import printable

HEARTBEAT_SECONDS = 10.0  # run.json's heartbeat during an epoch
FLUSH_SECONDS = 1.0  # batch reports reach the file (not the disk) this often, for followers
USER_FIELDS = ("name", "note")  # edited by people while a run trains: always taken from the file


class RecordingError(UserFacingError):
    """The run cannot be recorded at all (no folder can be made, or the runs folder is not writable)."""


class RunRecorder(Callback):
    """Records a run in a new folder under `runs_dir`, or goes on with the folder of `resume`.

    The run's context (handed to `setup()`) supplies the weights of each snapshot and the
    checkpoint a run resumes from. `resume` is a run folder or a checkpoint inside one; the
    folder is continued when the resumed checkpoint is its latest state and the folder can be
    read whole (else a new folder is made, and a warning says why).

    Call `prepare()` before training to take the folder, and its writer lock, up front: it raises
    when nothing can be recorded, so a caller can refuse to train a model it would keep nowhere.
    Otherwise the folder is taken when the run starts, and a failure is a warning.
    """

    def __init__(self, runs_dir: Path, name: str | None = None, resume: Path | None = None, keep: int = 50,
                 on_warning: Callable[[str], None] | None = None, fields: dict[str, Any] | None = None) -> None:
        self.runs_dir = Path(runs_dir).expanduser()
        self.fields = dict(fields or {})  # what else run.json carries (a sweep trial's `sweep` and `trial`)
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
        self._lock: WriterLock | None = None
        self._unsaved: dict[int, str] = {}  # epochs whose snapshot could not be written, and why
        self._last_failure = ""  # why the last checkpoint save failed
        self._final_step: int | None = None  # the step of the model the run ended with
        self._ending: tuple[str, str] | None = None  # finish_as(): the status and message a stop ends with

    def prepare(self, config: TrainConfig, start: Checkpoint | None, data: FashionMNIST | None,
                when_busy: str = "refuse") -> Path:
        """Take the run's folder now: the resumed one (locked for this writer) or a new one. Returns it.

        `data` lets the training dynamics go on from the resumed folder's (None: they start anew).
        A resumed folder that another process records into raises FolderBusy (`when_busy` "refuse")
        or is left alone for a new folder, with a warning ("branch"). RecordingError when no folder
        can be made or written at all; nothing is left locked or open then.
        """
        if self.folder is not None:
            return self.folder
        try:
            self._open(config, start, data, when_busy)
        except FolderBusy:
            self._abandon()
            raise
        except (OSError, UserFacingError) as exc:
            self._abandon()
            raise RecordingError(f"Runs cannot be recorded in {printable(self.runs_dir)}: {_reason(exc)}.") from None
        assert self.folder is not None
        return self.folder

    def finish_as(self, status: str, message: str) -> None:
        """When the run ends by a stop, run.json says `status` and `message` instead of "stopped": a sweep's
        pruned trial is stopped by its pruner, and readers should tell it from a stop by hand. A run that
        ends any other way (completed, failed) keeps its own reason."""
        self._ending = (status, message)

    @property
    def final_model_saved(self) -> bool:
        """After the run: whether the model it ended with is in the folder (checkpoints/last.pt)."""
        return self.folder is not None and self._final_step is not None and self._last_step == self._final_step

    # Engine hooks
    def setup(self, run: RunContext) -> None:
        self._run = run

    def on_fit_start(self, run: RunStarted) -> None:
        start = self._run.resume_from if self._run is not None else None
        if self.folder is None:
            try:
                self.prepare(run.config, start, self._run.data if self._run is not None else None, when_busy="branch")
            except (FolderBusy, RecordingError) as exc:
                self._warn(f"{exc} This run is not recorded.")
                return
        assert self.folder is not None
        self._meta.update(device=run.device_name, execution=run.execution, parameters=run.parameter_count,
                          train_size=run.train_size, test_size=run.test_size, batches_per_epoch=run.batches_per_epoch)
        self._write_run_json()
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
        self._final_step = checkpoint.step if checkpoint is not None else None
        unfinished = self._run.unfinished_dynamics if self._run is not None else None
        if self._dynamics is not None and unfinished is not None:
            self._dynamics = self._dynamics.with_unfinished(unfinished)
            self._save_dynamics()
        status, message = result.reason.value, result.message
        if self._ending is not None and result.reason is FinishReason.STOPPED:
            status, message = self._ending
        self._update(status=status, message=message + self._unsaved_note(), finished=_now(),
                     duration=self._base_duration + result.elapsed, **self._best())
        self._abandon(keep_folder=True)

    def _unsaved_note(self) -> str:
        """What the run's message adds when snapshots were lost: their epochs and the reason."""
        if not self._unsaved:
            return ""
        epochs = sorted(self._unsaved)
        which = f"epoch {epochs[0]}" if len(epochs) == 1 else f"epochs {_ranges(epochs)}"
        return f" The snapshot of {which} could not be written ({self._unsaved[epochs[-1]]})."

    def _abandon(self, keep_folder: bool = False) -> None:
        """Close the tables and let the folder's writer lock go; forget the folder unless asked to keep it."""
        self._close_files()
        if self._lock is not None:
            self._lock.release()
            self._lock = None
        if not keep_folder:
            self.folder = None

    # The folder
    def _open(self, config: TrainConfig, start: Checkpoint | None, data: FashionMNIST | None, when_busy: str) -> None:
        continued = self._continuable(start, when_busy)
        if continued is not None:
            self.folder, self._meta = continued
            self._base_duration = float(self._meta.get("duration") or 0.0)
            if self.name:
                rename_run(self.folder, self.name)
            self._rewrite_tables(start)
            self._dynamics = self._earlier_dynamics(self.folder, start, data, keep_unfinished=True)
        else:
            self.folder = layout.create_run_folder(self.runs_dir, config.model)
            self._lock = WriterLock.take(self.folder)
            self._meta = self._new_meta(config, start)
            self._write_run_json()  # first, so the folder is a run from the start
            self._rewrite_tables(start)
            if start is not None and start.trained:
                self._seed_checkpoints(start)
            parent = layout.run_folder_of(self.resume) if self.resume is not None else None
            self._dynamics = self._earlier_dynamics(parent, start, data, keep_unfinished=False)
            if self._dynamics is not None and self._dynamics.epoch_count:
                self._save_dynamics()
        self._meta.update(self.fields)
        self._meta.update(status="running", message="", pid=os.getpid(), pid_start=process_start(os.getpid()),
                          host=socket.gethostname(), config=config.to_dict(), device=config.device,
                          epochs_asked=config.epochs, versions=dict(library_versions()))
        self._meta.pop("finished", None)
        self._write_run_json()
        for name in (METRICS_CSV, BATCHES_CSV, CONFUSION_JSONL, CHANGES_JSONL):
            self._files[name] = open(self.folder / name, "a", encoding="utf-8")

    def _earlier_dynamics(self, folder: Path | None, start: Checkpoint | None, data: FashionMNIST | None,
                          keep_unfinished: bool) -> TrainingDynamics | None:
        """The dynamics this run goes on from: the resumed folder's up to where it starts, else none yet."""
        if data is None:
            return None
        empty = TrainingDynamics.empty(data.train_labels.cpu().numpy(), data.test_labels.cpu().numpy())
        if start is None or folder is None:
            return empty
        path = folder / layout.DYNAMICS
        try:
            earlier = load_dynamics(path)
        except FileNotFoundError:
            return empty
        except Exception as exc:  # noqa: BLE001 - DynamicsDamaged, or whatever a hostile file makes numpy raise
            reason = exc if isinstance(exc, DynamicsDamaged) else f"{layout.DYNAMICS} cannot be read: {type(exc).__name__}"
            self._warn(f"The training dynamics of {printable(folder.name)} are not continued ({reason})")
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

    def _continuable(self, start: Checkpoint | None, when_busy: str) -> tuple[Path, dict[str, Any]] | None:
        """The resumed run's folder and run.json, locked for this writer, when the run goes on from the
        folder's latest state and every table of the folder reads whole; else None (a new folder)."""
        folder = layout.run_folder_of(self.resume) if self.resume is not None else None
        if folder is None:
            return None
        try:
            lock = WriterLock.take(folder)
        except FolderBusy as exc:
            if when_busy == "refuse":
                raise
            self._warn(f"{exc} This run is recorded in a new folder.")
            return None
        except OSError as exc:
            self._warn(f"{printable(folder.name)} cannot be continued ({_reason(exc)}); this run is recorded in a new folder.")
            return None
        try:
            meta = load_run_json(folder)
            last_step = meta.get("last_step", 0)
            if start is not None and isinstance(last_step, int) and start.step < last_step:
                lock.release()
                return None  # an earlier snapshot: a new branch of the run, in a new folder
            self._history = read_metrics(folder)
            read_batches(folder)
        except Exception as exc:  # noqa: BLE001 - RunDamaged, or whatever a hostile file makes a parser raise
            lock.release()
            reason = exc if isinstance(exc, RunDamaged) else f"{type(exc).__name__} while reading it"
            self._warn(f"{printable(folder.name)} cannot be continued ({reason}); this run is recorded in a new folder.")
            self._history = []
            return None
        self._lock = lock
        self._last_step = start.step if start is not None else -1
        return folder, meta

    def _new_meta(self, config: TrainConfig, start: Checkpoint | None) -> dict[str, Any]:
        assert self.folder is not None
        fixes = f" labels {config.labels.partition('@')[0]}" if config.labels else ""
        name = self.name or f"{config.model} {config.optimizer} lr {config.lr:g} seed {config.seed}{fixes}"
        parent = layout.run_folder_of(self.resume) if self.resume is not None else None
        branch: dict[str, Any] = {}
        if parent is not None and start is not None:  # a new branch of that run (or of a run another process records)
            branch = {"parent": parent.name}
            parent_name = _stored_name(parent)
            name = self.name or f"{parent_name or name} (from {start.position})"
        self._history = list(start.history) if start is not None else []
        self._base_duration = sum(entry.seconds for entry in self._history)
        return {"schema": layout.SCHEMA, "id": self.folder.name, "name": printable(name), "note": "", "created": _now(), **branch,
                "status": "running", "epochs_done": start.epoch if start else 0, "last_step": 0}

    def _rewrite_tables(self, start: Checkpoint | None) -> None:
        """Write the CSVs anew up to where the run starts: rows a resumed run will retrain are dropped,
        and so is a line a killed process left half-written."""
        assert self.folder is not None
        epoch, step = (start.epoch, start.step) if start is not None else (math.inf, math.inf)
        previous: dict[str, list[Any]] | None
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
            atomic.write_bytes(self.folder / name, "".join(lines).encode("utf-8"))

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
            self._unsaved[checkpoint.epoch] = self._last_failure
            self._meta["unsaved_epochs"] = sorted(self._unsaved)
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
            self._last_failure = _reason(exc)
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
        """The best epoch among those whose snapshot exists: run.json never points at a snapshot that was not written."""
        kept = [entry for entry in self._history if entry.epoch not in self._unsaved]
        best = max(kept, key=lambda entry: entry.test_accuracy, default=None)
        return {"best_epoch": best.epoch, "best_accuracy": best.test_accuracy} if best else {"best_epoch": None,
                                                                                             "best_accuracy": None}

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
        """run.json with a fresh heartbeat; the name and note are read back first, as people edit them,
        under run.json's edit lock, so an edit made meanwhile is never written over."""
        assert self.folder is not None
        self._heartbeat = time.monotonic()
        with run_json_edit(self.folder):
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


def _ranges(numbers: list[int]) -> str:
    """[2, 3, 4, 7] as "2–4, 7"."""
    spans: list[list[int]] = []
    for number in numbers:
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a}–{b}" if a != b else f"{a}" for a, b in spans)


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

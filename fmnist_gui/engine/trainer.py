"""The training loop: data resident on the device, cooperative pause/stop, a reason at the end."""

from __future__ import annotations

import math
import threading
import time
import traceback
from dataclasses import dataclass
from collections.abc import Iterable
from typing import Any

import numpy as np
import torch
from torch import nn

from fmnist_gui.checkpoint import Checkpoint, library_versions
from fmnist_gui.config import ConfigError, TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.devices import available_devices, resolve_device
from fmnist_gui.engine.augment import augment_batch
from fmnist_gui.engine.callbacks import Callback, CallbackList, RunContext, RunControl
from fmnist_gui.engine.evaluation import evaluate, log_probabilities, to_input
from fmnist_gui.engine.events import BatchRecord, EpochDynamics, EpochRecord, EpochSummary, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.events import EDITABLE_FIELDS, HyperparameterChange, value_problem
from fmnist_gui.engine.example_tracker import ExampleTracker
from fmnist_gui.engine.optim import build_optimization, change_hyperparameter
from fmnist_gui.engine.paths import ExecutionPath, choose_path
from fmnist_gui.engine.step import describe_failure, train_step
from fmnist_gui.errors import UserFacingError
from fmnist_gui.formats import counted
from fmnist_gui.architectures import count_parameters
from fmnist_gui.models import get_model_spec

SAMPLE_COUNT = 16
REPORT_INTERVAL = 0.05  # seconds: about 20 batch reports a second


def sample_indices(test_size: int, seed: int, count: int = SAMPLE_COUNT) -> np.ndarray:
    """A fixed, seeded choice of test images to show with their predictions."""
    generator = np.random.default_rng(seed)
    return np.sort(generator.choice(test_size, size=min(count, test_size), replace=False))


@dataclass(frozen=True)
class _Setup:
    """What every epoch of a run trains with."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: Any
    data: FashionMNIST
    mean: float
    std: float
    batches: int
    path: ExecutionPath
    tracker: ExampleTracker


@dataclass(frozen=True)
class _EpochPass:
    loss: float  # mean training loss of the batches done
    accuracy: float  # percent
    finished: bool  # False when a stop ended it early


class _Divergence(Exception):
    def __init__(self, value: float, epoch: int, batch: int) -> None:
        super().__init__(f"loss {value} at epoch {epoch}, batch {batch}")
        self.value, self.epoch, self.batch = value, epoch, batch


class Trainer:
    """Trains one model on Fashion-MNIST and reports to callbacks; run `fit()` in any thread."""

    def __init__(
        self,
        config: TrainConfig,
        data: FashionMNIST,
        callbacks: Iterable[Callback] = (),
        resume_from: Checkpoint | None = None,
        report_interval: float = REPORT_INTERVAL,
    ) -> None:
        if config.labels != data.label_fixes:
            raise UserFacingError(_fixes_mismatch(config.labels, data.label_fixes))
        if resume_from is not None:
            if resume_from.config.model != config.model:
                raise UserFacingError(
                    f"The checkpoint holds a {resume_from.config.model} model; it cannot continue as {config.model}."
                )
            if config.epochs <= resume_from.epoch:
                raise UserFacingError(
                    f"The checkpoint has already reached epoch {resume_from.epoch}; ask for more epochs than that "
                    f"(e.g. {resume_from.epoch + 3} trains 3 more)."
                )
        self.config = config
        self.data = data
        self.callbacks = CallbackList(callbacks)
        self.resume_from = resume_from
        self.report_interval = report_interval
        self.control = RunControl()
        self.model: nn.Module | None = None
        # The per-example record of the epoch a stop interrupted, for a recorder to keep until the run resumes.
        self.unfinished_dynamics: EpochDynamics | None = None
        self._fitted = False
        self._snapshot_lock = threading.Lock()
        self._snapshot: Checkpoint | None = resume_from
        self._best: Checkpoint | None = resume_from if resume_from is not None and resume_from.history else None
        self._requested_lock = threading.Lock()
        self._requested: dict[str, float] = {}
        self._start_run_state()

    def _start_run_state(self) -> None:
        """What one run builds up as it trains, starting from the checkpoint it resumes (or nothing)."""
        resumed = self.resume_from
        self.history: list[EpochSummary] = list(resumed.history) if resumed else []
        self.batch_history: dict[str, list[float]] = {
            key: list((resumed.batch_history if resumed else {}).get(key, [])) for key in ("step", "loss", "lr")
        }
        self.changes: list[HyperparameterChange] = list(resumed.changes) if resumed else []
        self._paused_seconds = 0.0
        self._epochs_done = resumed.epoch if resumed else 0
        self._step = resumed.step if resumed else 0
        self._first_epoch = self._epochs_done + 1

    # Requests from other threads
    def pause(self) -> None:
        self.control.pause()

    def resume(self) -> None:
        self.control.resume()

    def stop(self) -> None:
        self.control.stop()

    def change_hyperparameters(self, **values: float) -> None:
        """Ask for new values of lr (a schedule's peak), weight_decay or momentum; the loop applies them
        before its next batch (a paused run: once resumed). ConfigError for a value TrainConfig refuses."""
        for field, value in values.items():
            if field not in EDITABLE_FIELDS:
                raise ConfigError(f"{field} cannot be changed during a run; only {', '.join(EDITABLE_FIELDS)} can.")
            if field == "momentum" and self.config.optimizer != "sgd":
                raise ConfigError(f"{self.config.optimizer} has no momentum to change: momentum applies to SGD only.")
            problem = value_problem(field, value)
            if problem:
                raise ConfigError(problem)
        with self._requested_lock:
            self._requested.update({field: float(value) for field, value in values.items()})

    def checkpoint(self) -> Checkpoint | None:
        """The latest consistent state: the last finished epoch during a run, the final weights after it."""
        with self._snapshot_lock:
            return self._snapshot

    def best_checkpoint(self) -> Checkpoint | None:
        """The snapshot of the finished epoch with the highest test accuracy this run has seen."""
        with self._snapshot_lock:
            return self._best

    def context(self) -> RunContext:
        """What observers may read of this run and the requests they may make (handed to their setup())."""
        return RunContext(self.control, self.data, self.resume_from, lambda: self.config, self.checkpoint,
                          self.best_checkpoint, lambda: self.unfinished_dynamics)

    # The run
    def fit(self) -> RunFinished:
        """Train until done, stopped, diverged or failed; always ends with on_fit_end. A Trainer runs once."""
        if self._fitted:
            raise RuntimeError("This Trainer has already run; make a new Trainer for another run.")
        self._fitted = True
        started = time.monotonic()
        self._start_run_state()
        self.callbacks.setup(self.context())
        reason, message, details = FinishReason.COMPLETED, "", None
        try:
            reason, message = self._run()
        except _Divergence as exc:
            self._restore_last_good()
            reason = FinishReason.DIVERGED
            kept = (f"the weights of epoch {self._epochs_done} were kept" if self._epochs_done
                    else "nothing was trained: the model is as it was before the run")
            message = (
                f"Training diverged: the loss became {exc.value} at epoch {exc.epoch}, batch {exc.batch}. "
                f"Try a lower learning rate than {self.config.lr:g}; {kept}."
            )
        except UserFacingError as exc:
            reason, message = FinishReason.FAILED, str(exc)
        except Exception as exc:  # noqa: BLE001 - a run must end with a reason, whatever went wrong
            reason, message, details = FinishReason.FAILED, describe_failure(exc), traceback.format_exc()
        elapsed = time.monotonic() - started - self._paused_seconds
        result = RunFinished(reason, message, self._epochs_done, elapsed, details)
        self.callbacks.on_fit_end(result)
        return result

    def _run(self) -> tuple[FinishReason, str]:
        config = self.config
        device = resolve_device(config.device)
        choice = choose_path(config, device)  # may measure the paths once (before seeding: it changes no result)
        data = self.data.to(device)
        torch.manual_seed(config.seed)
        model = self.resume_from.build_model(device) if self.resume_from else get_model_spec(config.model).create(device)
        model = choice.path.arrange(model)
        self.model = model
        mean, std = _normalization(config)
        train_size, test_size = data.trained_count, len(data.test_labels)  # set-aside images are not trained on
        batches = math.ceil(train_size / config.batch_size)
        first_epoch = self._first_epoch
        optimizer, scheduler = build_optimization(config, model.parameters(), batches, first_epoch, self.resume_from)
        run = _Setup(model, optimizer, scheduler, data, mean, std, batches, choice.path, ExampleTracker(data.train_labels))
        samples = sample_indices(test_size, config.seed)
        if self._snapshot is None:
            self._take_snapshot(run)
        self.callbacks.on_fit_start(
            RunStarted(config, _device_label(device), self._epochs_done, batches, train_size, test_size, count_parameters(model),
                       choice.path.label, choice.how)
        )
        self._clock = _RunClock(config.epochs - self._epochs_done, batches)
        # A run stopped mid-epoch goes on with the next batch of that epoch's order, not from its start.
        done_in_epoch = _batches_done_in_epoch(self.resume_from, config, batches)
        for epoch in range(first_epoch, config.epochs + 1):
            epoch_started = time.monotonic()
            paused_before = self._paused_seconds
            trained = self._train_epoch(run, epoch, first_batch=done_in_epoch + 1 if epoch == first_epoch else 1)
            if not trained.finished:
                self._take_snapshot(run)
                self.unfinished_dynamics = run.tracker.read(epoch)
                return FinishReason.STOPPED, f"Stopped by request during epoch {epoch}; the weights trained so far are kept."
            evaluation = evaluate(model, data.test_images, data.test_labels, mean, std)
            if not math.isfinite(evaluation.loss):
                raise _Divergence(evaluation.loss, epoch, batches)
            self._epochs_done = epoch
            seconds = time.monotonic() - epoch_started - (self._paused_seconds - paused_before)
            self._clock.epoch_finished(seconds)
            record = EpochRecord(
                epoch=epoch,
                epochs=config.epochs,
                step=self._step,
                train_loss=trained.loss,
                train_accuracy=trained.accuracy,
                test_loss=evaluation.loss,
                test_accuracy=evaluation.accuracy,
                per_class_accuracy=evaluation.per_class_accuracy,
                confusion=evaluation.confusion,
                test_probabilities=evaluation.probabilities,
                sample_indices=samples,
                lr=_current_lr(optimizer),
                seconds=seconds,
                elapsed=self._clock.elapsed(self._paused_seconds),
                train_dynamics=run.tracker.read(epoch, _set_aside_probability(run)),
            )
            self.history.append(record.summary())
            self._take_snapshot(run)
            self.callbacks.on_epoch_end(record)
            if self.control.stop_requested:
                return FinishReason.STOPPED, f"Stopped by request after epoch {epoch}."
        return FinishReason.COMPLETED, f"Finished {counted(config.epochs, 'epoch')}: test accuracy {self.history[-1].test_accuracy:.2f}%."

    def _train_epoch(self, run: _Setup, epoch: int, first_batch: int = 1) -> _EpochPass:
        """One pass over the shuffled training set from `first_batch`, until its end or a stop request.

        The order depends only on the seed and the epoch, and each batch's randomness (dropout,
        augmentation) only on the seed, the epoch and the batch: a run resumed at any batch
        trains exactly as one that never stopped.
        """
        config, data, model, optimizer = self.config, run.data, run.model, run.optimizer
        model.train()
        run.tracker.clear()
        device = data.train_images.device
        order = _epoch_order(data, config.seed, epoch)
        generator = torch.Generator()
        epoch_loss = torch.zeros((), device=device)
        window_loss = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.int64, device=device)
        seen = window_seen = 0
        active_start = time.monotonic()
        paused_at_start = self._paused_seconds
        last_report = 0.0
        for batch in range(first_batch, run.batches + 1):
            if self.control.paused:
                self._paused_seconds += self.control.wait_while_paused(self.callbacks.on_pause, self.callbacks.on_resume)
            if self.control.stop_requested:
                return _EpochPass(_mean(epoch_loss, seen), _percent(correct, seen), finished=False)
            if self._requested:
                self._apply_requested_changes(run, epoch, batch - 1)
            index = order[(batch - 1) * config.batch_size : batch * config.batch_size]
            labels = data.train_labels[index]
            images = data.train_images[index]
            batch_seed = (_epoch_seed(config.seed, epoch) * 1_000_033 + batch) % 2**63
            torch.manual_seed(batch_seed)  # dropout
            generator.manual_seed(batch_seed)
            if config.augment:
                inputs = augment_batch(images, generator, run.mean, run.std, run.path.channels_last)
            else:
                inputs = to_input(images, run.mean, run.std, run.path.channels_last)
            logits, loss = train_step(model, optimizer, inputs, labels, bf16=run.path.bf16)
            if run.scheduler is not None:
                run.scheduler.step()
            self._step += 1
            size = len(labels)
            detached = loss * size
            epoch_loss += detached
            window_loss += detached
            correct += (logits.argmax(dim=1) == labels).sum()
            run.tracker.record(index, logits)
            seen += size
            window_seen += size
            now = time.monotonic()
            if now - last_report >= self.report_interval or batch == run.batches:
                last_report = now
                loss_value = float(window_loss) / window_seen  # syncs the device, at most ~20 times a second
                if not math.isfinite(loss_value):
                    raise _Divergence(loss_value, epoch, batch)
                active = now - active_start - (self._paused_seconds - paused_at_start)
                self._report_batch(run, epoch, batch, loss_value, _percent(correct, seen), seen / active if active > 0 else 0.0, active)
                window_loss.zero_()
                window_seen = 0
        return _EpochPass(_mean(epoch_loss, seen), _percent(correct, seen), finished=True)

    def _report_batch(self, run: _Setup, epoch: int, batch: int, loss: float, accuracy: float, rate: float, active: float) -> None:
        lr = _current_lr(run.optimizer)
        self.batch_history["step"].append(self._step)
        self.batch_history["loss"].append(loss)
        self.batch_history["lr"].append(lr)
        epoch_in_run = epoch - self._first_epoch + 1
        self.callbacks.on_batch_end(
            BatchRecord(
                epoch=epoch,
                batch=batch,
                batches=run.batches,
                step=self._step,
                loss=loss,
                accuracy=accuracy,
                lr=lr,
                samples_per_second=rate,
                progress=self._clock.progress(epoch_in_run, batch),
                eta_seconds=self._clock.eta(epoch_in_run, batch, active),
                elapsed=self._clock.elapsed(self._paused_seconds),
            )
        )

    def _apply_requested_changes(self, run: _Setup, epoch: int, batches_done: int) -> None:
        """Each requested value that differs takes effect now and is reported; the config says it from here on,
        so a snapshot continues with it."""
        with self._requested_lock:
            requested, self._requested = self._requested, {}
        for field in EDITABLE_FIELDS:
            old = getattr(self.config, field)
            if field not in requested or requested[field] == old:
                continue
            change_hyperparameter(run.optimizer, run.scheduler, field, requested[field])
            self.config = self.config.replace(**{field: requested[field]})
            change = HyperparameterChange(self._step, epoch, batches_done, field, float(old), requested[field])
            self.changes.append(change)
            self.callbacks.on_hyperparameters_changed(change)

    def _take_snapshot(self, run: _Setup) -> None:
        snapshot = Checkpoint(
            config=self.config,
            model_state=_cpu_copy(run.model.state_dict()),
            optimizer_state=_cpu_copy(run.optimizer.state_dict()),
            scheduler_state=_cpu_copy(run.scheduler.state_dict()) if run.scheduler is not None else None,
            epoch=self._epochs_done,
            step=self._step,
            history=tuple(self.history),
            batch_history={key: list(values) for key, values in self.batch_history.items()},
            changes=tuple(self.changes),
            versions=dict(library_versions()),
        )
        at_epoch_end = snapshot.extra_batches == 0 and bool(snapshot.history)
        with self._snapshot_lock:
            self._snapshot = snapshot
            if at_epoch_end and (self._best is None or snapshot.history[-1].test_accuracy > self._best.history[-1].test_accuracy):
                self._best = snapshot

    def _restore_last_good(self) -> None:
        snapshot = self.checkpoint()
        if self.model is not None and snapshot is not None:
            self.model.load_state_dict(snapshot.model_state)
            # Drop the reports of the diverged part so history and weights agree.
            keep = sum(1 for s in self.batch_history["step"] if s <= snapshot.step)
            for values in self.batch_history.values():
                del values[keep:]


class _RunClock:
    """Progress and ETA over the epochs of this run, evaluation time included."""

    def __init__(self, epochs: int, batches: int) -> None:
        self.epochs, self.batches = epochs, batches
        self.started = time.monotonic()
        self.epoch_seconds: list[float] = []

    def epoch_finished(self, seconds: float) -> None:
        self.epoch_seconds.append(seconds)

    def progress(self, epoch_in_run: int, batch: int) -> float:
        return ((epoch_in_run - 1) * self.batches + batch) / (self.epochs * self.batches)

    def eta(self, epoch_in_run: int, batch: int, active_in_epoch: float) -> float:
        remaining_epochs = self.epochs - epoch_in_run
        if self.epoch_seconds:
            per_epoch = float(np.median(self.epoch_seconds))
            left_in_epoch = per_epoch * (1 - batch / self.batches)
        else:
            per_epoch = active_in_epoch * self.batches / max(batch, 1)
            left_in_epoch = per_epoch - active_in_epoch
        return max(0.0, left_in_epoch + remaining_epochs * per_epoch)

    def elapsed(self, paused: float) -> float:
        return time.monotonic() - self.started - paused


def _epoch_seed(seed: int, epoch: int) -> int:
    """The seed of an epoch's shuffled order, within the range torch accepts."""
    return (seed * 1_000_003 + epoch) % 2**63


def _epoch_order(data: FashionMNIST, seed: int, epoch: int) -> torch.Tensor:
    """The training-set positions of one epoch in the order its batches take them: a seeded shuffle of the
    images trained on. Set-aside images are left out of the shuffle itself, so they are never drawn."""
    shuffle = torch.Generator().manual_seed(_epoch_seed(seed, epoch))
    order = torch.randperm(data.trained_count, generator=shuffle).to(data.train_labels.device)
    return data.train_kept[order] if data.train_kept is not None else order


def _set_aside_probability(run: _Setup) -> tuple[torch.Tensor, torch.Tensor] | None:
    """The set-aside images' positions and the probability the model now gives their label: where a data
    map draws them (apart), though they were never trained on."""
    data = run.data
    if data.train_kept is None or data.trained_count == len(data.train_labels):
        return None
    aside = torch.ones(len(data.train_labels), dtype=torch.bool, device=data.train_labels.device)
    aside[data.train_kept] = False
    positions = torch.nonzero(aside).squeeze(1)
    log_probs = log_probabilities(run.model, data.train_images[positions], run.mean, run.std)
    return positions, log_probs.gather(1, data.train_labels[positions].unsqueeze(1)).squeeze(1).exp()


def _fixes_mismatch(asked: str, applied: str) -> str:
    """Why a run cannot train on data whose label fixes are not those its config names."""
    if not applied:
        return (f"The run trains with the label fix set {asked}, but its data has no fixes applied; "
                "load the fix set first (`fmnist-gui train --labels NAME`).")
    if not asked:
        return f"The data has the label fix set {applied} applied, but the run's config names none."
    return f"The run trains with the label fix set {asked}, but its data has {applied} applied."


def _batches_done_in_epoch(saved: Checkpoint | None, config: TrainConfig, batches: int) -> int:
    """Batches of the unfinished epoch a resumed checkpoint already trained; 0 when its batches
    differ from this run's (another batch size, seed or fix set), so that epoch starts over."""
    if saved is None or (saved.config.batch_size, saved.config.seed, saved.config.labels) != (
            config.batch_size, config.seed, config.labels):
        return 0
    return min(saved.extra_batches, batches - 1)


def _normalization(config: TrainConfig) -> tuple[float, float]:
    spec = get_model_spec(config.model)
    return spec.mean, spec.std


def _current_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


def _mean(total: torch.Tensor, count: int) -> float:
    return float(total) / count if count else float("nan")


def _percent(correct: torch.Tensor, count: int) -> float:
    return 100.0 * float(correct) / count if count else 0.0


def _cpu_copy(value: Any) -> Any:
    """A deep copy with every tensor cloned to the CPU, so later training cannot change it."""
    if isinstance(value, torch.Tensor):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _cpu_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cpu_copy(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_cpu_copy(v) for v in value)
    return value


def _device_label(device: torch.device) -> str:
    for info in available_devices():
        if torch.device("cuda:0" if info.name == "cuda" else info.name) == device:
            return info.label
    return str(device)


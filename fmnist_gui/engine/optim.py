"""Optimizers and learning-rate schedules from a TrainConfig, resumable from a checkpoint."""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, OneCycleLR

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import Continuation, TrainConfig

# The config fields that shape the optimizer's and the schedule's trajectory.
TRAJECTORY_FIELDS = ("optimizer", "schedule", "epochs", "batch_size", "lr", "weight_decay", "momentum")


def same_trajectory(a: TrainConfig, b: TrainConfig) -> bool:
    """Whether a run with config `b` continues one with config `a` exactly (same schedule and rates)."""
    return all(getattr(a, name) == getattr(b, name) for name in TRAJECTORY_FIELDS)


ANNEALING = ("one-cycle", "cosine")  # schedules that end near zero: continuing them means choosing anew


def schedule_finished(saved: TrainConfig, epochs_done: int) -> bool:
    """Whether the saved run trained its whole annealing schedule, so continuing cannot just go on with it."""
    return saved.schedule in ANNEALING and epochs_done >= saved.epochs


def continuation_config(saved: TrainConfig, epochs_done: int, last_lr: float | None, requested: TrainConfig,
                        policy: Continuation = Continuation.COOLDOWN) -> TrainConfig:
    """The config of "Continue training" a model at `epochs_done` with the form's `requested` values.

    The architecture is always the saved one, and so is the label fix set: the form has no say in which
    labels a model goes on learning, so a fixed run is never continued on the unfixed labels. An interrupted run asked to go on with exactly its
    own values (the form as the checkpoint filled it) finishes its own epochs; otherwise
    `requested.epochs` more epochs are trained. When the saved run finished an annealing
    schedule, `policy` decides the rate: re-running one-cycle would warm back up to its peak
    and undo what the annealing reached.
    """
    config = requested.replace(model=saved.model, labels=saved.labels)
    if epochs_done < saved.epochs and same_trajectory(saved, config):
        return config
    config = config.replace(epochs=epochs_done + requested.epochs)
    if not schedule_finished(saved, epochs_done) or policy is Continuation.RESTART:
        return config
    if policy is Continuation.CONSTANT and last_lr is not None and last_lr > 0:
        return config.replace(schedule="constant", lr=last_lr)
    return config.replace(schedule="cosine", lr=saved.lr / 10)


def build_optimization(
    config: TrainConfig,
    parameters: Iterable[torch.nn.Parameter],
    batches_per_epoch: int,
    first_epoch: int,
    saved: Checkpoint | None = None,
) -> tuple[torch.optim.Optimizer, LRScheduler | None]:
    """The optimizer and per-batch schedule of a run.

    Resuming with the same trajectory fields continues both exactly (momenta, rates, cycle
    position). With other values, the optimizer keeps its moments but takes the new values, and
    a fresh schedule spans the epochs still to train.
    """
    optimizer = _make_optimizer(config, list(parameters))
    saved_state = saved.optimizer_state if saved and saved.config.optimizer == config.optimizer else None
    if (  # the same trajectory, with every state it needs saved: it continues
        saved is not None
        and saved_state is not None
        and (config.schedule == "constant" or saved.scheduler_state is not None)
        and same_trajectory(saved.config, config)
    ):
        scheduler = _make_scheduler(config, optimizer, config.epochs * batches_per_epoch)
        optimizer.load_state_dict(saved_state)  # after the scheduler, so its saved group values win
        if scheduler is not None:
            assert saved.scheduler_state is not None  # checked above: only "constant" has no scheduler
            scheduler.load_state_dict(saved.scheduler_state)
        return optimizer, scheduler
    if saved_state is not None:
        optimizer.load_state_dict(saved_state)
        for group in optimizer.param_groups:
            for key in ("initial_lr", "max_lr", "min_lr"):  # a fresh schedule must set its own
                group.pop(key, None)
            group.update(lr=config.lr, weight_decay=config.weight_decay)
            if "momentum" in group:
                group["momentum"] = config.momentum
    steps = (config.epochs - first_epoch + 1) * batches_per_epoch
    return optimizer, _make_scheduler(config, optimizer, steps)


def _make_optimizer(config: TrainConfig, params: list[torch.nn.Parameter]) -> torch.optim.Optimizer:
    if config.optimizer == "sgd":
        return torch.optim.SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    if config.optimizer == "adam":
        return torch.optim.Adam(params, lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.AdamW(params, lr=config.lr, weight_decay=config.weight_decay)


def _make_scheduler(config: TrainConfig, optimizer: torch.optim.Optimizer, steps: int) -> LRScheduler | None:
    if config.schedule == "one-cycle":
        return OneCycleLR(optimizer, max_lr=config.lr, total_steps=steps)
    if config.schedule == "cosine":
        return CosineAnnealingLR(optimizer, T_max=steps)
    return None


def change_hyperparameter(optimizer: torch.optim.Optimizer, scheduler: LRScheduler | None, field: str, new: float) -> None:
    """Set `field` ("lr", "weight_decay" or "momentum") of a running optimization to `new` from its next step.

    A scheduled rate's `new` is the schedule's peak: the whole schedule is scaled to it, so the
    current rate follows in proportion and the schedule keeps its shape. A momentum set by hand
    holds from then on: one-cycle stops cycling it.
    """
    if field == "lr":
        _change_rate(optimizer, scheduler, new)
        return
    if field == "momentum" and isinstance(scheduler, OneCycleLR) and scheduler.cycle_momentum:
        scheduler.cycle_momentum = False  # one-cycle would overwrite the value at its next step
    for group in optimizer.param_groups:
        if field not in group:
            raise ValueError(f"the optimizer has no {field}")
        group[field] = new


def _change_rate(optimizer: torch.optim.Optimizer, scheduler: LRScheduler | None, peak: float) -> None:
    if scheduler is None:
        for group in optimizer.param_groups:
            group["lr"] = peak
        return
    for index, group in enumerate(optimizer.param_groups):
        # One-cycle computes every rate from these group values; cosine from base_lrs and the current rate.
        factor = peak / (group["max_lr"] if "max_lr" in group else scheduler.base_lrs[index])
        for key in ("lr", "initial_lr", "max_lr", "min_lr"):
            if key in group:
                group[key] *= factor
        scheduler.base_lrs[index] *= factor
    scheduler._last_lr = [group["lr"] for group in optimizer.param_groups]  # what get_last_lr() reports

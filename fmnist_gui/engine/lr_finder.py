"""The learning-rate finder (Smith 2017, as fastai's `lr_find`): a rising rate, the loss it gives, a suggestion.

A fresh model built from the config trains for a few hundred batches while the rate rises
exponentially; the loss, smoothed, falls while the rate helps and shoots up once it is too high.
The suggestion is the rate where the smoothed loss falls fastest against log10(rate). Only the
finder's own model is trained: no model the user has is touched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FashionMNIST
from fmnist_gui.devices import resolve_device
from fmnist_gui.engine.callbacks import RunControl
from fmnist_gui.engine.evaluation import to_input
from fmnist_gui.engine.optim import build_optimization
from fmnist_gui.engine.step import OUT_OF_MEMORY, train_step
from fmnist_gui.errors import UserFacingError
from fmnist_gui.architectures import has_convolutions
from fmnist_gui.models import get_model_spec

START_LR = 1e-7
END_LR = 10.0
STEPS = 200  # 25 a decade; the default model takes about 5 s on 2 CPU cores
SMOOTHING = 0.98  # fastai's beta: the moving average remembers about 50 batches
EXPLOSION = 4.0  # the smoothed loss above this many times its best ends the search, as in fastai
SKIP_START = 10  # the first points' average rests on too few batches to read a slope from
SKIP_END = 5  # the last points are the explosion itself
MIN_POINTS = 5  # fewer points than this between the skipped ends give no slope worth suggesting
REPORT_INTERVAL = 0.05  # seconds: about 20 progress reports a second

# fraction done, rate and smoothed loss of the latest batch
Progress = Callable[[float, float, float], None]


@dataclass(frozen=True)
class FinderOptions:
    """The rates tried: from `start_lr` to `end_lr` over `steps` batches, exponentially."""

    start_lr: float = START_LR
    end_lr: float = END_LR
    steps: int = STEPS

    def __post_init__(self) -> None:
        if not (0 < self.start_lr < self.end_lr and math.isfinite(self.end_lr)):
            raise UserFacingError(f"The finder's rates must rise from above 0: {self.start_lr:g} to {self.end_lr:g} do not.")
        if self.steps < SKIP_START + SKIP_END + MIN_POINTS:
            raise UserFacingError(f"The finder needs at least {SKIP_START + SKIP_END + MIN_POINTS} batches, not {self.steps}.")


STEEPEST, VALLEY, MINIMUM = "steepest descent", "valley", "minimum / 10"
PEAK_SCHEDULES = ("one-cycle", "cosine")  # their rate is a peak: the rules that suit one


@dataclass(frozen=True)
class FinderResult:
    """What the finder saw: one point per batch trained, and its suggestion (None when it has none)."""

    lrs: np.ndarray  # float64, the rate of each batch
    losses: np.ndarray  # float64, that batch's loss (NaN or inf where it became non-finite)
    smoothed: np.ndarray  # float64, the bias-corrected moving average of the losses
    suggestion: float | None  # the steepest descent
    message: str  # one sentence or two for people: what happened, what is suggested or why nothing is
    stopped: bool  # ended by a stop request before the search was over
    exploded: bool  # ended early because the loss exploded (the usual end)
    seconds: float
    rules: dict[str, float] = field(default_factory=dict)  # every rule's rate: steepest descent, valley, minimum / 10

    def advice(self, schedule: str) -> tuple[str, str] | None:
        """The rule to use for a run with `schedule`, and one line saying why; None without suggestions."""
        return advice(self.rules, schedule)


class LossTracker:
    """The smoothed loss, batch by batch (fastai's bias-corrected moving average), and whether it exploded."""

    def __init__(self, beta: float = SMOOTHING, explosion: float = EXPLOSION) -> None:
        self.beta, self.explosion = beta, explosion
        self._average = 0.0
        self._count = 0
        self.best = math.inf
        self.exploded = False

    def add(self, loss: float) -> float:
        """The smoothed loss after `loss`; sets `exploded` when it is non-finite or far above the best so far."""
        self._count += 1
        self._average = self.beta * self._average + (1 - self.beta) * loss
        smoothed = self._average / (1 - self.beta**self._count)
        if not math.isfinite(smoothed) or smoothed > self.explosion * self.best:
            self.exploded = True
        else:
            self.best = min(self.best, smoothed)
        return smoothed


def smooth(losses: np.ndarray, beta: float = SMOOTHING) -> np.ndarray:
    """The bias-corrected moving average of `losses`, as the finder computes it batch by batch."""
    tracker = LossTracker(beta)
    return np.array([tracker.add(float(loss)) for loss in losses], dtype=np.float64)


def explosion_index(losses: np.ndarray, beta: float = SMOOTHING, explosion: float = EXPLOSION) -> int | None:
    """The index of the first loss at which the search would end, or None when it never explodes."""
    tracker = LossTracker(beta, explosion)
    for index, loss in enumerate(losses):
        tracker.add(float(loss))
        if tracker.exploded:
            return index
    return None


def exponential_rates(options: FinderOptions) -> np.ndarray:
    """The rate of each batch, from start_lr to end_lr, evenly spaced in log10."""
    return np.geomspace(options.start_lr, options.end_lr, options.steps)


def steepest_descent(lrs: np.ndarray, smoothed: np.ndarray, skip_start: int = SKIP_START,
                     skip_end: int = SKIP_END) -> float | None:
    """The rate where the smoothed loss falls fastest against log10(rate), ignoring both ends;
    None when too few points remain or the loss falls nowhere."""
    window = slice(skip_start, len(lrs) - skip_end)
    rates, losses = np.asarray(lrs, dtype=np.float64)[window], np.asarray(smoothed, dtype=np.float64)[window]
    if len(rates) < MIN_POINTS or not np.all(np.isfinite(losses)):
        return None
    slopes = np.gradient(losses, np.log10(rates))
    steepest = int(np.argmin(slopes))
    return float(rates[steepest]) if slopes[steepest] < 0 else None


def valley(lrs: np.ndarray, smoothed: np.ndarray) -> float | None:
    """fastai's "valley": the rate two thirds of the way into the longest stretch of falling loss.

    The longest decreasing subsequence of the smoothed loss marks where training helps; a peak
    rate (one-cycle, cosine) can sit well into it, past the point where the fall is steepest.
    """
    losses = np.asarray(smoothed, dtype=np.float64)
    count = len(losses)
    if count < MIN_POINTS or not np.all(np.isfinite(losses[: max(1, count - SKIP_END)])):
        losses = losses[np.isfinite(losses)]
        count = len(losses)
        if count < MIN_POINTS:
            return None
    lengths = np.ones(count, dtype=np.int64)
    best_start = best_end = 0
    for i in range(1, count):
        earlier = losses[:i] > losses[i]
        if earlier.any():
            lengths[i] = int(lengths[:i][earlier].max()) + 1
        if lengths[i] > lengths[best_end]:
            best_end = i
            best_start = best_end - int(lengths[best_end])
    third = (best_end - best_start) / 3
    index = best_start + int(third) + int(third / 2)
    return float(np.asarray(lrs)[min(max(index, 0), count - 1)])


def minimum_tenth(lrs: np.ndarray, smoothed: np.ndarray) -> float | None:
    """fastai's "minimum": a tenth of the rate where the smoothed loss is lowest (one decade back from the edge)."""
    losses = np.asarray(smoothed, dtype=np.float64)
    finite = np.isfinite(losses)
    if finite.sum() < MIN_POINTS:
        return None
    return float(np.asarray(lrs)[np.flatnonzero(finite)[np.argmin(losses[finite])]] / 10)


def suggestion_rules(lrs: np.ndarray, smoothed: np.ndarray) -> dict[str, float]:
    """Every rule's suggestion that exists, by name."""
    found = {STEEPEST: steepest_descent(lrs, smoothed), VALLEY: valley(lrs, smoothed), MINIMUM: minimum_tenth(lrs, smoothed)}
    return {name: rate for name, rate in found.items() if rate is not None}


# Which rule trains better in each kind of schedule: measured on the presets (README, "Learning-rate finder").
ADVICE = {
    "peak": (MINIMUM, "For a {schedule} schedule the rate is a peak reached once: a tenth of the loss's minimum trained "
                      "the default preset best in 3 epochs (91.7%, against 90.2% at the steepest descent)."),
    "constant": (STEEPEST, "For a constant rate the steepest descent is the safe choice: it trained the quickstart best "
                           "in 5 epochs (85.8%, against 85.2% at a tenth of the minimum)."),
}


def advice(rules: dict[str, float], schedule: str) -> tuple[str, str] | None:
    """The rule to use for `schedule`, and the line that says why; another rule when that one found nothing."""
    if not rules:
        return None
    rule, why = ADVICE["peak"] if schedule in PEAK_SCHEDULES else ADVICE["constant"]
    if rule not in rules:
        rule = next(iter(rules))
    return rule, why.format(schedule=schedule)


def describe(lrs: np.ndarray, smoothed: np.ndarray, suggestion: float | None, exploded: bool, stopped: bool,
             steps: int) -> str:
    """The finder's outcome in words."""
    done = len(lrs)
    if stopped:
        return f"Stopped after {done} of {steps} batches: a part of the curve suggests no rate."
    if exploded and done < SKIP_START + SKIP_END + MIN_POINTS:
        at = f" at a rate of {lrs[-1]:.2g}" if done else ""
        return (f"The loss diverged at once{at}, after {done} batch{'es' if done != 1 else ''}: no rate can be "
                "suggested. This model and optimizer may not train at all; check the other values.")
    if suggestion is None:
        return f"The loss did not fall at any rate from {lrs[0]:.2g} to {lrs[-1]:.2g}: no rate can be suggested."
    ending = f"the loss exploded at {lrs[-1]:.2g}" if exploded else f"it reached {lrs[-1]:.2g} without exploding"
    # Which rule's rate to use depends on the schedule (advice below): the message names none as "the" suggestion.
    return f"The smoothed loss fell fastest at {suggestion:.2g}; {done} batches tried, {ending}."


def find_learning_rate(config: TrainConfig, data: FashionMNIST, options: FinderOptions = FinderOptions(),
                       control: RunControl | None = None, progress: Progress | None = None,
                       report_interval: float = REPORT_INTERVAL) -> FinderResult:
    """Train a fresh, seeded `config.model` with the rate rising batch by batch; see the module's docstring.

    `config` gives the model, optimizer, batch size, weight decay, momentum, seed and device;
    its rate, schedule and epochs are not used. A stop requested through `control` ends the search
    at the next batch, as it ends a training run; `progress` hears at most every
    `report_interval` seconds, in this thread.
    """
    started = time.monotonic()
    device = resolve_device(config.device)
    spec = get_model_spec(config.model)
    torch.manual_seed(config.seed)
    model = spec.create(device)
    model.train()
    optimizer, _ = build_optimization(config.replace(schedule="constant"), model.parameters(), 1, 1)
    images, labels = data.train_images.to(device), data.train_labels.to(device)
    channels_last = has_convolutions(model)
    batches = _batches(len(labels), config.batch_size, config.seed)
    lrs = exponential_rates(options)
    tracker = LossTracker()
    losses: list[float] = []
    smoothed: list[float] = []
    stopped = False
    last_report = 0.0
    try:
        for step, (lr, index) in enumerate(zip(lrs, batches)):
            if control is not None and control.stop_requested:
                stopped = True
                break
            for group in optimizer.param_groups:
                group["lr"] = float(lr)
            index = index.to(device)
            _, loss = train_step(model, optimizer, to_input(images[index], spec.mean, spec.std, channels_last), labels[index])
            value = float(loss)  # the explosion test needs it every batch
            losses.append(value)
            smoothed.append(tracker.add(value))
            now = time.monotonic()
            if progress is not None and (now - last_report >= report_interval or tracker.exploded or step == len(lrs) - 1):
                last_report = now
                progress((step + 1) / len(lrs), float(lr), smoothed[-1])
            if tracker.exploded:
                break
    except torch.cuda.OutOfMemoryError:
        raise UserFacingError(OUT_OF_MEMORY) from None
    tried = lrs[: len(losses)]
    points = np.array(smoothed, dtype=np.float64)
    suggestion = None if stopped else steepest_descent(tried, points)
    exploded = tracker.exploded
    return FinderResult(
        lrs=tried.copy(), losses=np.array(losses, dtype=np.float64), smoothed=points, suggestion=suggestion,
        message=describe(tried, points, suggestion, exploded, stopped, options.steps), stopped=stopped,
        exploded=exploded, seconds=time.monotonic() - started,
        rules={} if suggestion is None else suggestion_rules(tried, points),
    )


def _batches(size: int, batch_size: int, seed: int) -> Iterator[torch.Tensor]:
    """Batches of indices from seeded shuffles of the training set, reshuffled when one is used up; endless."""
    generator = torch.Generator().manual_seed(seed)
    batch_size = min(batch_size, size)
    while True:
        permutation = torch.randperm(size, generator=generator)
        for start in range(0, size - batch_size + 1, batch_size):
            yield permutation[start : start + batch_size]

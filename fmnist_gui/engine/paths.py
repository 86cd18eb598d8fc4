"""How a run computes on this machine: the plain fp32 path, channels-last, or bf16 autocast, chosen by measuring.

On a CPU, `precision="auto"` times a few training steps of each path the model and the CPU allow
(interleaved, medians) and keeps the fastest; the choice is cached per machine, torch version, model
and batch size (engine/path_cache.py), so a machine measures it once. bf16 is tried only for the
CNNs, and only on a CPU that computes in bf16 itself (AMX or AVX512-BF16): elsewhere oneDNN emulates
it, slower than fp32. The quickstart MLP stays fp32: bf16 measured 1.07x on an AMX machine and
slower without AMX, and the quickstart preset must keep the tutorial's numbers. torch.compile is no
candidate: on 2 CPU cores its first compile (16-33 s for the small CNN) costs more than the preset's
run saves (packaging/benchmark.py measures it). Other devices train as before (fp32, channels-last CNNs).
"""

from __future__ import annotations

import functools
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import torch
from torch import nn

from fmnist_gui.config import TrainConfig
from fmnist_gui.engine import cpu, path_cache
from fmnist_gui.engine.flops import training_flops
from fmnist_gui.engine.optim import build_optimization
from fmnist_gui.engine.step import train_step
from fmnist_gui.errors import UserFacingError
from fmnist_gui.architectures import has_convolutions
from fmnist_gui.models import get_model_spec

# A layout changes no result: it replaces the default when measurably faster. bf16 rounds the arithmetic:
# it must save a sixth of the step time to be worth that.
LAYOUT_GAIN = 1.05
BF16_GAIN = 1.2
WARMUP_STEPS = 2  # untimed, per path: the first steps build oneDNN's kernels and reorder the weights
MIN_ROUNDS, MAX_ROUNDS = 3, 7
ROUNDS_BUDGET = 0.6  # seconds of timed rounds after which no more are started (past MIN_ROUNDS)
STEP_BUDGET_FLOPS = 2e9  # the calibration batch is cut to this much arithmetic per step (the wide CNN: 8 images)
MIN_CALIBRATION_BATCH = 8


@dataclass(frozen=True)
class ExecutionPath:
    key: str  # as the cache stores it
    channels_last: bool  # the model and its input laid out channels-last
    bf16: bool  # the forward pass under bf16 autocast

    @property
    def label(self) -> str:
        """For people and run.json: "fp32", "fp32, channels-last", "bf16 autocast, channels-last"."""
        return ("bf16 autocast" if self.bf16 else "fp32") + (", channels-last" if self.channels_last else "")

    def arrange(self, model: nn.Module) -> nn.Module:
        """`model` laid out for this path (in place, returned)."""
        if not has_convolutions(model):
            return model
        return model.to(memory_format=torch.channels_last if self.channels_last else torch.contiguous_format)


FP32 = ExecutionPath("fp32", channels_last=False, bf16=False)
FP32_CHANNELS_LAST = ExecutionPath("fp32-channels-last", channels_last=True, bf16=False)
BF16 = ExecutionPath("bf16", channels_last=False, bf16=True)
BF16_CHANNELS_LAST = ExecutionPath("bf16-channels-last", channels_last=True, bf16=True)
PATHS = {path.key: path for path in (FP32, FP32_CHANNELS_LAST, BF16, BF16_CHANNELS_LAST)}


@dataclass(frozen=True)
class Calibration:
    """What a calibration measured: the median milliseconds of a training step on each path, and its choice."""

    choice: ExecutionPath
    milliseconds: dict[str, float]  # by path key
    batch: int  # the images per timed step
    rounds: int


@dataclass(frozen=True)
class PathChoice:
    path: ExecutionPath
    how: str  # for people: "asked for", "measured on this CPU", "measured earlier on this CPU", "the only path …"
    calibration: Calibration | None = field(default=None, compare=False)  # when measured by this call


def plain_path(model: str) -> ExecutionPath:
    """The path every run took before paths were chosen, and the one precision "fp32" forces: fp32, the CNNs
    channels-last (a layout that changes no result)."""
    return FP32_CHANNELS_LAST if _convolutional(model) else FP32


def bf16_path(model: str) -> ExecutionPath:
    return BF16_CHANNELS_LAST if _convolutional(model) else BF16


def bf16_problem(device: torch.device) -> str | None:
    """Why bf16 autocast cannot train on `device`; None where it can."""
    if device.type == "cpu":
        info = cpu.cpu_info()
        if info.native_bf16 is None:
            return (f"bf16 needs a CPU with AMX or AVX512-BF16, and this one ({info.model}) has neither; "
                    "train with precision auto or fp32.")
        return None
    if device.type == "cuda":
        return None if torch.cuda.is_bf16_supported() else f"The GPU {device} does not support bf16; train with precision auto or fp32."
    return f"bf16 autocast is offered on CPUs and CUDA GPUs, not on {device.type}; train with precision auto or fp32."


def candidates(model: str, device: torch.device) -> tuple[ExecutionPath, ...]:
    """The paths precision "auto" chooses among, the plain one first."""
    plain = plain_path(model)
    if device.type != "cpu" or not _convolutional(model):
        return (plain,)
    paths = [plain, FP32]
    if cpu.cpu_info().native_bf16 is not None:
        paths.append(BF16_CHANNELS_LAST)
    return tuple(paths)


def choose_path(config: TrainConfig, device: torch.device) -> PathChoice:
    """The path a run of `config` takes on `device`; UserFacingError for bf16 where it cannot run.

    "auto" on a CPU measures the candidates the first time a model and batch size train on this machine
    (well under a second for the small CNN), then reads the choice from the cache.
    """
    if config.precision == "fp32":
        return PathChoice(plain_path(config.model), "asked for")
    if config.precision == "bf16":
        problem = bf16_problem(device)
        if problem:
            raise UserFacingError(problem)
        return PathChoice(bf16_path(config.model), "asked for")
    options = candidates(config.model, device)
    if len(options) == 1:
        return PathChoice(options[0], "the only path for this model here")
    file, key = path_cache.cache_file(), cache_key(config, options)
    stored = path_cache.lookup(file, key)
    if stored is not None and stored["path"] in {path.key for path in options}:
        return PathChoice(PATHS[stored["path"]], "measured earlier on this CPU")
    measured = calibrate(config, options, device)
    path_cache.store(file, key, {
        "path": measured.choice.key,
        "milliseconds": measured.milliseconds,
        "calibration_batch": measured.batch,
        "measured": datetime.now().astimezone().isoformat(timespec="seconds"),
    })
    return PathChoice(measured.choice, "measured on this CPU", measured)


def cache_key(config: TrainConfig, options: Sequence[ExecutionPath]) -> str:
    """What the fastest path depends on: the CPU (model and flags), torch and its threads, the model, the batch."""
    return (f"{cpu.cpu_info().identity} | torch {torch.__version__}, {torch.get_num_threads()} threads | "
            f"{config.model}, batch {config.batch_size} | {' '.join(path.key for path in options)}")


def calibrate(config: TrainConfig, options: Sequence[ExecutionPath], device: torch.device) -> Calibration:
    """Time training steps of each path on random images (interleaved rounds, medians) and pick one.

    A path whose step fails is left out. The caller's random state is left as it was.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        batch = calibration_batch(config)
        steps = {path.key: step for path in options if (step := timed_step(config, path, batch, device)) is not None}
        times: dict[str, list[float]] = {key: [] for key in steps}
        keys = list(steps)
        started = time.perf_counter()
        rounds = 0
        while keys and rounds < MAX_ROUNDS and (rounds < MIN_ROUNDS or time.perf_counter() - started < ROUNDS_BUDGET):
            for key in keys[rounds % len(keys):] + keys[: rounds % len(keys)]:  # each round starts with the next path
                times[key].append(steps[key]())
            rounds += 1
    milliseconds = {key: 1000 * statistics.median(values) for key, values in times.items()}
    return Calibration(pick(options, milliseconds), milliseconds, batch, rounds)


def pick(options: Sequence[ExecutionPath], milliseconds: dict[str, float]) -> ExecutionPath:
    """The plain path (options[0]) unless another fp32 layout beats it by LAYOUT_GAIN; then bf16 where it beats
    that fp32 choice by BF16_GAIN. A path that was not measured (its step failed) is never picked."""
    measured = [path for path in options if path.key in milliseconds]
    if not measured:
        return options[0]
    fp32 = measured[0]
    for path in measured[1:]:
        if not path.bf16 and milliseconds[fp32.key] >= LAYOUT_GAIN * milliseconds[path.key]:
            fp32 = path
    fast_bf16 = [path for path in measured if path.bf16 and milliseconds[fp32.key] >= BF16_GAIN * milliseconds[path.key]]
    return min(fast_bf16, key=lambda path: milliseconds[path.key]) if fast_bf16 else fp32


def calibration_batch(config: TrainConfig) -> int:
    """The config's batch, cut so that a timed step stays short (the ranking of paths hardly depends on it)."""
    model = get_model_spec(config.model).build()
    per_image = training_flops(model, 1)
    return max(1, min(config.batch_size, max(MIN_CALIBRATION_BATCH, int(STEP_BUDGET_FLOPS // per_image))))


def timed_step(config: TrainConfig, path: ExecutionPath, batch: int, device: torch.device,
               prepare: Callable[[nn.Module], nn.Module] = lambda model: model) -> Callable[[], float] | None:
    """A function that trains one step of `batch` random images on a fresh model on `path` and returns its seconds,
    after WARMUP_STEPS untimed ones; None when a step fails. `prepare` may wrap the model (torch.compile)."""
    spec = get_model_spec(config.model)
    model = prepare(path.arrange(spec.build().to(device)))
    model.train()
    optimizer, _ = build_optimization(config, model.parameters(), batches_per_epoch=1000, first_epoch=1)
    images = torch.rand(batch, 1, 28, 28, device=device)
    labels = torch.randint(0, 10, (batch,), device=device)

    def step() -> float:
        started = time.perf_counter()
        inputs = images.contiguous(memory_format=torch.channels_last) if path.channels_last else images
        _, loss = train_step(model, optimizer, inputs, labels, bf16=path.bf16)
        float(loss)  # waits for the device
        return time.perf_counter() - started

    try:
        for _ in range(WARMUP_STEPS):
            step()
    except (RuntimeError, NotImplementedError):  # a kernel this build or CPU lacks
        return None
    return step


@functools.cache
def _convolutional(model: str) -> bool:
    with torch.random.fork_rng(devices=[]):  # building initialises weights from the random state: leave it alone
        return has_convolutions(get_model_spec(model).build())

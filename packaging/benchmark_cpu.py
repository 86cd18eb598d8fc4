"""Sections (e) and (f) of packaging/benchmark.py: whole processes against the tutorial, and the training paths per preset.

(e) times `fmnist-gui train` and the tutorial's own script as whole processes, interleaved.
(f) times training steps of each path (engine/paths.py) for each preset, counts their arithmetic
from the layers, and sets the GFLOP/s reached against the CPU's estimated peak.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from fmnist_gui.config import PRESETS, TrainConfig, preset
from fmnist_gui.data import SPLIT_FILES, find_data_dir
from fmnist_gui.engine import cpu, paths
from fmnist_gui.engine.flops import TRAINING_FACTOR, forward_flops
from fmnist_gui.engine.paths import BF16, BF16_CHANNELS_LAST, FP32, FP32_CHANNELS_LAST, ExecutionPath
from fmnist_gui.architectures import has_convolutions
from fmnist_gui.models import get_model_spec

HERE = Path(__file__).resolve().parent
TUTORIAL = HERE / "quickstart_tutorial.py"
TRAIN_IMAGES = 60_000
PROCESS_EPOCHS = 2


# The CPU and its peak


@dataclass(frozen=True)
class Peak:
    fp32: float  # GFLOP/s
    bf16: float
    how: str  # the arithmetic of the estimate, for the reader


def estimate_peak(info: cpu.CpuInfo, threads: int) -> Peak:
    """cores x clock x FLOPs a core can do each cycle for the widest instructions the CPU lists.

    fp32: two FMA units of 16 lanes (AVX-512) or 8 (AVX2) doing 2 FLOPs each; bf16: AVX512-BF16's dot product
    doubles AVX-512's lanes, AMX's tile unit does 1024 a cycle. Many CPUs have one AVX-512 FMA unit, not two,
    and run AVX-512 below the reported clock: the estimate is an upper bound.
    """
    flags = info.flags
    if "avx512f" in flags:
        fp32_per_cycle, isa = 64, "AVX-512, 2 FMA units x 16 lanes x 2"
    elif "avx2" in flags and "fma" in flags:
        fp32_per_cycle, isa = 32, "AVX2, 2 FMA units x 8 lanes x 2"
    elif "avx" in flags:
        fp32_per_cycle, isa = 16, "AVX, 8-lane add + multiply"
    else:
        fp32_per_cycle, isa = 8, "SSE"
    if "amx_bf16" in flags:
        bf16_per_cycle, bf16_isa = 1024, "AMX tiles: 1024"
    elif "avx512_bf16" in flags:
        bf16_per_cycle, bf16_isa = 2 * fp32_per_cycle, "AVX512-BF16 dot products: twice fp32's"
    else:
        bf16_per_cycle, bf16_isa = fp32_per_cycle, "none native: as fp32"
    cores = max(1, min(threads, (info.logical_cpus or os.cpu_count() or 1) // info.threads_per_core))
    ghz = (info.megahertz or _clock_from_name(info.model) or 2000.0) / 1000
    how = (f"{cores} core{'s' if cores > 1 else ''} x {ghz:.2f} GHz (as the kernel reports it) x FLOPs a cycle: "
           f"fp32 {fp32_per_cycle} ({isa}), bf16 {bf16_per_cycle} ({bf16_isa}); an upper bound")
    return Peak(cores * ghz * fp32_per_cycle, cores * ghz * bf16_per_cycle, how)


def _clock_from_name(model: str) -> float | None:
    match = re.search(r"@\s*([0-9.]+)\s*GHz", model)
    return float(match.group(1)) * 1000 if match else None


def describe_cpu() -> None:
    info = cpu.cpu_info()
    vector = sorted(flag for flag in info.flags if flag.startswith(("avx", "amx", "fma", "f16c")))
    print(f"CPU: {info.model}; {info.logical_cpus or os.cpu_count()} logical CPUs, {info.threads_per_core} per core, "
          f"{info.megahertz or '?'} MHz; torch {torch.__version__}, {torch.get_num_threads()} threads, "
          f"capability {torch.backends.cpu.get_cpu_capability()}")
    print(f"  vector flags: {' '.join(vector) or 'none'}")
    print(f"  native bf16: {info.native_bf16 or 'no (neither AMX nor AVX512-BF16: bf16 would be emulated)'}")


# (e) whole processes


@dataclass
class ProcessRuns:
    name: str
    command: list[str]
    epoch_seconds: Callable[[str], list[float]]  # read from the process's stdout
    environment: dict[str, str]
    wall: list[float] = field(default_factory=list)
    epochs: list[float] = field(default_factory=list)
    outside: list[float] = field(default_factory=list)  # each run's time before its first epoch and after its last

    def run(self) -> None:
        started = time.perf_counter()
        done = subprocess.run(self.command, capture_output=True, text=True, check=False, env=self.environment)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"benchmark: {self.name} exited {done.returncode}: {done.stderr.strip()[-500:]}")
        epochs = self.epoch_seconds(done.stdout)
        self.wall.append(elapsed)
        self.epochs.extend(epochs)
        self.outside.append(elapsed - sum(epochs))


def app_epochs(stdout: str) -> list[float]:
    return [float(json.loads(line)["seconds"]) for line in stdout.splitlines() if line.startswith("{")]


def tutorial_epochs(stdout: str) -> list[float]:
    return [float(match) for match in re.findall(r"^epoch seconds: ([0-9.]+)$", stdout, re.MULTILINE)]


def tutorial_root(data_dir: Path, into: Path) -> Path:
    """A folder as the tutorial's first download leaves it: the four files uncompressed under FashionMNIST/raw."""
    raw = into / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for images, labels in SPLIT_FILES.values():
        for name in (images, labels):
            source = next(path for path in (data_dir / name, data_dir / f"{name}.gz") if path.exists())
            opener = gzip.open if source.suffix == ".gz" else open
            with opener(source, "rb") as stream, open(raw / name.removesuffix(".gz"), "wb") as out:
                shutil.copyfileobj(stream, out)
    return into


def whole_processes(repeats: int, device: str, environment: dict[str, str]) -> None:
    data_dir = find_data_dir()
    with tempfile.TemporaryDirectory(prefix="fmnist-benchmark-") as scratch:
        root = tutorial_root(data_dir, Path(scratch) / "data")
        app = ProcessRuns(
            f"fmnist-gui train --preset quickstart --epochs {PROCESS_EPOCHS}",
            [sys.executable, "-m", "fmnist_gui", "train", "--preset", "quickstart", "--epochs", str(PROCESS_EPOCHS),
             "--device", device, "--json", "--data-dir", str(data_dir), "--runs-dir", str(Path(scratch) / "runs")],
            app_epochs, this_checkout(environment))
        tutorial = ProcessRuns(
            f"the tutorial's script, {PROCESS_EPOCHS} epochs",
            [sys.executable, str(TUTORIAL), str(root), "--epochs", str(PROCESS_EPOCHS), "--device", device],
            tutorial_epochs, environment)
        print(f"\n(e) the quickstart configuration (MLP, SGD lr 1e-3, batch 64) as whole processes, {PROCESS_EPOCHS} epochs "
              f"each, start to exit", flush=True)
        ratios = []
        for repetition in range(repeats):
            pair = (app, tutorial) if repetition % 2 == 0 else (tutorial, app)
            for contender in pair:
                contender.run()
            ratios.append(tutorial.wall[-1] / app.wall[-1])
            print(f"  run {repetition + 1}/{repeats}: {app.wall[-1]:.1f} s vs {tutorial.wall[-1]:.1f} s", flush=True)
        width = max(len(app.name), len(tutorial.name))
        print(f"  {'contender':<{width}}  {'whole process':>13}  {'per epoch':>9}  {'outside epochs':>14}  {'ratio':>6}")
        for contender, ratio in ((app, statistics.median(ratios)), (tutorial, 1.0)):
            wall, epoch, outside = (statistics.median(values) for values in (contender.wall, contender.epochs, contender.outside))
            print(f"  {contender.name:<{width}}  {wall:>11.1f} s  {epoch:>7.2f} s  {outside:>12.1f} s  {ratio:>5.2f}x")
        epoch_ratio = statistics.median(tutorial.epochs) / statistics.median(app.epochs)
        print(f"  (ratio: the median of the paired whole-process ratios; per epoch alone: {epoch_ratio:.2f}x. "
              f"'outside epochs': the time before a run's first epoch and after its last, median over the runs)")


# (f) the paths per preset


@dataclass
class PathRow:
    label: str
    path: ExecutionPath
    compiled: bool = False
    times: list[float] = field(default_factory=list)
    setup_seconds: float = 0.0  # building the step and its warm-up steps (compiling, for torch.compile)
    failed: str = ""


def preset_paths(presets: list[str], repeats: int, compile_too: bool, peak: Peak) -> None:
    print(f"\n(f) one training step per path and preset (forward, backward, optimizer), median of {repeats + 2} "
          "interleaved; GFLOP/s from the layers' arithmetic (3x the forward pass)", flush=True)
    print(f"  peak estimate: fp32 {peak.fp32:,.0f} GFLOP/s, bf16 {peak.bf16:,.0f} GFLOP/s = {peak.how}")
    # torch.compile starts with an empty compiler cache, as on a user's first run; its second compile reads it.
    with tempfile.TemporaryDirectory(prefix="fmnist-benchmark-inductor-") as cache:
        previous = os.environ.get("TORCHINDUCTOR_CACHE_DIR")
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = cache
        try:
            for name in presets:
                config = preset(name).replace(device="cpu")
                _one_preset(name, config, repeats + 2, compile_too, peak)
        finally:
            if previous is None:
                os.environ.pop("TORCHINDUCTOR_CACHE_DIR", None)
            else:
                os.environ["TORCHINDUCTOR_CACHE_DIR"] = previous


def _one_preset(name: str, config: TrainConfig, rounds: int, compile_too: bool, peak: Peak) -> None:
    model = get_model_spec(config.model).build()
    convolutional = has_convolutions(model)
    flops = TRAINING_FACTOR * forward_flops(model) * config.batch_size
    steps_in_run = config.epochs * math.ceil(TRAIN_IMAGES / config.batch_size)
    rows = [PathRow("fp32", FP32)]
    if convolutional:
        rows.append(PathRow("fp32, channels-last", FP32_CHANNELS_LAST))
    bf16 = BF16_CHANNELS_LAST if convolutional else BF16
    if cpu.cpu_info().native_bf16:
        rows.append(PathRow(bf16.label, bf16))
    plain = paths.plain_path(config.model)
    if compile_too:
        rows.append(PathRow(f"torch.compile, {plain.label}", plain, compiled=True))
    print(f"\n  {name}: {config.model}, {config.optimizer}, batch {config.batch_size}{', augmented' if config.augment else ''}"
          f" - {flops / 1e9:.2f} GFLOP a step; the preset trains {steps_in_run:,} steps", flush=True)
    steps: dict[int, Callable[[], float]] = {}
    for index, row in enumerate(rows):
        started = time.perf_counter()
        prepare = torch.compile if row.compiled else (lambda m: m)
        try:
            step = paths.timed_step(config, row.path, config.batch_size, torch.device("cpu"), prepare)
        except Exception as exc:  # noqa: BLE001 - a compiler missing or failing is a finding to print, not a crash
            step, row.failed = None, f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:80] if str(exc).strip() else ''}"
        row.setup_seconds = time.perf_counter() - started
        if step is None:
            row.failed = row.failed or "its step failed"
        else:
            steps[index] = step
    for round_ in range(rounds):
        order = list(steps)
        order = order[round_ % len(order):] + order[: round_ % len(order)] if order else []
        for index in order:
            rows[index].times.append(steps[index]())
    plain_row = next(row for row in rows if row.path == plain and not row.compiled)
    reference = statistics.median(plain_row.times) if plain_row.times else None
    print(f"    {'path':<42} {'ms/step':>8} {'GFLOP/s':>8} {'of peak':>8} {'vs plain':>8}")
    for row in rows:
        if row.failed:
            print(f"    {row.label:<42} {'-':>8}   failed: {row.failed}")
            continue
        seconds = statistics.median(row.times)
        rate = flops / seconds / 1e9
        of_peak = rate / (peak.bf16 if row.path.bf16 else peak.fp32)
        speedup = f"{reference / seconds:.2f}x" if reference else "-"
        note = " (plain)" if row.path == plain and not row.compiled else ""
        print(f"    {row.label + note:<42} {seconds * 1000:>8.1f} {rate:>8.1f} {of_peak:>7.1%} {speedup:>8}")
        if row.compiled and reference:
            _say_whether_compiling_pays(row, seconds, reference, steps_in_run, _warm_compile_seconds(name))
    choice = paths.choose_path(config.replace(precision="auto"), torch.device("cpu"))
    print(f"    precision auto picks: {choice.path.label} ({choice.how})", flush=True)


def _warm_compile_seconds(name: str) -> float | None:
    """Compiling the plain path's step of preset `name` in a new process, as a second run would, with the compiler's
    cache the first compile filled (TORCHINDUCTOR_CACHE_DIR): importing the compiler counts, importing torch not."""
    done = subprocess.run([sys.executable, str(Path(__file__)), "--warm-compile", name], capture_output=True, text=True,
                          check=False, env=this_checkout(dict(os.environ)))
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    return float(json.loads(lines[-1])["compile_seconds"]) if done.returncode == 0 and lines else None


def _say_whether_compiling_pays(row: PathRow, seconds: float, reference: float, steps_in_run: int, warm: float | None) -> None:
    cold = row.setup_seconds - paths.WARMUP_STEPS * seconds
    saved = reference - seconds
    again = f", {warm:.1f} s in a new process with its cache filled" if warm is not None else ""
    print(f"    {'':<42} compiling took {cold:.1f} s with an empty compiler cache{again}")
    if saved <= 0:
        print(f"    {'':<42} never pays: its steps are no faster")
        return
    for when, cost in (("cold", cold), ("cached", warm)):
        if cost is not None:
            needed = max(0.0, cost) / saved
            pays = "pays within" if needed <= steps_in_run else "does not pay within"
            print(f"    {'':<42} {when}: pays after {needed:,.0f} steps, so it {pays} the preset's {steps_in_run:,}")
    print(f"    {'':<42} (an epoch's last, smaller batch compiles once more)")


def _time_a_cached_compile(name: str) -> None:
    """In the process _warm_compile_seconds starts: one compiled step's setup, less its steps, as JSON."""
    config = preset(name).replace(device="cpu")
    started = time.perf_counter()
    step = paths.timed_step(config, paths.plain_path(config.model), config.batch_size, torch.device("cpu"), torch.compile)
    setup = time.perf_counter() - started
    if step is None:
        raise SystemExit(1)
    steady = statistics.median(step() for _ in range(3))
    print(json.dumps({"compile_seconds": setup - paths.WARMUP_STEPS * steady}))


def preset_names(quick: bool) -> list[str]:
    return [name for name in PRESETS if not (quick and name == "gpu")]


def this_checkout(environment: dict[str, str]) -> dict[str, str]:
    """`environment` with this checkout first on PYTHONPATH: the processes started here run the code measured here."""
    return dict(environment, PYTHONPATH=os.pathsep.join(filter(None, (str(HERE.parent), environment.get("PYTHONPATH")))))


if __name__ == "__main__" and sys.argv[1:2] == ["--warm-compile"]:  # started by _warm_compile_seconds, environment inherited
    _time_a_cached_compile(sys.argv[2])

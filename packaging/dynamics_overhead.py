"""What recording every training image's dynamics costs a training epoch, measured side by side.

(a) Whole epochs of a preset with the per-batch record on and off (ExampleTracker.record replaced
    by a no-op), interleaved and alternating which goes first; medians of the epoch times
    (evaluation included), so a busy machine shifts both alike.
(b) The per-batch record alone, timed over a full epoch's batches, against the median training
    step time of the same model: the steadier figure on a noisy machine; and the epoch-end read
    that turns the kept logits into every image's probability and class.
(c) What the run folder adds at an epoch's end: appending the row and writing dynamics.npz
    atomically, for a run of --epochs epochs.
Usage: python packaging/dynamics_overhead.py [--preset default] [--repeats 3] [--epochs 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from fmnist_gui.config import preset
from fmnist_gui.data import load_fashion_mnist
from fmnist_gui.dynamics import TrainingDynamics, save_dynamics
from fmnist_gui.engine import Callback, EpochRecord, Trainer
from fmnist_gui.engine.evaluation import to_input
from fmnist_gui.engine.events import EpochDynamics
from fmnist_gui.engine.example_tracker import ExampleTracker
from fmnist_gui.models import get_model_spec


class EpochTimes(Callback):
    def __init__(self) -> None:
        self.seconds: list[float] = []

    def on_epoch_end(self, record: EpochRecord) -> None:
        self.seconds.append(record.seconds)


def epoch_seconds(config, data, recording: bool) -> float:
    original = ExampleTracker.record
    if not recording:
        ExampleTracker.record = lambda self, *args: None  # type: ignore[method-assign]
    try:
        times = EpochTimes()
        Trainer(config.replace(epochs=1), data, [times]).fit()
        return times.seconds[0]
    finally:
        ExampleTracker.record = original  # type: ignore[method-assign]


def per_batch(config, data) -> tuple[float, float]:
    """Median seconds of a training step and of a record, over one epoch's batches."""
    spec = get_model_spec(config.model)
    model = spec.create(torch.device("cpu"))
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr)
    tracker = ExampleTracker(data.train_labels)
    order = torch.randperm(len(data.train_labels))
    steps, records = [], []
    for start in range(0, len(order), config.batch_size):
        index = order[start:start + config.batch_size]
        labels = data.train_labels[index]
        began = time.perf_counter()
        logits = model(to_input(data.train_images[index], spec.mean, spec.std))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        middle = time.perf_counter()
        tracker.record(index, logits.detach())
        ended = time.perf_counter()
        steps.append(middle - began)
        records.append(ended - middle)
    began = time.perf_counter()
    tracker.read(1)
    return statistics.median(steps), statistics.median(records), time.perf_counter() - began


def epoch_end_seconds(size: int, test_size: int, epochs: int) -> float:
    """Seconds to append epoch `epochs` and write the file, as the recorder does at that epoch."""
    rng = np.random.default_rng(0)
    dynamics = TrainingDynamics.empty(rng.integers(0, 10, size), rng.integers(0, 10, test_size))
    test = rng.random((test_size, 10), dtype=np.float32)
    row = EpochDynamics(1, rng.random(size).astype(np.float16), rng.integers(0, 10, size).astype(np.uint8))
    for epoch in range(1, epochs):
        dynamics = dynamics.with_epoch(EpochDynamics(epoch, row.label_probability, row.predicted), test)
    with tempfile.TemporaryDirectory() as folder:
        began = time.perf_counter()
        dynamics = dynamics.with_epoch(EpochDynamics(epochs, row.label_probability, row.predicted), test)
        save_dynamics(dynamics, Path(folder) / "dynamics.npz")
        return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=50, help="run length for (c)")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    config = preset(args.preset)
    data = load_fashion_mnist(args.data_dir)
    print(f"{args.preset} preset: {config.model}, batch {config.batch_size}, {torch.get_num_threads()} threads")
    on, off = [], []
    for repeat in range(args.repeats):
        for recording in ((True, False) if repeat % 2 == 0 else (False, True)):
            (on if recording else off).append(epoch_seconds(config, data, recording))
    on_median, off_median = statistics.median(on), statistics.median(off)
    print(f"(a) epoch with recording {on_median:.2f} s, without {off_median:.2f} s (medians of {args.repeats}): "
          f"{100 * (on_median / off_median - 1):+.2f}%; with {', '.join(f'{t:.2f}' for t in on)}; "
          f"without {', '.join(f'{t:.2f}' for t in off)}")
    step, record, read = per_batch(config, data)
    print(f"(b) per batch: training step {1000 * step:.2f} ms, record {1000 * record:.3f} ms = {100 * record / step:.2f}% of a step; "
          f"reading the epoch's record for all images {1000 * read:.1f} ms")
    end = epoch_end_seconds(len(data.train_labels), len(data.test_labels), args.epochs)
    print(f"(c) at the end of epoch {args.epochs}: append and write dynamics.npz {1000 * end:.0f} ms "
          f"= {100 * end / off_median:.2f}% of an epoch")
    return 0


if __name__ == "__main__":
    sys.exit(main())

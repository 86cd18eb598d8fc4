"""How well the mislabel finder finds labels we know are wrong: plant flips, train, count the hits.

A copy of Fashion-MNIST with a known few percent of its training labels changed to another
class (seeded) is written to a temporary folder; the default preset trains on it, recorded in a
temporary run folder; then the finder's top K suspects are compared with the flipped set, with
K = the number flipped (precision at K), and at a few smaller K. Picking K images at random
would find the flip rate. The real data is only read; nothing is written outside a temporary folder.

Usage: python packaging/planted_noise.py [--rate 0.03] [--epochs 3] [--seed 0] [--data-dir DIR]
About a minute per epoch on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fmnist_gui.config import preset
from fmnist_gui.data import CLASS_NAMES, LABELS_MAGIC, SPLIT_FILES, find_data_dir, load_fashion_mnist
from fmnist_gui.dynamics import example_statistics, likely_mislabelled
from fmnist_gui.engine import Trainer
from fmnist_gui.runs import RunRecorder, read_dynamics


def plant(source: Path, target: Path, rate: float, seed: int) -> np.ndarray:
    """Copy the data set to `target` with `rate` of its training labels moved to another class; the flipped indices."""
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.name.endswith(".gz") or path.name.endswith("ubyte"):
            shutil.copy(path, target / path.name)
    labels_stem = SPLIT_FILES["train"][1]
    gz = target / f"{labels_stem}.gz"
    raw = gzip.decompress(gz.read_bytes()) if gz.exists() else (target / labels_stem).read_bytes()
    header, labels = raw[:8], np.frombuffer(raw[8:], dtype=np.uint8).copy()
    assert int.from_bytes(header[:4], "big") == LABELS_MAGIC
    rng = np.random.default_rng(seed)
    flipped = np.sort(rng.choice(len(labels), size=round(rate * len(labels)), replace=False))
    labels[flipped] = (labels[flipped] + rng.integers(1, len(CLASS_NAMES), size=len(flipped))) % len(CLASS_NAMES)
    gz.unlink(missing_ok=True)
    (target / labels_stem).unlink(missing_ok=True)
    gz.write_bytes(gzip.compress(header + labels.tobytes(), compresslevel=1))
    return flipped


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.03, help="share of training labels to flip (default 0.03)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the default preset (default 3, as the preset)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        noisy = Path(scratch) / "noisy"
        flipped = plant(find_data_dir(args.data_dir), noisy, args.rate, args.seed)
        data = load_fashion_mnist(noisy)
        config = preset("default").replace(epochs=args.epochs)
        recorder = RunRecorder(Path(scratch) / "runs")
        trainer = Trainer(config, data, [recorder])
        started = time.monotonic()
        result = trainer.fit()
        print(f"trained {config.model} {config.optimizer} lr {config.lr:g} for {result.epochs_completed} epochs in "
              f"{time.monotonic() - started:.0f} s: {result.message}")
        dynamics = read_dynamics(recorder.folder)
        labels = dynamics.train_labels
        stats = example_statistics(dynamics.train_probability, dynamics.train_predicted, labels)
        suspects = likely_mislabelled(dynamics.train_probability, dynamics.train_predicted, labels, stats)
        planted = set(flipped.tolist())
        chance = len(flipped) / len(labels)
        print(f"planted {len(flipped):,} flips in {len(labels):,} training labels ({100 * chance:.1f}%); "
              f"the finder lists {len(suspects):,} suspects")
        print(f"{'K':>6}  {'hits':>6}  {'precision':>9}  {'random':>7}  {'x chance':>8}")
        for k in sorted({50, 100, 500, 1000, len(flipped)}):
            hits = len({s.index for s in suspects[:k]} & planted)
            shown = min(k, len(suspects))
            precision = hits / k
            print(f"{k:>6}  {hits:>6}  {100 * precision:>8.1f}%  {100 * chance:>6.1f}%  {precision / chance:>8.1f}"
                  + ("  (K = number flipped)" if k == len(flipped) else "") + ("" if shown == k else f"  (only {shown} listed)"))
        others = [s for s in suspects[:len(flipped)] if s.index not in planted]
        pairs: dict[tuple[int, int], int] = {}
        for s in others:
            pairs[(s.given, s.predicted)] = pairs.get((s.given, s.predicted), 0) + 1
        common = sorted(pairs.items(), key=lambda item: -item[1])[:5]
        print(f"the {len(others)} suspects of the top K that were not planted, by label -> model's class: "
              + ", ".join(f"{CLASS_NAMES[g]} -> {CLASS_NAMES[p]} {n}" for (g, p), n in common))
        recall = len({s.index for s in suspects} & planted) / len(flipped)
        print(f"recall of the whole suspect list: {100 * recall:.1f}% of the flips")
        # Where the flips sit on the map, against everything else
        is_flip = np.zeros(len(labels), dtype=bool)
        is_flip[flipped] = True
        print(f"mean confidence: flipped {stats.confidence[is_flip].mean():.3f}, others {stats.confidence[~is_flip].mean():.3f}; "
              f"mean variability: flipped {stats.variability[is_flip].mean():.3f}, others {stats.variability[~is_flip].mean():.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

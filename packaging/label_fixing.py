"""Does fixing labels the data map suspects pay off? Plant flips, train, accept the suspects in bulk, train again.

For each seed: a copy of Fashion-MNIST with a share of its training labels moved to another class
(packaging/planted_noise.py's plant(), seeded) is written to a temporary folder; the default preset
trains on the real data (clean), on the copy (with noise), and on the copy with a fix set made by
`fmnist-gui labels apply NAME --from-datamap NOISY_RUN --top K` (K = the number flipped: each of the
top K suspects relabelled to the class the model predicted most), all through the command line. Then:
the share of relabels that restored the label the image had before the flip, the share of flips that
remain, and each run's test accuracy (the test set is never changed), as means over the seeds.
The real data is only read; everything is written in a temporary folder.

Usage: python packaging/label_fixing.py [--rate 0.05] [--epochs 3] [--seeds 0 1 2] [--data-dir DIR]
Nine trainings of the default preset: about 10 minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from planted_noise import plant  # noqa: E402 - the flips the finder's own measurement plants

from fmnist_gui.cli import main  # noqa: E402
from fmnist_gui.data import find_data_dir, load_split  # noqa: E402
from fmnist_gui.labels import Action, FixSet, fix_set_path  # noqa: E402
from fmnist_gui.runs import find_run, read_metrics  # noqa: E402


@dataclass(frozen=True)
class SeedResult:
    seed: int
    flipped: int
    relabels: int  # fixes accepted
    restored: int  # relabels that gave back the label the image had before the flip
    relabelled_clean: int  # relabels of images that were not flipped
    remaining: int  # flips whose image still trains with a label other than its original one
    accuracy: dict[str, float]  # test accuracy of the clean, noisy and fixed runs, percent
    seconds: dict[str, float]


def cli(*argv: object) -> None:
    """Run one fmnist-gui command in this process; its output is kept quiet unless it fails."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    if code != 0:
        raise SystemExit(f"fmnist-gui {' '.join(map(str, argv))} failed ({code}): {err.getvalue().strip()}")


def train(name: str, data_dir: Path, runs_dir: Path, labels_dir: Path, seed: int, epochs: int, *extra: object) -> tuple[float, float]:
    """(final test accuracy, seconds) of a run of the default preset recorded as `name`."""
    started = time.monotonic()
    cli("train", "--seed", seed, "--epochs", epochs, "--data-dir", data_dir, "--runs-dir", runs_dir,
        "--labels-dir", labels_dir, "--name", name, *extra)
    return read_metrics(find_run(runs_dir, name))[-1].test_accuracy, time.monotonic() - started


def one_seed(seed: int, source: Path, scratch: Path, rate: float, epochs: int) -> SeedResult:
    noisy = scratch / f"noisy-{seed}"
    runs, labels_dir = scratch / "runs", scratch / "labels"
    flipped = plant(source, noisy, rate, seed)
    original = load_split(source, "train")[1]
    accuracy, seconds = {}, {}
    accuracy["clean"], seconds["clean"] = train(f"clean-{seed}", source, runs, labels_dir, seed, epochs)
    accuracy["noisy"], seconds["noisy"] = train(f"noisy-{seed}", noisy, runs, labels_dir, seed, epochs)
    cli("labels", "apply", f"fix-{seed}", "--from-datamap", f"noisy-{seed}", "--top", len(flipped),
        "--data-dir", noisy, "--runs-dir", runs, "--labels-dir", labels_dir)
    accuracy["fixed"], seconds["fixed"] = train(f"fixed-{seed}", noisy, runs, labels_dir, seed, epochs, "--labels", f"fix-{seed}")
    noisy_labels = load_split(noisy, "train")[1]
    fix_set = FixSet.open(fix_set_path(labels_dir, f"fix-{seed}"), "train", noisy_labels, must_exist=True)
    relabels = [fix for fix in fix_set.fixes if fix.action is Action.RELABEL]
    trained, _ = fix_set.apply_fixes(noisy_labels)
    was_flipped = np.zeros(len(original), dtype=bool)
    was_flipped[flipped] = True
    return SeedResult(
        seed, len(flipped), len(relabels),
        restored=sum(int(fix.trained_label == original[fix.index]) for fix in relabels),
        relabelled_clean=sum(int(not was_flipped[fix.index]) for fix in relabels),
        remaining=int(np.count_nonzero(trained[flipped] != original[flipped])),
        accuracy=accuracy, seconds=seconds,
    )


def mean_sd(values: list[float]) -> str:
    return f"{np.mean(values):.2f}% ± {np.std(values, ddof=1) if len(values) > 1 else 0.0:.2f}"


def report(results: list[SeedResult], rate: float, epochs: int) -> None:
    print(f"\n{len(results)} seeds, {100 * rate:g}% of the training labels flipped, default preset, {epochs} epochs\n")
    print("| seed | flipped | relabels | restored the original label | relabels of unflipped images | flips remaining | "
          "test accuracy clean / noisy / fixed |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in results:
        print(f"| {r.seed} | {r.flipped:,} | {r.relabels:,} | {r.restored:,} ({100 * r.restored / max(r.relabels, 1):.1f}%) | "
              f"{r.relabelled_clean:,} | {r.remaining:,} ({100 * r.remaining / r.flipped:.1f}%) | "
              f"{r.accuracy['clean']:.2f}% / {r.accuracy['noisy']:.2f}% / {r.accuracy['fixed']:.2f}% |")
    relabels, restored = sum(r.relabels for r in results), sum(r.restored for r in results)
    flipped, remaining = sum(r.flipped for r in results), sum(r.remaining for r in results)
    print(f"\n| mean over {len(results)} seeds | |")
    print("| --- | --- |")
    print(f"| relabels that restored the original label | {100 * restored / max(relabels, 1):.1f}% ({restored:,} of {relabels:,}) |")
    print(f"| flips remaining after the fix | {100 * remaining / flipped:.1f}% ({remaining:,} of {flipped:,}) |")
    for kind, words in (("clean", "clean data"), ("noisy", "with noise"), ("fixed", "after the fix")):
        print(f"| test accuracy, {words} | {mean_sd([r.accuracy[kind] for r in results])} |")
    # Each run's time is in the seed lines above; on a machine other work shares they say little.


def main_() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=0.05, help="share of training labels to flip (default 0.05)")
    parser.add_argument("--epochs", type=int, default=3, help="epochs of the default preset (default 3, as the preset)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    source = find_data_dir(args.data_dir)
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            result = one_seed(seed, source, Path(scratch), args.rate, args.epochs)
            print(f"seed {seed}: {result}", flush=True)
            results.append(result)
    report(results, args.rate, args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main_())

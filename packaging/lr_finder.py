"""How long the learning-rate finder takes, and which of its rules trains best within a preset's own run.

Times the finder on the real Fashion-MNIST with a preset's values (default: "default"), then
trains that preset for its own epochs with its own rate and with each rule's suggestion as the
rate (steepest descent, valley, minimum / 10; for one-cycle, the peak), and prints each run's test
accuracy and the rule the finder advises for the preset's schedule. Torch's threads sleep while
they wait, as in the app. Usage: python packaging/lr_finder.py [--preset P] [--epochs E] [--data-dir DIR];
about four minutes on 2 CPU cores for the default preset.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads, as the app sets it

import torch  # noqa: E402

from fmnist_gui.config import PRESETS, preset  # noqa: E402
from fmnist_gui.data import load_fashion_mnist  # noqa: E402
from fmnist_gui.engine import FinishReason, Trainer  # noqa: E402
from fmnist_gui.engine.lr_finder import find_learning_rate  # noqa: E402
from fmnist_gui.errors import UserFacingError  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", choices=tuple(PRESETS), default="default")
    parser.add_argument("--data-dir")
    parser.add_argument("--epochs", type=int, help="epochs of each run (default: the preset's; at least 3)")
    args = parser.parse_args()
    try:
        config = preset(args.preset)
        config = config.replace(epochs=args.epochs or max(3, config.epochs))
        data = load_fashion_mnist(args.data_dir)
    except UserFacingError as exc:
        print(f"lr_finder.py: {exc}", file=sys.stderr)
        return 1
    print(f"{args.preset} preset: {config.model}, {config.optimizer}, batch {config.batch_size}, {config.schedule} "
          f"lr {config.lr:g}, {config.epochs} epochs, on {config.device} with {torch.get_num_threads()} threads")
    found = find_learning_rate(config, data)
    print(f"finder: {found.seconds:.1f} s for {len(found.lrs)} batches; {found.message}")
    if found.suggestion is None:
        return 1
    advised = found.advice(config.schedule)
    print(f"advised for {config.schedule}: {advised[0] if advised else 'none'}")
    rates = [(f"preset's rate {config.lr:g}", config.lr)]
    for rule, rate in found.rules.items():
        rounded = float(f"{rate:.2g}")  # as the dialog's button puts it in the form
        rates.append((f"{rule} {rounded:g}", rounded))
    for label, lr in rates:
        started = time.monotonic()
        trainer = Trainer(config.replace(lr=lr), data)
        result = trainer.fit()
        if result.reason is not FinishReason.COMPLETED:
            print(f"{label}: {result.message}")
            continue
        print(f"{label}: test accuracy {trainer.history[-1].test_accuracy:.2f}% after {config.epochs} epochs "
              f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

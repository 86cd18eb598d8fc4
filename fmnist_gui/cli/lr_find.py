"""`lr-find`: Smith's range test; the finder's curve, a row a decade, and its suggestion (exit code 1 without one)."""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Iterable
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import config_from, data_folder, device_option, json_output, training_config
from fmnist_gui.cli.status import EXIT_FAILURE, UsageError, say_error
from fmnist_gui.names import JSON_SCHEMA

if TYPE_CHECKING:
    from fmnist_gui.config import TrainConfig
    from fmnist_gui.engine.lr_finder import FinderResult

PARENTS = (training_config(), device_option(), data_folder(), json_output("print one JSON object with every point and the suggestion"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Train a fresh model for a few hundred batches while the rate rises from 1e-7 to 10, and "
                          "suggest the rate where the smoothed loss falls fastest. No run is recorded.")


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.config import ConfigError, preset
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.devices import resolve_device
    from fmnist_gui.engine.lr_finder import find_learning_rate

    try:
        config = config_from(args, preset(args.preset))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    resolve_device(config.device)
    data = load_fashion_mnist(args.data_dir)
    result = find_learning_rate(config, data)
    advised = result.advice(config.schedule)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "model": config.model, "optimizer": config.optimizer,
                          "batch_size": config.batch_size, "weight_decay": config.weight_decay,
                          "momentum": config.momentum, "seed": config.seed, "device": config.device,
                          "suggestion": result.suggestion, "rules": result.rules, "schedule": config.schedule,
                          "advised": advised[0] if advised else None, "advice": advised[1] if advised else None,
                          "message": result.message, "exploded": result.exploded,
                          "seconds": result.seconds, "lrs": _finite_or_null(result.lrs),
                          "losses": _finite_or_null(result.losses), "smoothed": _finite_or_null(result.smoothed)}))
    else:
        _print_finder(config, result, advised)
    if result.suggestion is None:
        say_error(result.message)
        return EXIT_FAILURE
    return 0


def _finite_or_null(values: Iterable[float]) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def _print_finder(config: TrainConfig, result: FinderResult, advised: tuple[str, str] | None) -> None:
    """One row per decade of the rates tried, each rule's row marked, then the verdict and the advice."""
    import numpy as np

    print(f"Learning-rate finder: {config.model}, {config.optimizer}, batch {config.batch_size}, "
          f"weight decay {config.weight_decay:g}" + (f", momentum {config.momentum:g}" if config.optimizer == "sgd" else "")
          + f", seed {config.seed}, on {config.device} ({result.seconds:.1f} s)")
    if len(result.lrs):
        logs = np.log10(result.lrs)
        rows = {int(np.argmin(np.abs(logs - decade))) for decade in range(math.ceil(logs[0]), math.floor(logs[-1]) + 1)}
        marked: dict[int, list[str]] = {}
        for rule, rate in result.rules.items():
            marked.setdefault(int(np.argmin(np.abs(result.lrs - rate))), []).append(rule)
        print(f"  {'rate':>9}  {'loss':>9}  {'smoothed':>9}")
        for row in sorted(rows | set(marked)):
            mark = f"  <- {', '.join(marked[row])}" if row in marked else ""
            print(f"  {result.lrs[row]:9.2e}  {result.losses[row]:9.4f}  {result.smoothed[row]:9.4f}{mark}")
    if result.suggestion is not None:
        print(result.message)
        print("Rules: " + "; ".join(f"{rule} {rate:.2g}" for rule, rate in result.rules.items()) + ".")
    if advised is not None:
        print(f"Advised: {advised[0]}, {result.rules[advised[0]]:.2g}. {advised[1]}")

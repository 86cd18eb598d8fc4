"""`sweep create NAME --param …`: define a sweep and keep the definition in its study, for every worker to read."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fmnist_gui.cli.options import data_folder, device_option, training_config, whole_run_config
from fmnist_gui.cli.status import UsageError
from fmnist_gui.cli.sweep.options import add_name, definition, locate, where

if TYPE_CHECKING:
    from fmnist_gui.sweeps import SweepDefinition, SweepStore

DEFAULT_TRIALS = 20


def parents() -> tuple[argparse.ArgumentParser, ...]:
    """The options that define a sweep: its space and search, and the training options every trial shares."""
    return (definition(), training_config(), whole_run_config(epochs="epochs each trial trains (default: the preset's)"),
            device_option(what="the device trials train on (default: the preset's); a worker may give its own"),
            data_folder(), where())


PARENTS = parents()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_name(parser)


def run(args: argparse.Namespace) -> int:
    create(args)
    return 0


def create(args: argparse.Namespace) -> SweepStore:
    """Check the definition on the command line, then create its study; says what was made on stderr."""
    from fmnist_gui.safe_text import say
    from fmnist_gui.sweeps import create_study

    store = locate(args)
    sweep = define(args)
    create_study(store, sweep)
    space = " ".join(spec.describe() for spec in sweep.space)
    say(f"Created sweep {store.name} in {store.describe()}: {sweep.trials} trials of {sweep.epochs} epochs "
        f"({sweep.preset} preset, {sweep.sampler} sampler, {sweep.pruner} pruner), varying {space}", sys.stderr)
    return store


def define(args: argparse.Namespace) -> SweepDefinition:
    """The SweepDefinition the options describe; UsageError (one line) for anything TrainConfig or the space refuses."""
    from fmnist_gui.config import TrainConfig, preset
    from fmnist_gui.sweeps import SpaceError, SweepDefinition, parse_space

    fixed = _fixed_options(args, TrainConfig().to_dict())
    base = preset(args.preset)
    epochs = args.epochs if args.epochs is not None else base.epochs
    try:
        shell = SweepDefinition(space=(), trials=1, epochs=epochs, preset=args.preset, fixed=fixed)
        shell.check()
        space = parse_space(args.param, shell.base_config())
        both = sorted(set(fixed) & {spec.name for spec in space})
        if both:
            raise SpaceError(f"{both[0]} is both set (--{both[0].replace('_', '-')}) and varied (--param {both[0]}=…); "
                             "give one of the two.")
        grid = SweepDefinition(space=space, trials=1, epochs=epochs, sampler="grid").grid_size if args.sampler == "grid" else 0
        trials = args.trials or grid or DEFAULT_TRIALS
        data_dir = str(Path(args.data_dir).expanduser().resolve()) if args.data_dir else None
        return SweepDefinition(space=space, trials=trials, epochs=epochs, preset=args.preset, sampler=args.sampler,
                               pruner=args.pruner, fixed=fixed, data_dir=data_dir)
    except SpaceError as exc:
        raise UsageError(str(exc)) from None


def _fixed_options(args: argparse.Namespace, fields: dict[str, Any]) -> dict[str, Any]:
    """The TrainConfig options given on the line (the epochs are the sweep's own)."""
    return {name: getattr(args, name) for name in fields if name != "epochs" and getattr(args, name, None) is not None}

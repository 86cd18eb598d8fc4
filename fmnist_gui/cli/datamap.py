"""`datamap RUN`: the training images a recorded run kept disputing, from its dynamics.npz; likely mislabelled."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import FOLDER, complete_as, json_output, positive, runs_folder
from fmnist_gui.cli.table import print_table
from fmnist_gui.formats import counted
from fmnist_gui.names import JSON_SCHEMA

if TYPE_CHECKING:
    from fmnist_gui.dynamics import TrainingDynamics

PARENTS = (json_output("print one JSON object"), runs_folder("the runs folder"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("The training images a recorded run kept disputing: hard to learn (a low, steady probability "
                          "of their label) and predicted as one other class in most epochs, most suspicious first. "
                          "Often mislabelled; worth a look.")
    complete_as(parser.add_argument("run", metavar="RUN", help="a run's folder, folder name or name (see `fmnist-gui runs`)"), FOLDER)
    parser.add_argument("--top", type=positive, default=20, metavar="K", help="how many suspects to list (default 20)")


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.dynamics import example_statistics, likely_mislabelled
    from fmnist_gui.safe_text import printable

    folder, dynamics = recorded_dynamics(args.runs_dir, args.run)
    stats = example_statistics(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels)
    suspects = likely_mislabelled(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels,
                                  stats, top=args.top)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "run": str(folder), "epochs": dynamics.epoch_count,
                          "train_size": dynamics.train_size, "suspects": [
                              {"index": s.index, "given": CLASS_NAMES[s.given], "predicted": CLASS_NAMES[s.predicted],
                               "confidence": round(s.confidence, 4), "variability": round(s.variability, 4),
                               "forgetting": s.forgetting, "agreement": round(s.agreement, 4), "score": round(s.score, 4)}
                              for s in suspects]}))
        return 0
    print(f"{printable(folder.name)}: {counted(len(suspects), 'likely mislabelled training image')} "
          f"of {dynamics.train_size:,}, from {counted(dynamics.epoch_count, 'epoch')}")
    if not suspects:
        return 0
    rows = [("INDEX", "GIVEN", "PREDICTED", "CONFIDENCE", "VARIABILITY", "FORGOTTEN")]
    rows += [(str(s.index), CLASS_NAMES[s.given], CLASS_NAMES[s.predicted], f"{s.confidence:.3f}", f"{s.variability:.3f}",
              str(s.forgetting)) for s in suspects]
    print_table(rows)
    return 0


def recorded_dynamics(runs_dir: str | None, run: str) -> tuple[Path, TrainingDynamics]:
    """The folder of the run `run` names and its training dynamics, at least one epoch of them."""
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.runs import default_runs_dir, find_run, read_dynamics
    from fmnist_gui.safe_text import printable

    folder = find_run(default_runs_dir(runs_dir), run)
    dynamics = read_dynamics(folder)
    if dynamics is None or not dynamics.epoch_count:
        raise UserFacingError(f"Run {printable(folder.name)} has no training dynamics: it finished no epoch, "
                              "or was recorded by a version that did not keep them.")
    return folder, dynamics

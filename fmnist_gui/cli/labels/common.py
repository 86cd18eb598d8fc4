"""What the labels sub-commands share: the fix set's name and split, finding it, and the data's labels.

Torch-free at the top, like every module the parser is built from.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import complete_as
from fmnist_gui.cli.status import as_usage_error

if TYPE_CHECKING:
    import numpy as np

    from fmnist_gui.labels import FixCounts, FixSet


def add_name(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("name", metavar="NAME", help="the fix set's name (letters, digits, '.', '_', '-'), "
                                    "or its .csv file"))


def add_test_split(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--test", action="store_true",
                        help="a fix set of TEST labels (labels/test/NAME.csv), read only by `evaluate --labels NAME`")


def split_of(args: argparse.Namespace) -> str:
    return "test" if getattr(args, "test", False) else "train"


def fix_set_file(args: argparse.Namespace) -> Path:
    from fmnist_gui.labels import default_labels_dir, locate

    with name_as_usage_error():
        return locate(args.name, default_labels_dir(args.labels_dir), split_of(args))


def name_as_usage_error() -> contextlib.AbstractContextManager[None]:
    """A fix set name that cannot be a file name is a mistake on the command line: exit code 2."""
    from fmnist_gui.labels.place import BadFixSetName

    return as_usage_error(BadFixSetName)


def open_fix_set(args: argparse.Namespace, given_labels: np.ndarray | None = None, must_exist: bool = True) -> FixSet:
    from fmnist_gui.labels import FixSet

    return FixSet.open(fix_set_file(args), split_of(args), given_labels, must_exist=must_exist)


def data_labels(args: argparse.Namespace, split: str) -> np.ndarray:
    """The split's labels as the data files hold them (checked as training checks them)."""
    from fmnist_gui.data import find_data_dir, load_split

    return load_split(find_data_dir(args.data_dir), split)[1]


def describe_counts(counts: FixCounts) -> str:
    kept = counts.reviewed - counts.changed
    return (f"{counts.reviewed:,} reviewed: {counts.relabelled:,} relabelled, {counts.set_aside:,} set aside, "
            f"{kept:,} kept as labelled")


def describe(fix_set: FixSet) -> str:
    """One line about a fix set: its name, what it is for, its content hash and its counts."""
    kind = "test-label fix set (for evaluation only)" if fix_set.split == "test" else "training fix set"
    return f"{fix_set.name}: {kind}, content {fix_set.content_hash}; {describe_counts(fix_set.counts)}"

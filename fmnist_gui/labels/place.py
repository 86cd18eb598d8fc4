"""Where fix sets live: `labels/NAME.csv` beside the runs folder (training fixes) and `labels/test/NAME.csv`
(test-label fixes, read only by evaluation: the test set a run is measured on is never changed)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from fmnist_gui.labels.fileformat import LabelsError
from fmnist_gui.names import SAFE_NAME, SAFE_NAME_RULE
from fmnist_gui.runs.layout import default_runs_dir
from fmnist_gui.safe_text import printable

LABELS_ENV = "FMNIST_LABELS"
SUFFIX = ".csv"
TEST_FOLDER = "test"  # labels/test/: fixes of test labels, kept apart so no training run can take them
SPLITS = ("train", "test")


class BadFixSetName(LabelsError):
    """A name that cannot be a fix set's: a mistake on the command line rather than in a file."""


@dataclass(frozen=True)
class FixSetFile:
    name: str
    split: str  # "train" or "test"
    path: Path


def default_labels_dir(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--labels-dir, else $FMNIST_LABELS, else `labels` beside the runs folder ($FMNIST_RUNS's parent, by default
    ~/.local/share/fmnist-gui/labels): fix sets belong to the data, not to one run."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(LABELS_ENV):
        return Path(os.environ[LABELS_ENV]).expanduser()
    return default_runs_dir().parent / "labels"


def check_name(name: str) -> str:
    if not SAFE_NAME.fullmatch(name):
        raise BadFixSetName(f"{printable(name)!r} cannot name a fix set: {SAFE_NAME_RULE}.")
    return name


def fix_set_path(labels_dir: Path, name: str, split: str = "train") -> Path:
    """The file of the fix set `name` of `split`; LabelsError for a name that cannot be a file name."""
    return _folder(labels_dir, split) / f"{check_name(name)}{SUFFIX}"


def locate(text: str, labels_dir: Path, split: str = "train") -> Path:
    """The file `text` names: a path to a .csv file (anything with a folder in it or ending in .csv), else the
    fix set of that name in `labels_dir`. The file's stem must be a fix set name, as runs record it."""
    if text.endswith(SUFFIX) or os.sep in text or "/" in text:
        path = Path(text).expanduser()
        check_name(path.stem)
        return path
    return fix_set_path(labels_dir, text, split)


def list_fix_sets(labels_dir: Path) -> list[FixSetFile]:
    """Every fix set file in `labels_dir`, training ones first, each by name."""
    found: list[FixSetFile] = []
    for split in SPLITS:
        try:
            entries = sorted(_folder(labels_dir, split).iterdir())
        except OSError:
            continue
        found += [FixSetFile(path.stem, split, path) for path in entries
                  if path.suffix == SUFFIX and SAFE_NAME.fullmatch(path.stem) and path.is_file()]
    return found


def _folder(labels_dir: Path, split: str) -> Path:
    return Path(labels_dir) / TEST_FOLDER if split == "test" else Path(labels_dir)

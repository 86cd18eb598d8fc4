"""The likely-mislabelled training images as a CSV table, for fixing labels outside the app."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.dynamics import Suspect
from fmnist_gui.export.common import PathLike, check_target, save_text
from fmnist_gui.export.tables import csv_text, spreadsheet_text

SUSPECTS_HEADER = ("train_index", "given_label", "given_class", "predicted_label", "predicted_class",
                   "score", "confidence", "variability", "forgetting", "agreement")


def write_suspects_csv(suspects: Sequence[Suspect], path: PathLike, class_names: Sequence[str] = CLASS_NAMES) -> Path:
    """One row per suspect in the given order: its training-set position, labels (number and name) and scores.

    The target is checked before anything is written; the file is written atomically (ExportError).
    """
    check_target(path)
    names = [spreadsheet_text(name) for name in class_names]
    rows = [SUSPECTS_HEADER, *((str(s.index), str(s.given), names[s.given], str(s.predicted), names[s.predicted],
                                f"{s.score:.6g}", f"{s.confidence:.6g}", f"{s.variability:.6g}", str(s.forgetting),
                                f"{s.agreement:.6g}") for s in suspects)]
    return save_text(path, csv_text(rows))

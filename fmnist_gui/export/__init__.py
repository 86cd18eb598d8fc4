"""What leaves the app besides a checkpoint: ONNX models, model cards and CSV tables. Qt-free.

The ONNX part (fmnist_gui.export.onnx, with torch) loads when it is first named: the tables and the
card are written without torch, and the window names this package before torch has loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fmnist_gui.export.card import model_card, write_model_card
from fmnist_gui.export.common import ExportError
from fmnist_gui.export.suspects import write_suspects_csv
from fmnist_gui.export.tables import write_confusion_csv, write_metrics_csv

if TYPE_CHECKING:
    from fmnist_gui.export.onnx import MISSING_EXTRA, OnnxReport, export_onnx

ONNX_NAMES = ("MISSING_EXTRA", "OnnxReport", "export_onnx")


def __getattr__(name: str) -> Any:
    if name in ONNX_NAMES:
        from fmnist_gui.export import onnx

        return getattr(onnx, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "MISSING_EXTRA",
    "ExportError",
    "OnnxReport",
    "export_onnx",
    "model_card",
    "write_confusion_csv",
    "write_metrics_csv",
    "write_model_card",
    "write_suspects_csv",
]

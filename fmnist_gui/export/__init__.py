"""What leaves the app besides a checkpoint: ONNX models, model cards and CSV tables. Qt-free."""

from __future__ import annotations

from fmnist_gui.export.card import model_card, write_model_card
from fmnist_gui.export.common import ExportError
from fmnist_gui.export.onnx import MISSING_EXTRA, OnnxReport, export_onnx
from fmnist_gui.export.suspects import write_suspects_csv
from fmnist_gui.export.tables import write_confusion_csv, write_metrics_csv

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

"""File → Export: metrics as CSV, the plots and the confusion matrix as pictures, the model as ONNX or a card."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.atomic import write_bytes
from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.data import FashionMNIST
from fmnist_gui.errors import UserFacingError
from fmnist_gui.export import write_confusion_csv, write_metrics_csv, write_model_card
from fmnist_gui.runs import read_metrics
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.common.pictures import CSV, PNG, SVG, widget_png, widget_svg
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.settings import Settings

if TYPE_CHECKING:
    from fmnist_gui.export.onnx import OnnxReport

T = TypeVar("T")


class ExportsController(QObject):
    def __init__(self, *, document: ModelDocument, predictions: Predictions, inference: InferenceWorker, settings: Settings,
                 reporter: Reporter, widgets: dict[str, QWidget], selected_runs: Callable[[], list[Path]],
                 data: Callable[[], FashionMNIST | None], window: QWidget) -> None:
        super().__init__(window)
        self.document, self.predictions, self.inference, self.settings = document, predictions, inference, settings
        self.reporter, self._widgets, self._selected_runs, self._data, self._window = reporter, widgets, selected_runs, data, window

    def handlers(self) -> dict[str, Callable[[], None]]:
        """The File → Export actions' handlers, by their keys in actions.ACTIONS."""
        return {"export_metrics": self.metrics_csv, "export_plots_png": self.plots_png, "export_plots_svg": self.plots_svg,
                "export_confusion_png": self.confusion_png, "export_confusion_csv": self.confusion_csv,
                "export_onnx": self.onnx, "export_card": self.model_card}

    def metrics_csv(self) -> None:
        """The selected runs' metrics in one long table, or the model on screen's history when none is selected."""
        folders = self._selected_runs()
        checkpoint = self.document.checkpoint
        history = () if checkpoint is None else checkpoint.history
        if not folders and not history:
            self.reporter.error("Nothing to export", "Select runs in the Runs tab, or train or open a model with a history.")
            return
        path = self._ask("Export metrics", "metrics.csv", CSV)
        if path is None:
            return

        def work() -> Path:
            runs = [(folder.name, read_metrics(folder)) for folder in folders] if folders else [("model", history)]
            return write_metrics_csv(runs, path)

        self._run("metrics", work)

    def plots_png(self) -> None:
        self._picture("curves", "curves.png", PNG, lambda widget: widget_png(widget))

    def plots_svg(self) -> None:
        self._picture("curves", "curves.svg", SVG, lambda widget: widget_svg(widget, "Training curves"))

    def confusion_png(self) -> None:
        self._picture("confusion", "confusion.png", PNG, lambda widget: widget_png(widget))

    def confusion_csv(self) -> None:
        if self.predictions.confusion is None:
            self.reporter.error("Nothing to export", "There is no confusion matrix yet: train or open a model.")
            return
        path = self._ask("Export the confusion matrix", "confusion.csv", CSV)
        if path is not None:
            confusion, names = self.predictions.confusion, self.predictions.class_names
            self._run("confusion", lambda: write_confusion_csv(confusion, names, path))

    def onnx(self) -> None:
        checkpoint = self._model()
        if checkpoint is None:
            return
        path = self._ask("Export the model as ONNX", f"{checkpoint.config.model}.onnx", "ONNX models (*.onnx)")
        if path is None:
            return
        data = self._data()
        self.reporter.note("Exporting to ONNX and checking it against PyTorch on the test set…")

        def work() -> OnnxReport:
            from fmnist_gui.export.onnx import export_onnx  # torch and onnx, in the lane's thread

            return export_onnx(checkpoint, path, data)

        self._run("onnx", work, lambda report: report.describe())

    def model_card(self) -> None:
        checkpoint = self._model()
        if checkpoint is None:
            return
        path = self._ask("Write a model card", f"{checkpoint.config.model}-card.md", "Markdown (*.md)")
        if path is None:
            return
        data = self._data()

        def work() -> Path:
            from fmnist_gui.engine.evaluation import evaluate

            evaluation = None if data is None else evaluate(checkpoint.build_model("cpu"), data.test_images,
                                                           data.test_labels, checkpoint.spec.mean, checkpoint.spec.std)
            return write_model_card(checkpoint, path, evaluation)

        self._run("card", work)

    # Helpers
    def _model(self) -> Checkpoint | None:
        if self.document.checkpoint is None:
            self.reporter.error("Nothing to export", "Train a model or open a checkpoint first.")
        return self.document.checkpoint

    def _ask(self, title: str, name: str, file_filter: str) -> Path | None:
        chosen = dialogs.save_path(self._window, title, str(Path(self.settings.last_folder()) / name), file_filter)
        return Path(chosen) if chosen else None

    def _picture(self, key: str, name: str, file_filter: str, render: Callable[[QWidget], bytes]) -> None:
        path = self._ask("Export a picture", name, file_filter)
        if path is None:
            return
        content = render(self._widgets[key])  # drawn here: widgets live in the GUI thread
        try:
            write_bytes(path, content)
        except (UserFacingError, OSError) as exc:
            self.reporter.error("Cannot export", str(exc))
            return
        self.reporter.note(f"Exported {path}")

    def _run(self, key: str, work: Callable[[], T], describe: Callable[[T], str] | None = None) -> None:
        def done(result: T) -> None:
            self.reporter.note(describe(result) if describe else f"Exported {result}")

        self.inference.run(f"export-{key}", lambda job: work(), done,
                           lambda message, details: self.reporter.error("Cannot export", message, details))

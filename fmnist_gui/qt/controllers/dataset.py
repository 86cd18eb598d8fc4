"""Finding and loading Fashion-MNIST in the background, and the banner shown while it is missing."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFrame, QLabel, QWidget

from fmnist_gui.data import FashionMNIST, load_fashion_mnist
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.settings import Settings


def missing_data_banner() -> QLabel:
    banner = QLabel()
    banner.setWordWrap(True)
    banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    banner.setFrameShape(QFrame.Shape.StyledPanel)
    banner.setStyleSheet("background: #fff8e1; color: #5d4037; padding: 8px;")
    banner.hide()
    return banner


class DataController(QObject):
    """Holds the loaded data set; `loaded` fires in the GUI thread once it is there."""

    loaded = Signal(FashionMNIST)
    missing = Signal()

    def __init__(self, *, inference: InferenceWorker, predictions: Predictions, banner: QLabel, reporter: Reporter,
                 settings: Settings, folder: str | None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.data: FashionMNIST | None = None
        self._inference, self._predictions, self._banner = inference, predictions, banner
        self._reporter, self._settings, self._folder = reporter, settings, folder

    def load(self) -> None:
        folder = self._folder
        self._inference.run("data", lambda job: load_fashion_mnist(folder), self._on_loaded, self._on_failed)

    def choose_folder(self, parent: QWidget) -> None:
        folder = dialogs.data_folder(parent, self._folder or str(Path.home()))
        if not folder:
            return

        def loaded(data: FashionMNIST) -> None:
            self._folder = folder
            self._settings.set_data_dir(folder)
            self._on_loaded(data)

        def failed(message: str, details: str) -> None:
            self._reporter.error("No Fashion-MNIST in that folder", message)
            if self.data is None:
                self._on_failed(message, details)

        self._inference.run("data", lambda job: load_fashion_mnist(folder), loaded, failed)

    def _on_loaded(self, data: FashionMNIST) -> None:
        self.data = data
        self._predictions.set_data(data.test_images.numpy(), data.test_labels.numpy(),
                                   data.train_images.numpy(), data.train_labels.numpy())
        self._banner.hide()
        self._reporter.note(f"Data: {len(data.train_labels):,} training and {len(data.test_labels):,} test images "
                            f"from {data.source}")
        self.loaded.emit(data)

    def _on_failed(self, message: str, details: str) -> None:
        self.data = None
        self._banner.setText(
            f"<b>No training data.</b> {message}<br>Install it with <code>sudo apt-get install dataset-fashion-mnist</code> "
            "and restart, or use <b>File → Choose data folder…</b>. You can still open a saved checkpoint."
        )
        self._banner.show()
        self._reporter.note(f"Data not loaded: {message}")
        self.missing.emit()

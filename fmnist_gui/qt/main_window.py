"""The main window: composes the views, owns the data and the current model, routes every error."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QLabel,
    QMainWindow,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import CLASS_NAMES, INSTALL_HINT, FashionMNIST, load_fashion_mnist
from fmnist_gui.devices import available_devices, resolve_device
from fmnist_gui.engine import EpochRecord, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.evaluation import Evaluation, evaluate
from fmnist_gui.engine.optim import same_trajectory
from fmnist_gui.errors import UserFacingError
from fmnist_gui.imaging import IMAGE_SUFFIXES
from fmnist_gui.progress import format_duration
from fmnist_gui.qt import dialogs
from fmnist_gui.qt.app import app_icon
from fmnist_gui.qt.controls import ControlsPanel
from fmnist_gui.qt.log_pane import LogPane
from fmnist_gui.qt.plots import TrainingPlots
from fmnist_gui.qt.inspection import InspectionViews
from fmnist_gui.qt.predictions import Predictions
from fmnist_gui.qt.run_status import RunStatusBar
from fmnist_gui.qt.samples import SampleGrid
from fmnist_gui.qt.session import RunState, TrainingSession
from fmnist_gui.qt.settings import Settings
from fmnist_gui.qt.worker import Task

APP_TITLE = "Fashion-MNIST trainer"
TRAIN_SET_SIZE = 60_000
LAYOUT_VERSION = 3  # bump when docks are added or removed: an older saved layout is then ignored


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, data_dir: str | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.session = TrainingSession(self)
        self.data: FashionMNIST | None = None
        self.model: Checkpoint | None = None  # the model on screen: trained here or opened
        self.model_path: str | None = None  # the file it was opened from or last saved to
        self.predictions = Predictions(CLASS_NAMES, self)  # the data and what the current model says of it
        self.sample_indices = np.zeros(0, dtype=np.int64)
        # numpy views of the test set: the GUI thread never runs a torch op, whose thread
        # pool would contend with the training thread's.
        self.test_images = np.zeros((0, 28, 28), dtype=np.uint8)
        self.test_labels = np.zeros(0, dtype=np.int64)
        self._rng = np.random.default_rng()
        self._tasks: set[Task] = set()
        self._evaluation_generation = 0
        self._data_dir = data_dir or self.settings.data_dir()
        self._closing = False
        self.unsaved = False  # the model on screen has training that no file holds

        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self._build_views()
        self._build_menus()
        self._build_status_bar()
        self._connect()
        self._restore()
        self._update_title()
        self._load_data()

    # Construction
    def _build_views(self) -> None:
        self.controls = ControlsPanel(available_devices())
        self.plots = TrainingPlots()
        self.samples = SampleGrid(CLASS_NAMES)
        self.log = LogPane()
        self.inspection = InspectionViews(self, self.predictions, lambda title, message: self._report_error(title, message))
        self.data_banner = QLabel()
        self.data_banner.setWordWrap(True)
        self.data_banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.data_banner.setFrameShape(QFrame.Shape.StyledPanel)
        self.data_banner.setStyleSheet("background: #fff8e1; color: #5d4037; padding: 8px;")
        self.data_banner.hide()
        curves = QWidget()
        layout = QVBoxLayout(curves)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.data_banner)
        layout.addWidget(self.plots, 1)

        scroll = QScrollArea()
        scroll.setWidget(self.controls)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(300)
        self.controls_dock = self._dock("Training", "controls", scroll, Qt.DockWidgetArea.LeftDockWidgetArea)
        # No central widget: every view is a dock, so any of them can be moved, tabbed or closed.
        self.curves_dock = self._dock("Curves", "curves", curves, Qt.DockWidgetArea.RightDockWidgetArea)
        self.samples_dock = self._dock("Samples", "samples", self.samples, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(self.curves_dock, self.samples_dock, Qt.Orientation.Horizontal)
        self.log_dock = self._dock("Log", "log", self.log, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.inspection.place(analysis_beside=self.curves_dock, images_beside=self.samples_dock)

    def _dock(self, title: str, name: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"{name}_dock")  # saveState needs names
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        return dock

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.open_action = self._action(file_menu, "&Open checkpoint…", QKeySequence.StandardKey.Open, self._on_open_triggered)
        self.recent_menu = file_menu.addMenu("Open &recent")
        self.save_action = self._action(file_menu, "&Save checkpoint", QKeySequence.StandardKey.Save, self._on_save_triggered)
        self.save_as_action = self._action(file_menu, "Save checkpoint &as…", QKeySequence.StandardKey.SaveAs, self._on_save_as_triggered)
        file_menu.addSeparator()
        self.data_action = self._action(file_menu, "Choose &data folder…", None, self._on_choose_data_triggered)
        file_menu.addSeparator()
        self.quit_action = self._action(file_menu, "&Quit", QKeySequence("Ctrl+Q"), self.close)
        edit_menu = self.menuBar().addMenu("&Edit")
        self._action(edit_menu, "Classify an image &file…", None, self._on_open_picture_triggered)
        self._action(edit_menu, "&Paste image to classify", QKeySequence.StandardKey.Paste, self._on_paste_triggered)
        view_menu = self.menuBar().addMenu("&View")
        for dock in (self.controls_dock, self.curves_dock, self.samples_dock, self.log_dock, *self.inspection.docks.values()):
            view_menu.addAction(dock.toggleViewAction())
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About", None, self._on_about_triggered)
        self._rebuild_recent_menu(self.settings.recent_files())

    def _action(self, menu: Any, text: str, shortcut: Any, slot: Callable[[], Any]) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_status_bar(self) -> None:
        self.status = RunStatusBar()
        self.setStatusBar(self.status)
        self.status.showMessage("Ready")

    def _connect(self) -> None:
        self.controls.train_requested.connect(self._on_train_requested)
        self.controls.continue_requested.connect(self._on_continue_requested)
        self.controls.pause_requested.connect(self.session.pause)
        self.controls.resume_requested.connect(self.session.resume)
        self.controls.stop_requested.connect(self._on_stop_requested)
        self.session.run_started.connect(self._on_run_started)
        self.session.run_started.connect(self.status.run_started)
        self.session.batch_finished.connect(self.plots.add_batch)
        self.session.batch_finished.connect(self.status.batch_finished)
        self.session.epoch_finished.connect(self._on_epoch_finished)
        self.session.run_finished.connect(self._on_run_finished)
        self.session.state_changed.connect(self._on_state_changed)
        self.samples.resample_requested.connect(self._on_resample_requested)
        self.samples.sample_clicked.connect(self._on_sample_clicked)

    def _restore(self) -> None:
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1500, screen.width() - 40), min(920, screen.height() - 60))
        state = self.settings.window_state()
        self._needs_default_sizes = state is None or not self.restoreState(state, LAYOUT_VERSION)
        config = self.settings.train_config()
        if config is not None:
            self.controls.set_config(config)
        self._update_actions()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._needs_default_sizes:  # dock sizes only hold once the window has its own size
            self._needs_default_sizes = False
            width = self.width()
            self.resizeDocks([self.controls_dock, self.curves_dock, self.samples_dock],
                             [330, max(500, width - 330 - 470), 470], Qt.Orientation.Horizontal)
            self.resizeDocks([self.log_dock], [120], Qt.Orientation.Vertical)

    # Data
    def _load_data(self) -> None:
        self.controls.set_data_ready(False)
        self.status.showMessage("Loading Fashion-MNIST…")
        folder = self._data_dir
        self._run_task(lambda: load_fashion_mnist(folder), self._on_data_loaded, self._on_data_failed)

    def _on_data_loaded(self, data: FashionMNIST) -> None:
        self.data = data
        self.test_images, self.test_labels = data.test_images.numpy(), data.test_labels.numpy()
        self.predictions.set_data(self.test_images, self.test_labels, data.train_images.numpy(), data.train_labels.numpy())
        self.data_banner.hide()
        self.controls.set_data_ready(True)
        self.status.showMessage(f"Fashion-MNIST loaded from {data.source}", 5000)
        self.log.add(f"Data: {len(data.train_labels):,} training and {len(data.test_labels):,} test images from {data.source}")
        self._draw_samples()
        if self.model is not None:
            self._evaluate_model()

    def _on_data_failed(self, message: str, details: str) -> None:
        self.data = None
        self.controls.set_data_ready(False)
        self.data_banner.setText(
            f"<b>No training data.</b> {message}<br>Install it with <code>sudo apt-get install dataset-fashion-mnist</code> "
            "and restart, or use <b>File → Choose data folder…</b>. You can still open a saved checkpoint."
        )
        self.data_banner.show()
        self.status.showMessage("Fashion-MNIST not found")
        self.log.add(f"Data not loaded: {message}")

    # Training
    def _on_train_requested(self, config: TrainConfig) -> None:
        if self.unsaved and not dialogs.confirm(
            self, "Discard the current model?", "The model trained so far is not saved. Train a new one and discard it?"
        ):
            return
        self._start_run(config, None)

    def _on_continue_requested(self, config: TrainConfig) -> None:
        if self.model is None:
            return
        base = self.model.config
        config = config.replace(model=base.model)
        unfinished = self.model.epoch < base.epochs
        if unfinished and same_trajectory(base, config):
            config = config.replace(epochs=base.epochs)  # finish the interrupted run exactly
        else:
            config = config.replace(epochs=self.model.epoch + config.epochs)
        self._start_run(config, self.model)

    def _start_run(self, config: TrainConfig, resume_from: Checkpoint | None) -> None:
        if self.data is None or self.session.active:
            return
        try:
            resolve_device(config.device)
            self.session.start(config, self.data, resume_from)
        except UserFacingError as exc:
            self.controls.show_error(str(exc))
            self.log.add(f"Not started: {exc}")
            return
        self.settings.set_train_config(config)
        if resume_from is None:
            self.plots.clear()
            self.model, self.model_path = None, None
            self.predictions.clear_results()
            self._draw_samples()
        self.log.add(
            f"Run {'continued' if resume_from else 'started'}: {config.model}, {config.optimizer} lr {config.lr:g}, batch {config.batch_size}, "
            f"{config.epochs} epochs, {config.schedule}, weight decay {config.weight_decay:g}, seed {config.seed}, "
            f"{'augmented, ' if config.augment else ''}on {config.device}"
        )
        self._update_title()

    def _on_stop_requested(self) -> None:
        self.session.stop()
        self.log.add("Stopping after the current batch…")

    def _on_run_started(self, run: RunStarted) -> None:
        self.plots.begin_run(run.config.epochs)

    def _on_epoch_finished(self, record: EpochRecord) -> None:
        self.plots.add_epoch(record)
        self.model = self.session.checkpoint()
        self.unsaved = True
        previous = _per_class_of(self.model.history[-2]) if self.model and len(self.model.history) > 1 else None
        self.predictions.set_results(self.model, record.test_probabilities, record.confusion, record.per_class_accuracy, previous, record.epoch)
        self._draw_samples(keep_indices=True)
        self.log.add(
            f"Epoch {record.epoch}/{record.epochs}: train loss {record.train_loss:.4f}, acc {record.train_accuracy:.2f}% | "
            f"test loss {record.test_loss:.4f}, acc {record.test_accuracy:.2f}% | lr {record.lr:.2e} | {record.seconds:.1f}s"
        )
        self._update_actions()

    def _on_run_finished(self, result: RunFinished) -> None:
        self.model = self.session.checkpoint()
        self.unsaved = self.unsaved or bool(self.model and self.model.step)
        self.log.add(f"Run {result.reason.value}: {result.message} ({format_duration(result.elapsed)})")
        self.status.run_finished(result)
        if result.reason is FinishReason.STOPPED and self.model is not None and self.model.step:
            self._evaluate_model()  # the weights moved since the last epoch's predictions
        if result.reason in (FinishReason.FAILED, FinishReason.DIVERGED):
            title = "Training diverged" if result.reason is FinishReason.DIVERGED else "Training failed"
            self._report_error(title, result.message, result.error_details or "")
        self._update_title()
        self._update_actions()

    def _on_state_changed(self, state: RunState) -> None:
        self.controls.set_running(state is not RunState.IDLE, paused=state is RunState.PAUSED)
        if state is RunState.PAUSED:
            self.status.showMessage("Paused")
            self.log.add("Paused")
        elif state is RunState.RUNNING and self.status.currentMessage() == "Paused":
            self.status.showMessage("Training…")
            self.log.add("Resumed")
        self._update_actions()
        self._update_title()

    # Samples
    def _draw_samples(self, keep_indices: bool = False) -> None:
        if self.data is None:
            return
        count = min(self.samples.capacity, len(self.test_labels))
        if not keep_indices or len(self.sample_indices) != count:
            self.sample_indices = np.sort(self._rng.choice(len(self.test_labels), size=count, replace=False))
        images = self.test_images[self.sample_indices]
        labels = self.test_labels[self.sample_indices]
        probabilities = None if self.probabilities is None else self.probabilities[self.sample_indices]
        self.samples.set_samples(images, labels, probabilities)

    def _on_resample_requested(self) -> None:
        self._draw_samples()

    def _on_sample_clicked(self, position: int) -> None:
        if self.data is None or position >= len(self.sample_indices):
            return
        self.inspection.inspect("test", self.sample_indices, position)

    # Checkpoints
    def open_checkpoint(self, path: str) -> bool:
        """Open a checkpoint and show it; a bad file leaves everything on screen as it was."""
        if self.session.active:
            self._report_error("Cannot open now", "Stop the training run before opening a checkpoint.")
            return False
        try:
            checkpoint = load_checkpoint(path)
            checkpoint.build_model("cpu")  # proves the weights fit before anything changes
        except (CheckpointError, UserFacingError) as exc:
            self._report_error("Cannot open checkpoint", str(exc))
            return False
        except RuntimeError as exc:
            self._report_error("Cannot open checkpoint", f"{Path(path).name}: the weights do not fit the model ({exc}).")
            return False
        if self.unsaved and not dialogs.confirm(
            self, "Discard the current model?", f"The model trained so far is not saved. Open {Path(path).name} instead?"
        ):
            return False
        self.model, self.model_path, self.unsaved = checkpoint, str(path), False
        self.predictions.clear_results()
        self.controls.set_config(checkpoint.config)
        if self.controls.config().device != checkpoint.config.device:
            self.log.add(f"The checkpoint was trained on {checkpoint.config.device}, which this machine lacks; using {self.controls.config().device}.")
        self.plots.clear()
        self.plots.show_history(checkpoint.history, checkpoint.batch_history, self._batches_per_epoch(checkpoint))
        self.status.reset()
        self.settings.set_last_folder(path)
        self._rebuild_recent_menu(self.settings.add_recent_file(path))
        self.log.add(
            f"Opened {path}: {checkpoint.config.model}, epoch {checkpoint.epoch}"
            + (f", best test accuracy {checkpoint.best_test_accuracy:.2f}%" if checkpoint.history else "")
            + (" (a bare state_dict)" if checkpoint.origin != "fmnist-gui" else "")
        )
        self._draw_samples()
        self._evaluate_model()
        self._update_title()
        self._update_actions()
        return True

    def _batches_per_epoch(self, checkpoint: Checkpoint) -> float:
        if checkpoint.history:
            return checkpoint.history[-1]["step"] / checkpoint.history[-1]["epoch"]
        return float(-(-TRAIN_SET_SIZE // checkpoint.config.batch_size))

    def save_checkpoint_to(self, path: str) -> bool:
        checkpoint = self.session.checkpoint() if self.session.active else self.model
        if checkpoint is None:
            self._report_error("Nothing to save", "Train a model or open a checkpoint first.")
            return False
        try:
            saved = save_checkpoint(checkpoint, path)
        except CheckpointError as exc:
            self._report_error("Cannot save checkpoint", str(exc))
            return False
        if not self.session.active:
            self.model_path, self.unsaved = str(saved), False
        self.settings.set_last_folder(str(saved))
        self._rebuild_recent_menu(self.settings.add_recent_file(str(saved)))
        note = " (the last finished epoch; training goes on)" if self.session.active else ""
        self.log.add(f"Saved {saved}: {checkpoint.config.model}, epoch {checkpoint.epoch}{note}")
        self.status.showMessage(f"Saved {saved.name}", 5000)
        self._update_title()
        return True

    def _evaluate_model(self) -> None:
        """Predict the whole test set with the current model, in a worker thread."""
        if self.model is None or self.data is None:
            return
        checkpoint, data = self.model, self.data
        self._evaluation_generation += 1
        generation = self._evaluation_generation

        def work() -> Evaluation:
            model = checkpoint.build_model("cpu")
            return evaluate(model, data.test_images, data.test_labels, checkpoint.spec.mean, checkpoint.spec.std)

        def done(result: Evaluation) -> None:
            if generation != self._evaluation_generation or self.session.active:
                return  # a newer model is on screen
            history = checkpoint.history
            previous = _per_class_of(history[-2]) if len(history) > 1 else None
            epoch = checkpoint.epoch if history else None
            self.predictions.set_results(checkpoint, result.probabilities, result.confusion, result.per_class_accuracy, previous, epoch)
            self._draw_samples(keep_indices=True)
            self.log.add(f"Evaluated on {len(data.test_labels):,} test images: accuracy {result.accuracy:.2f}%, loss {result.loss:.4f}")

        self.status.showMessage("Predicting the test set…", 3000)
        self._run_task(work, done, lambda message, details: self._report_error("Cannot evaluate the model", message, details))

    @property
    def probabilities(self) -> np.ndarray | None:
        """The current model's test-set probabilities, once known."""
        return None if self.predictions.test is None else self.predictions.test.probabilities

    # Menu handlers
    def _on_open_picture_triggered(self) -> None:
        path = dialogs.open_image_path(self, self.settings.last_folder())
        if path:
            self.inspection.open_picture(path)

    def _on_paste_triggered(self) -> None:
        self.inspection.paste_picture()

    def _on_open_triggered(self) -> None:
        path = dialogs.open_checkpoint_path(self, self.settings.last_folder())
        if path:
            self.open_checkpoint(path)

    def _on_save_triggered(self) -> None:
        if self.model_path and not self.session.active:
            self.save_checkpoint_to(self.model_path)
        else:
            self._on_save_as_triggered()

    def _on_save_as_triggered(self) -> None:
        checkpoint = self.session.checkpoint() if self.session.active else self.model
        name = f"{checkpoint.config.model}-epoch{checkpoint.epoch}.pt" if checkpoint else "model.pt"
        path = dialogs.save_checkpoint_path(self, str(Path(self.settings.last_folder()) / name))
        if path:
            self.save_checkpoint_to(path)

    def _on_choose_data_triggered(self) -> None:
        folder = dialogs.data_folder(self, self._data_dir or str(Path.home()))
        if not folder:
            return
        self._data_dir = folder

        def loaded(data: FashionMNIST) -> None:
            self.settings.set_data_dir(folder)
            self._on_data_loaded(data)

        def failed(message: str, details: str) -> None:
            self._report_error("No Fashion-MNIST in that folder", f"{message}")
            if self.data is None:
                self._on_data_failed(message, details)

        self._run_task(lambda: load_fashion_mnist(folder), loaded, failed)

    def _on_about_triggered(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        import fmnist_gui

        QMessageBox.about(self, "About", f"<b>{APP_TITLE}</b> {fmnist_gui.__version__}<br>Train, watch and demo Fashion-MNIST models.<br>{INSTALL_HINT.capitalize()}.")

    def _rebuild_recent_menu(self, recent: list[str]) -> None:
        self.recent_menu.clear()
        for path in recent:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda checked=False, p=path: self.open_checkpoint(p))
        self.recent_menu.setEnabled(bool(recent) and not self.session.active)

    # Drag and drop
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            path = urls[0].toLocalFile()
            if Path(path).suffix.lower() in IMAGE_SUFFIXES:
                self.inspection.open_picture(path)
            else:
                self.open_checkpoint(path)

    # State shown in the frame
    def _update_title(self) -> None:
        if self.session.active:
            checkpoint = self.session.checkpoint()
            subject = f"training {checkpoint.config.model}" if checkpoint else "training"
            if self.session.state is RunState.PAUSED:
                subject += " (paused)"
        elif self.model is not None:
            where = Path(self.model_path).name if self.model_path else "unsaved"
            if self.model_path and self.unsaved:
                where += " (changed)"
            subject = f"{where} — {self.model.config.model}, epoch {self.model.epoch}"
        else:
            subject = "no model"
        self.setWindowTitle(f"{subject} — {APP_TITLE}")

    def _update_actions(self) -> None:
        idle = not self.session.active
        has_model = self.model is not None or self.session.checkpoint() is not None
        self.open_action.setEnabled(idle)
        self.recent_menu.setEnabled(idle and not self.recent_menu.isEmpty())
        self.save_action.setEnabled(has_model)
        self.save_as_action.setEnabled(has_model)
        self.data_action.setEnabled(idle)
        self.controls.set_can_continue(self.model is not None)

    # Errors, threads and shutdown
    def _report_error(self, title: str, message: str, details: str = "") -> None:
        """The one place errors reach the user: a log line and a dialog."""
        self.log.add(f"{title}: {message}")
        dialogs.show_error(self, title, message, details)

    def _run_task(self, function: Callable[[], Any], on_success: Callable[[Any], None], on_failure: Callable[[str, str], None]) -> None:
        task = Task(function, on_success, on_failure, self)
        self._tasks.add(task)
        task.ended.connect(lambda: self._forget_task(task))

    def _forget_task(self, task: Task) -> None:
        self._tasks.discard(task)
        task.deleteLater()

    @property
    def busy(self) -> bool:
        """Whether a run or a background task (loading data, evaluating) is under way."""
        return self.session.active or bool(self._tasks) or self.inspection.busy

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self._closing:
            if self.session.active:
                question = ("Training is running", "A training run is in progress. Stop it and quit?")
            elif self.unsaved:
                question = ("Quit without saving?", "The model trained so far is not saved. Quit anyway?")
            else:
                question = None
            if question and not dialogs.confirm(self, *question):
                event.ignore()
                return
        self._closing = True
        self.settings.save_layout(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        """Stop the run and wait for every thread, before Qt deletes anything."""
        self.session.shutdown()
        self.inspection.shutdown()
        for task in list(self._tasks):
            task.wait()
        self._tasks.clear()


def _per_class_of(entry: dict[str, Any]) -> np.ndarray:
    """A history entry's per-class accuracy as an array, NaN where a class had no images."""
    return np.array([np.nan if v is None else v for v in entry.get("per_class_accuracy") or [np.nan] * len(CLASS_NAMES)], dtype=float)

"""The main window: it assembles the parts and lays them out; the parts do the work.

- tasks.BackgroundWork owns every thread; session, inference and the data source use its lanes.
- document.ModelDocument is the model on screen; files.FilesController opens and saves it.
- training.TrainingController runs the form's requests; analysis.AnalysisController explains models.
- docks.DOCKS and actions.ACTIONS are the tables of docks and menus.
- sweeps_window.SweepsWindow (Run → Sweeps…) and runs_room.RunsRoomWindow (the Runs tab's Compare runs…) are
  workspaces of their own, made when first asked for.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QCloseEvent, QDragEnterEvent, QDropEvent, QPaintEvent, QShowEvent
from PySide6.QtWidgets import QApplication, QDockWidget, QMainWindow

from fmnist_gui.checkpoint import CheckpointError
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import CLASS_NAMES, FashionMNIST
from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs import RunInfo, default_runs_dir
from fmnist_gui.unsaved import keep_unsaved
from fmnist_gui.devices import cpu_device
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.shell.actions import MenuActions, about_text, shortcut_rows
from fmnist_gui.qt.controllers.analysis import AnalysisController, AnalysisViews
from fmnist_gui.qt.controllers.dataset import DataController, missing_data_banner
from fmnist_gui.qt.shell.docks import LAYOUT_VERSION, apply_default_sizes, build_docks, raise_dock
from fmnist_gui.qt.shell.gui_gc import installed_collector
from fmnist_gui.qt.shell.runs_room import RunsRoomWindow
from fmnist_gui.qt.shell.sweeps_window import SweepsWindow
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.label_fixes import LabelFixes
from fmnist_gui.qt.controllers.dynamics import DynamicsController
from fmnist_gui.qt.state.dynamics_model import DynamicsModel
from fmnist_gui.qt.controllers.dynamics_panels import DynamicsPanelsController, DynamicsViews
from fmnist_gui.qt.controllers.epochs import EpochsController
from fmnist_gui.qt.controllers.exports import ExportsController
from fmnist_gui.qt.controllers.files import FilesController
from fmnist_gui.qt.controllers.follow import FollowController
from fmnist_gui.qt.common.icons import app_icon
from fmnist_gui.qt.background.camera import open_camera
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.controllers.inside import InsideController, InsideViews
from fmnist_gui.qt.controllers.compare import CompareController
from fmnist_gui.qt.controllers.label_fixes import LabelFixesController, labels_dir_beside
from fmnist_gui.qt.controllers.lr_finder import LRFinderController
from fmnist_gui.qt.controllers.presenter import PresenterController, LabelledImages
from fmnist_gui.qt.state.predictions import Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runs import RunsController
from fmnist_gui.qt.controllers.runtime import RuntimeLoader
from fmnist_gui.qt.state.run_state import RunState
from fmnist_gui.qt.state.runtime import TorchRuntime
from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.controllers.training import TrainingController
from fmnist_gui.qt.state.comparison import ComparisonState
from fmnist_gui.qt.views.compare import CompareView
from fmnist_gui.qt.views.controls import ControlsPanel
from fmnist_gui.qt.views.data_map import DataMapView
from fmnist_gui.qt.views.log_pane import LogPane
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.run_status import RunStatusBar
from fmnist_gui.qt.views.runs_table import RunsView
from fmnist_gui.qt.views.timeline import EpochTimeline
from fmnist_gui.qt.views.widgets import scrolling, stacked


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings | None = None, data_dir: str | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.app_quitting = False
        self._load_torch_after_first_paint = False
        # Infrastructure and state
        self.work = BackgroundWork(self)
        self.session = TrainingSession(self.work, self)
        self._hold_full_collections_while_training()
        self.inference = InferenceWorker(self.work)
        self.predictions = Predictions(CLASS_NAMES, self)
        self.runtime = TorchRuntime(self)
        self.document = ModelDocument(self.settings, self)
        self.dynamics_model = DynamicsModel(self)
        self.comparison = ComparisonState(self)
        self.label_fixes_state = LabelFixes(labels_dir_beside(default_runs_dir(self.settings.runs_dir())), CLASS_NAMES, self)
        self.camera = open_camera(self.work)  # None without the optional camera extra
        self.sweeps_window: SweepsWindow | None = None  # made at the first Run → Sweeps…
        self.runs_room: RunsRoomWindow | None = None  # made at the first Compare runs…
        # Views
        self.controls = ControlsPanel([cpu_device()])  # the GPUs once torch has loaded (RuntimeLoader)
        self.plots = TrainingPlots()
        self.log = LogPane()
        self.status = RunStatusBar()
        self.data_banner = missing_data_banner()
        self.views = AnalysisViews(self.predictions)
        self.runs_view, self.timeline = RunsView(), EpochTimeline()
        self.compare_view = CompareView(self.predictions.class_names)
        self.data_map = DataMapView(self.predictions, self.dynamics_model)
        self.dynamics_views = DynamicsViews(self.predictions.class_names, self.label_fixes_state)
        self.inside_views = InsideViews(self.predictions)
        self.docks = build_docks(self, {"controls": scrolling(self.controls), "curves": stacked(self.data_banner, self.plots),
                                        "log": self.log, "runs": self.runs_view, "timeline": self.timeline,
                                        "data_map": self.data_map, "compare": self.compare_view, **vars(self.views), **vars(self.dynamics_views),
                                        **vars(self.inside_views)})
        # Controllers
        self.reporter = Reporter(self.log, self)
        self.runtime_loader = RuntimeLoader(runtime=self.runtime, work=self.work, controls=self.controls,
                                            reporter=self.reporter, window=self)
        self.data_source = DataController(
            inference=self.inference, predictions=self.predictions, banner=self.data_banner, reporter=self.reporter,
            settings=self.settings, folder=data_dir or self.settings.data_dir(), parent=self)
        self.analysis = AnalysisController(
            views=self.views, predictions=self.predictions, inference=self.inference, reporter=self.reporter,
            raise_dock=self.raise_dock, parent=self)
        self.files = FilesController(
            document=self.document, session=self.session, predictions=self.predictions, settings=self.settings,
            reporter=self.reporter, show_status=lambda text: self.status.showMessage(text, 8000), runtime=self.runtime,
            window=self)
        self.runs = RunsController(
            view=self.runs_view, plots=self.plots, inference=self.inference, reporter=self.reporter,
            settings=self.settings, open_path=self.files.open_path, follow=self._follow_run, window=self)
        self.training = TrainingController(
            session=self.session, document=self.document, controls=self.controls, plots=self.plots, status=self.status,
            predictions=self.predictions, analysis=self.analysis, reporter=self.reporter, settings=self.settings,
            window=self, data=self.loaded_data, may_discard=self.files.may_discard, runs_dir=lambda: self.runs.runs_dir,
            runtime=self.runtime)
        self.following = FollowController(
            plots=self.plots, status=self.status, analysis=self.analysis, inference=self.inference,
            reporter=self.reporter, document=self.document, may_discard=self.files.may_discard, parent=self)
        self.dynamics = DynamicsController(
            model=self.dynamics_model, data_map=self.data_map, session=self.session, document=self.document,
            following=self.following, timeline=self.timeline, analysis=self.analysis, inference=self.inference,
            reporter=self.reporter, docks=self.docks, parent=self)
        self.dynamics_panels = DynamicsPanelsController(
            views=self.dynamics_views, model=self.dynamics_model, predictions=self.predictions,
            inspect=self.analysis.inspect, raise_dock=self.raise_dock, reporter=self.reporter, settings=self.settings,
            window=self)
        self.lr_finding = LRFinderController(self.work, self.controls, self.loaded_data, self.reporter, self.runtime, self)
        self.inside = InsideController(
            views=self.inside_views, predictions=self.predictions, inference=self.inference, analysis=self.analysis,
            reporter=self.reporter, session=self.session, parent=self)
        self.compare = CompareController(
            view=self.compare_view, state=self.comparison, predictions=self.predictions, document=self.document,
            analysis=self.analysis, inference=self.inference, reporter=self.reporter, settings=self.settings,
            dynamics=self.dynamics_model, open_path=self.files.open_path, window=self)
        review = self.dynamics_views.suspects.review
        assert review is not None  # the Suspects view was given the fix set's state
        self.label_fixes = LabelFixesController(
            fixes=self.label_fixes_state, review=review, controls=self.controls,
            predictions=self.predictions, document=self.document, reporter=self.reporter, settings=self.settings,
            compare_with=self.compare.compare_with, window=self)
        self.training.training_data = self.label_fixes.training_data
        for shows_training_images in (self.data_map.gallery, self.dynamics_views.forgetting.gallery,
                                      self.views.browser.gallery, self.views.inspector):
            shows_training_images.set_label_fixes(self.label_fixes_state)
        self.epochs = EpochsController(
            timeline=self.timeline, document=self.document, analysis=self.analysis, inference=self.inference,
            reporter=self.reporter, compare_with=self.compare.compare_with, parent=self)
        self.exports = ExportsController(
            document=self.document, predictions=self.predictions, inference=self.inference, settings=self.settings,
            reporter=self.reporter, widgets={"curves": self.plots, "confusion": self.views.confusion},
            selected_runs=self.runs_view.selected, data=self.loaded_data, window=self)
        self.menus = MenuActions(self, {
            "open": self.files.open, "save": self.files.save, "save_as": self.files.save_as,
            "choose_data": lambda: self.data_source.choose_folder(self), "quit": self.close,
            "open_picture": self._on_open_picture, "paste_picture": self.analysis.paste_picture,
            **{key: button.click for key, button in self.controls.run_buttons().items()},
            "reset_layout": self.reset_layout, "about": self._on_about, "present": self.present,
            "shortcuts": lambda: dialogs.shortcuts(self, shortcut_rows()),
            "reopen_last": self.settings.set_reopen_last_model,
            "getting_started": lambda: dialogs.getting_started(self),
            "compare_with": self.compare.choose, "stop_comparing": self.compare.stop,
            "follow": lambda: self.following.choose(self, self.runs.runs_dir), "stop_following": self.following.stop,
            "sweeps": self.open_sweeps,
            **self.exports.handlers(),
        }, self.docks, self.files.open_path)

        self.setWindowIcon(app_icon())
        self.setAcceptDrops(True)
        self.setDockNestingEnabled(True)
        self.setStatusBar(self.status)
        self._connect()
        self._restore()
        self.controls.set_data_ready(False)
        self.status.showMessage("Loading Fashion-MNIST…")
        if self.runtime_loader.needs_loading:  # torch's import would compete with the first frame: after it
            self._load_torch_after_first_paint = True
        else:
            self._load_torch_and_data()
        self.runs.refresh()  # also says once if a run was interrupted by a crash
        self.files.reopen_last(self.inference.run)

    def _connect(self) -> None:
        self.document.changed.connect(self._on_state_shown_changed)
        self.document.opened.connect(self.training.show_opened)
        self.document.failed.connect(self.reporter.error)
        self.document.recent_changed.connect(self.menus.set_recent)
        self.session.state_changed.connect(self._on_state_shown_changed)
        self.data_source.loaded.connect(self._on_data_loaded)
        self.data_source.missing.connect(lambda: self.status.showMessage("Fashion-MNIST not found"))
        self.session.run_started.connect(lambda run: raise_dock(self.docks, "curves"))  # what a new run is about
        self.controls.buttons_changed.connect(lambda: self.menus.follow_buttons(self.controls.run_buttons()))
        self.runs_view.shown_changed.connect(self.runs.set_shown)
        self.runs_view.compare_requested.connect(self.compare.compare_runs)
        self.runs_view.room_requested.connect(self.open_runs_room)
        self.controls.sweep_requested.connect(lambda config: self.open_sweeps().controller.new_sweep(config))
        self.comparison.other_changed.connect(self._on_comparison_changed)
        for dock in self.docks.values():
            dock.toggleViewAction().toggled.connect(partial(self._on_dock_toggled, dock))
        self.following.started.connect(self._on_state_shown_changed)
        self.following.ended.connect(self._on_following_ended)
        self.following.run_read.connect(self._on_followed_run_read)
        self.training.run_recorded.connect(self.runs.refresh)
        self.session.run_started.connect(lambda run: self.following.stop())
        self.session.run_finished.connect(lambda result: self.label_fixes.run_finished(result, self.session.checkpoint()))

    def _hold_full_collections_while_training(self) -> None:
        """A full collection in the GUI thread scans everything made since start-up: it waits while a run trains."""
        collector, session = installed_collector(QApplication.instance()), self.session
        if collector is not None:
            session.state_changed.connect(lambda state: collector.hold_full_collections(session, state.active))

    def _restore(self) -> None:
        self._default_layout = self.saveState(LAYOUT_VERSION)
        geometry = self.settings.geometry()
        if geometry is None or not self.restoreGeometry(geometry):
            screen = self.screen().availableGeometry()
            self.resize(min(1500, screen.width() - 40), min(920, screen.height() - 60))
        state = self.settings.window_state()
        self._needs_default_sizes = state is None or not self.restoreState(state, LAYOUT_VERSION)
        config = self.settings.train_config()
        if config is not None:
            self.controls.set_config(config)
        self.menus.set_recent(self.settings.recent_files())
        self.menus.actions["reopen_last"].setChecked(self.settings.reopen_last_model())
        closed = [dock.windowTitle() for dock in self.docks.values() if dock.isHidden()]
        if closed:
            self.reporter.note(f"Closed when the app was last used: {', '.join(closed)}. The View menu brings "
                               "each back; View → Reset layout brings them all.")
        self._on_state_shown_changed()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self._needs_default_sizes:  # dock sizes only hold once the window has its own size
            self._needs_default_sizes = False
            self._default_sizes()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt's name
        super().paintEvent(event)
        if self._load_torch_after_first_paint:  # the first frame is on screen once this pass ends
            self._load_torch_after_first_paint = False
            QTimer.singleShot(0, self._load_torch_and_data)

    def _load_torch_and_data(self) -> None:
        self.runtime_loader.start()
        self.data_source.load()  # its tensors need torch too

    def raise_dock(self, key: str) -> None:
        """Bring the dock called `key` to the front (a view asked to show something there)."""
        raise_dock(self.docks, key)

    def loaded_data(self) -> FashionMNIST | None:
        """The data set once loaded, else None."""
        return self.data_source.data

    def present(self) -> PresenterController | None:
        """View → Present: the model on screen (and the one compared with it), full screen on this window's screen."""
        checkpoint = self.session.checkpoint() if self.session.active else self.document.checkpoint
        if checkpoint is None:
            self.reporter.error("Nothing to present", "Train a model or open a checkpoint first.")
            return None
        test = self.predictions.test
        names = [f"{Path(self.document.path).name} ({checkpoint.config.model})" if self.document.path
                 else checkpoint.config.model]
        models = [checkpoint]
        if self.comparison.other is not None:
            models.append(self.comparison.other)
            names.append(self.comparison.other_name)
        presenter = PresenterController(
            models=models, names=names, inference=self.inference,
            test=None if test is None else LabelledImages(test.images, test.labels), class_names=self.predictions.class_names,
            camera=self.camera, last_folder=self.settings.last_folder, parent=self)
        presenter.left.connect(presenter.deleteLater)
        presenter.present(self.screen())
        return presenter

    def open_sweeps(self) -> SweepsWindow:
        """Run → Sweeps…: the Sweeps workspace, in front; its trials are recorded in this window's runs folder."""
        if self.sweeps_window is None:
            self.sweeps_window = SweepsWindow(
                work=self.work, runs_dir=lambda: self.runs.runs_dir, data_dir=self._data_folder, form=self.controls.config,
                open_run=self._in_front(self.files.open_path), follow_run=self._in_front(self.following.follow),
                set_form=self._in_front(self._set_form))
        self.sweeps_window.show()
        self.sweeps_window.raise_()
        self.sweeps_window.activateWindow()
        return self.sweeps_window

    def open_runs_room(self, folders: list[Path]) -> RunsRoomWindow:
        """The Runs tab's Compare runs…: the selected runs side by side, in a window of their own."""
        if self.runs_room is None:
            self.runs_room = RunsRoomWindow(
                inference=self.inference, class_names=self.predictions.class_names,
                compare_runs=self._in_front(self.compare.compare_runs), open_run=self._in_front(self.runs.open_run))
        self.runs_room.show_runs(folders)
        return self.runs_room

    def _data_folder(self) -> str | None:
        data = self.loaded_data()
        return str(data.source) if data is not None else None

    def _set_form(self, config: TrainConfig) -> None:
        """A workspace's values into the form (Train this); UserFacingError while the form shows another run's."""
        if self.session.active:
            raise UserFacingError("A run is training: its values are locked in the form until it ends or is stopped.")
        if self.following.active:
            raise UserFacingError("The form shows the values of the run being followed: File → Stop following frees it.")
        self.controls.set_config(config)
        self.raise_dock("controls")

    def _in_front(self, action: Callable[..., object]) -> Callable[..., None]:
        """`action`, for a workspace: it brings this window to the front, where it shows what was asked."""
        def in_front(*args: object) -> None:
            self.raise_()
            self.activateWindow()
            action(*args)

        return in_front

    def reset_layout(self) -> None:
        """Every dock back where it started, shown, at its first size (View → Reset layout)."""
        self.restoreState(self._default_layout, LAYOUT_VERSION)
        for dock in self.docks.values():
            dock.show()
        self._default_sizes()

    def _default_sizes(self) -> None:
        apply_default_sizes(self, self.docks, self.runs_view.height_for_rows)

    # What the parts tell each other through the window
    def _on_data_loaded(self, data: FashionMNIST) -> None:
        self.controls.set_data_ready(True)
        self.status.showMessage(f"Fashion-MNIST loaded from {data.source}", 5000)
        if self.document.checkpoint is not None:
            self.training.evaluate(self.document.checkpoint)

    def _on_state_shown_changed(self) -> None:
        self.setWindowTitle(self.document.title(paused=self.session.state is RunState.PAUSED))
        self.menus.update(idle=not self.session.active, has_model=self.document.checkpoint is not None or self.session.active,
                          comparing=self.comparison.other is not None, following=self.following.active)

    def _on_dock_toggled(self, dock: QDockWidget, shown: bool) -> None:
        if not shown and not self.app_quitting:
            self.status.showMessage(f"{dock.windowTitle()} is closed: View → {dock.windowTitle()} brings it back.", 10000)

    def _follow_run(self, folder: Path) -> None:
        self.following.follow(folder)

    def _on_followed_run_read(self, run: RunInfo) -> None:
        """The followed run's name in the title and its values in the form, locked: never another model's."""
        self.controls.show_followed(run.name, run.config)
        self.document.set_following(f"“{run.name}” ({run.model})" if run.model else f"“{run.name}”")

    def _on_following_ended(self) -> None:
        self.controls.show_followed(None)
        self.document.set_following(None)
        self._on_state_shown_changed()

    def _on_comparison_changed(self) -> None:
        self._on_state_shown_changed()
        if self.comparison.other is not None:
            self.raise_dock("compare")

    def _on_about(self) -> None:
        data = self.data_source.data
        dialogs.about(self, about_text(str(data.source) if data is not None else None, str(self.runs.runs_dir)))

    def _on_open_picture(self) -> None:
        path = dialogs.open_image_path(self, self.settings.last_folder())
        if path:
            self.analysis.open_picture(path)

    # Drag and drop: the same as opening from the command line
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if len(urls) == 1 and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt's name
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()
            self.open_any(urls[0].toLocalFile())

    def open_any(self, path: str) -> None:
        """What a dropped file or a launch's argument means: a run folder is followed, a picture is
        classified in Your image, anything else is opened as a checkpoint."""
        if Path(path).is_dir():
            self.following.follow(Path(path))
        elif self.files.is_picture(path):
            self.analysis.open_picture(path)
        else:
            self.files.open_path(path)

    # Leaving
    @property
    def busy(self) -> bool:
        """Whether a run or any background job is under way."""
        return self.session.active or self.work.busy

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if not self.app_quitting and not self._may_quit():
            event.ignore()
            return
        self.app_quitting = True
        self.settings.save_layout(self.saveGeometry(), self.saveState(LAYOUT_VERSION))
        self.shutdown()
        event.accept()

    def _may_quit(self) -> bool:
        if self.session.active and not dialogs.confirm(
                self, "Training is running", "A training run is in progress. Stop it and quit?", "Stop and quit"):
            return False
        if self.sweeps_window is not None and not self.sweeps_window.controller.may_close():
            return False
        return self.files.may_discard("quit")

    def keep_model_before_quitting(self) -> str | None:
        """When the window must close without asking (a signal): where the model on screen is kept, in words."""
        checkpoint = self.document.checkpoint
        if checkpoint is None or not self.document.unsaved:
            return None
        folder = self.training.recorded_in(checkpoint)
        if folder is not None:
            return f"The model is recorded in {folder}."
        try:
            path = keep_unsaved(checkpoint, checkpoint.config.model)
        except CheckpointError as exc:
            return f"The unsaved model could not be kept: {exc}"
        return f"The unsaved model was saved to {path}."

    def quit_with(self, code: int) -> None:
        """Close without asking and end the event loop with `code` (the layout is saved, every thread ends)."""
        self.app_quitting = True
        self.close()
        QApplication.exit(code)

    def shutdown(self) -> None:
        """Stop the run and end every thread, before Qt deletes anything; also wired to aboutToQuit."""
        self.reporter.quiet = True
        if self.sweeps_window is not None:
            self.sweeps_window.shut_down()
        if self.runs_room is not None:
            self.runs_room.close()
        self.work.shutdown()

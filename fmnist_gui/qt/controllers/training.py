"""Run orchestration: the form's requests become runs, and a run's records reach the views."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.data import FULL_COUNTS, FashionMNIST
from fmnist_gui.devices import resolve_device
from fmnist_gui.engine import EpochRecord, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.events import HyperparameterChange, learned_nothing
from fmnist_gui.errors import UserFacingError
from fmnist_gui.formats import counted, format_duration, format_loss
from fmnist_gui.runs import RunRecorder
from fmnist_gui.qt.controllers.analysis import AnalysisController
from fmnist_gui.qt.state.document import ModelDocument
from fmnist_gui.qt.state.predictions import Baseline, Predictions
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.controllers.runtime import after_torch
from fmnist_gui.qt.state.runtime import TorchRuntime
from fmnist_gui.qt.state.run_state import RunState
from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.state.settings import Settings
from fmnist_gui.qt.views.controls import ControlsPanel
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.run_status import RunStatusBar

if TYPE_CHECKING:
    from fmnist_gui.engine.evaluation import Evaluation


class TrainingController(QObject):
    """Connects the form, the session, the document, the plots, the status bar and the analysis views."""

    run_recorded = Signal()  # the run folder of the current run was created or finished

    def __init__(self, *, session: TrainingSession, document: ModelDocument, controls: ControlsPanel, plots: TrainingPlots,
                 status: RunStatusBar, predictions: Predictions, analysis: AnalysisController, reporter: Reporter,
                 settings: Settings, window: QWidget, data: Callable[[], FashionMNIST | None],
                 may_discard: Callable[[str], bool], runs_dir: Callable[[], Path], runtime: TorchRuntime) -> None:
        super().__init__(window)
        self.runtime = runtime
        self.session, self.document, self.controls, self.plots = session, document, controls, plots
        self.status, self.predictions, self.analysis = status, predictions, analysis
        self.reporter, self.settings, self._data, self._may_discard = reporter, settings, data, may_discard
        self._runs_dir = runs_dir
        self._recorder: RunRecorder | None = None
        self._steps_at_start = 0
        self._revert_target: Checkpoint | None = None
        self._pending_epoch: EpochRecord | None = None  # an epoch's results waiting for the next event-loop turn
        self._batches_per_epoch = 1  # of the current run, to place a marker where a change took effect
        # What a run trains on: the data as loaded, or with a label fix set applied (the label-fixes controller's)
        self.training_data: Callable[[TrainConfig, FashionMNIST, bool], tuple[TrainConfig, FashionMNIST]] = (
            lambda config, data, fresh: (config, data))
        controls.train_requested.connect(self._on_train_requested)
        controls.continue_requested.connect(self._on_continue_requested)
        controls.pause_requested.connect(session.pause)
        controls.resume_requested.connect(self._on_resume_requested)
        controls.stop_requested.connect(self.stop)
        controls.revert_requested.connect(self.revert_to_best)
        session.run_started.connect(self._on_run_started)
        session.batch_finished.connect(plots.add_batch)
        session.batch_finished.connect(status.batch_finished)
        session.epoch_finished.connect(self._on_epoch_finished)
        session.run_finished.connect(self._on_run_finished)
        session.state_changed.connect(self._on_state_changed)
        session.hyperparameters_changed.connect(self._on_hyperparameters_changed)
        document.changed.connect(self._show_what_continue_does)

    def show_opened(self, checkpoint: Checkpoint) -> None:
        """A checkpoint read from a file: its values in the form, its curves, its predictions."""
        self._offer_revert(None)
        self._pending_epoch = None
        self.predictions.clear_results()
        self.controls.set_config(checkpoint.config)
        if self.controls.config().device != checkpoint.config.device:
            self.reporter.note(f"The checkpoint was trained on {checkpoint.config.device}, which this machine lacks; "
                               f"using {self.controls.config().device}.")
        self.plots.show_history(checkpoint.history, checkpoint.batch_history, batches_per_epoch(checkpoint), checkpoint.changes)
        self.status.reset()
        self.reporter.note(
            f"Opened {self.document.path}: {checkpoint.config.model}, epoch {checkpoint.epoch}"
            + (f", best test accuracy {checkpoint.best_test_accuracy:.2f}%" if checkpoint.history else "")
            + (" (a bare state_dict)" if checkpoint.origin != "fmnist-gui" else "")
        )
        self.evaluate(checkpoint)

    def evaluate(self, checkpoint: Checkpoint, then: Callable[[Evaluation], None] | None = None) -> None:
        """Predict the test set with a model that did not just come from an epoch's end."""
        self.status.showMessage("Predicting the test set…", 3000)
        self.analysis.evaluate(checkpoint, then)

    def revert_to_best(self) -> None:
        """Bring back the best epoch of the last run, offered when the run ended on a worse model."""
        best = self._revert_target
        if best is None or self.session.active:
            return
        self._offer_revert(None)
        self._pending_epoch = None
        self.document.set_trained(best, trained=True)
        self.plots.show_history(best.history, best.batch_history, batches_per_epoch(best), best.changes)
        self.reporter.note(f"Reverted to {best.position}: test accuracy {best.history[-1].test_accuracy:.2f}%.")
        self.evaluate(best)

    def recorded_in(self, checkpoint: Checkpoint | None) -> Path | None:
        """The run folder that holds `checkpoint` as its last state, when it is the model the last run
        ended with and the recorder wrote it; else None."""
        recorder = self._recorder
        if (checkpoint is None or recorder is None or recorder.folder is None or self.session.active
                or not recorder.final_model_saved or checkpoint is not self.session.checkpoint()):
            return None
        return recorder.folder

    def stop(self) -> None:
        if self.session.active:
            self.session.stop()
            self.reporter.note("Stopping after the current batch…")

    # Requests from the form
    def _on_train_requested(self, config: TrainConfig) -> None:
        if not self.runtime.is_loaded:
            after_torch(self.runtime, self.reporter, "train", "Training starts", lambda: self._on_train_requested(config))
            return
        if self._may_discard("train a new one"):
            self._start(config, fresh=True)

    def _on_continue_requested(self, requested: TrainConfig) -> None:
        if not self.runtime.is_loaded:
            after_torch(self.runtime, self.reporter, "train", "Training goes on",
                        lambda: self._on_continue_requested(requested))
            return
        checkpoint = self.document.checkpoint
        if checkpoint is None or not checkpoint.trained:
            return
        last_lr = checkpoint.history[-1].lr if checkpoint.history else None
        policy = self.controls.continuation()
        from fmnist_gui.engine.optim import continuation_config, schedule_finished

        try:
            config = continuation_config(checkpoint.config, checkpoint.epoch, last_lr, requested, policy)
        except UserFacingError as exc:  # e.g. more epochs in all than a run may have
            self.controls.show_error(str(exc))
            return
        if schedule_finished(checkpoint.config, checkpoint.epoch):
            self.reporter.note(f"The {checkpoint.config.schedule} schedule of epochs 1-{checkpoint.epoch} has finished; "
                               f"continuing with {policy.label}: {config.schedule} from lr {config.lr:.3g}.")
        self._start(config, fresh=False)

    def _on_resume_requested(self) -> None:
        """Resume, first handing the run the values edited while it was paused."""
        edits = self.controls.paused_edits()
        if edits:
            try:
                self.session.change_hyperparameters(edits)
            except UserFacingError as exc:  # the form checks the same rules; this is the engine's word on it
                self.controls.show_error(str(exc))
                return
        self.session.resume()

    def _show_what_continue_does(self) -> None:
        checkpoint = self.document.checkpoint
        if checkpoint is None or not checkpoint.trained:
            self.controls.set_model_to_continue(None)
            return
        from fmnist_gui.engine.optim import schedule_finished  # a model is open: torch has loaded

        self.controls.set_model_to_continue(f"{checkpoint.config.model} from {checkpoint.position}",
                                            schedule_finished(checkpoint.config, checkpoint.epoch))

    def _start(self, config: TrainConfig, fresh: bool) -> None:
        data = self._data()
        if data is None or self.session.active:
            return
        resume_from = None if fresh else self.document.checkpoint
        recorder = RunRecorder(self._runs_dir(), resume=None if fresh else self.document.run_folder)
        try:
            resolve_device(config.device)
            config, data = self.training_data(config, data, fresh)
            self.session.start(config, data, resume_from, recorder)
        except UserFacingError as exc:
            self.controls.show_error(str(exc))
            self.reporter.note(f"Not started: {exc}")
            return
        self._recorder = recorder
        self._steps_at_start = resume_from.step if resume_from else 0
        self._offer_revert(None)
        self.settings.set_train_config(config)
        if fresh:
            self.plots.clear()
            self.analysis.cancel_evaluation()
            self.document.start_fresh()
            self.predictions.clear_results()
        self.document.set_training(config.model)
        self.reporter.note(
            f"Run {'started' if fresh else 'continued'}: {config.model}, {config.optimizer} lr {config.lr:g}, "
            f"batch {config.batch_size}, {counted(config.epochs, 'epoch')}, {config.schedule}, weight decay {config.weight_decay:g}, "
            f"seed {config.seed}, {'augmented, ' if config.augment else ''}on {config.device}"
            + (f", training labels fixed by {config.labels} ({data.trained_count:,} of {len(data.train_labels):,} images "
               "trained on; the test set unchanged)" if config.labels else "")
        )

    # What the run reports
    def _on_run_started(self, run: RunStarted) -> None:
        self._batches_per_epoch = run.batches_per_epoch
        self.plots.begin_run(run.config.epochs)
        self.status.run_started(run)
        how = f" ({run.execution_chosen})" if run.execution_chosen else ""
        self.reporter.note(f"Training path: {run.execution}{how}")  # as train's first line and run.json say
        recorder = self._recorder
        if recorder is not None:
            self.document.run_folder = recorder.folder
            for warning in recorder.warnings:
                self.reporter.note(f"Warning: {warning}")
            if recorder.folder is not None:
                self.reporter.note(f"Recording the run in {recorder.folder}")
            self.run_recorded.emit()

    def _on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        self.plots.add_change(change, self._batches_per_epoch)
        if self.session.config is not None:
            self.settings.set_train_config(self.session.config)  # the next start's form has the values in use
        self.reporter.note(f"Changed while paused: {change.label}, from batch {change.batch + 1} of epoch {change.epoch}.")

    def _on_epoch_finished(self, record: EpochRecord) -> None:
        """Spread over event-loop turns, so that no single turn blocks the window for long."""
        self.plots.add_epoch(record)
        self.reporter.note(
            f"Epoch {record.epoch}/{record.epochs}: train loss {format_loss(record.train_loss)}, acc {record.train_accuracy:.2f}% | "
            f"test loss {format_loss(record.test_loss)}, acc {record.test_accuracy:.2f}% | lr {record.lr:.2e} | {record.seconds:.1f}s"
        )
        if learned_nothing(record.test_accuracy):
            config = self.session.config
            assert config is not None  # an epoch finishes only in a run the session started
            warning = (f"Test accuracy is {record.test_accuracy:.2f}% after epoch {record.epoch}: chance level (10% is a "
                       f"guess). The model is not learning; a lower learning rate than {config.lr:g} may help.")
            self.plots.show_warning(warning)
            self.reporter.note(f"Warning: {warning}")
        else:
            self.plots.show_warning(None)
        self._pending_epoch = record
        QTimer.singleShot(0, self, lambda: self._show_epoch_results(record))

    def _show_epoch_results(self, record: EpochRecord) -> None:
        if self._pending_epoch is not record:
            return  # another model took the screen meanwhile (reverted, opened, a new run)
        self._pending_epoch = None
        checkpoint = self.session.checkpoint()
        self.document.set_trained(checkpoint, trained=True)
        self.predictions.set_results(checkpoint, record.test_probabilities, record.confusion, record.per_class_accuracy,
                                     Baseline.of(checkpoint) if checkpoint is not None else Baseline())

    def _on_run_finished(self, result: RunFinished) -> None:
        checkpoint = self.session.checkpoint()
        trained = checkpoint is not None and checkpoint.step > self._steps_at_start
        self.document.set_training(None)
        self.document.set_trained(checkpoint, trained=trained)
        self.reporter.note(f"Run {result.reason.value}: {result.message} ({format_duration(result.elapsed)})")
        self.status.run_finished(result)
        if self._recorder is not None:
            for warning in self._recorder.warnings[1:] if self._recorder.warnings else ():
                self.reporter.note(f"Warning: {warning}")
            self.run_recorded.emit()
        if checkpoint is not None and checkpoint.extra_batches and trained:
            # The weights moved since the last epoch's predictions: evaluate them, then compare with the best.
            self.evaluate(checkpoint, lambda evaluation: self._ended_at(checkpoint, evaluation.accuracy))
        elif checkpoint is not None and checkpoint.history:
            self._ended_at(checkpoint, checkpoint.history[-1].test_accuracy)
        if result.reason in (FinishReason.FAILED, FinishReason.DIVERGED):
            title = "Training diverged" if result.reason is FinishReason.DIVERGED else "Training failed"
            self.reporter.error(title, result.message, result.error_details or "")

    def _ended_at(self, final: Checkpoint, accuracy: float) -> None:
        """Say how the model a run ended with compares with the run's best epoch, and offer the best."""
        if final.extra_batches:
            self.plots.show_stopped(final.position, accuracy)
        best = self.session.best_checkpoint()
        if best is None or best is final or best.history[-1].test_accuracy <= accuracy:
            return
        best_accuracy = best.history[-1].test_accuracy
        self.reporter.note(f"The model at {final.position} ({accuracy:.2f}%) is worse than {best.position} "
                           f"({best_accuracy:.2f}%): Revert to the best epoch brings that one back.")
        self._revert_target = best
        self._offer_revert(f"Revert to {best.position} ({best_accuracy:.2f}%)")

    def _offer_revert(self, text: str | None) -> None:
        if text is None:
            self._revert_target = None
        self.controls.offer_revert(text)

    def _on_state_changed(self, state: RunState) -> None:
        if state is RunState.PAUSED and self.session.config is not None:
            self.controls.edit_while_paused(self.session.config)
        self.controls.set_run_state(state)
        if state is RunState.PAUSED:
            self.status.showMessage("Paused")
            self.reporter.note("Paused")
        elif state is RunState.PAUSING:
            self.status.showMessage("Pausing after the current batch…")
        elif state is RunState.RUNNING and self.status.currentMessage().startswith("Paus"):
            self.status.showMessage("Training…")
            self.reporter.note("Resumed")


def batches_per_epoch(checkpoint: Checkpoint) -> float:
    """How many batch reports' steps make an epoch, for drawing a checkpoint's batch curve in epochs."""
    last = checkpoint.history[-1] if checkpoint.history else None
    if last is not None and last.step > 0 and last.epoch > 0:
        return last.step / last.epoch
    return float(-(-FULL_COUNTS["train"] // checkpoint.config.batch_size))

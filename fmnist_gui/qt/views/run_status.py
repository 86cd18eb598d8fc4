"""The status bar of a run: progress, epoch x of y, images per second, elapsed and ETA, device."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar, QStatusBar, QWidget

from fmnist_gui.engine.events import BatchRecord, FinishReason, RunFinished, RunStarted
from fmnist_gui.formats import format_duration

STEPS = 1000  # the progress bar's resolution


class RunStatusBar(QStatusBar):
    """Receives the run's records; messages (loading, saved …) go through showMessage as usual."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._epochs = 0
        self.epoch_label = QLabel()
        self.speed_label = QLabel()
        self.time_label = QLabel()
        self.device_label = QLabel()
        self.progress = QProgressBar()
        self.progress.setRange(0, STEPS)
        self.progress.setFormat("%p%")
        self.progress.setMaximumWidth(220)
        for widget in (self.epoch_label, self.speed_label, self.time_label, self.device_label, self.progress):
            self.addPermanentWidget(widget)

    def run_started(self, run: RunStarted) -> None:
        self._epochs = run.config.epochs
        self.device_label.setText(run.device_name)
        self.progress.show()
        self.epoch_label.setText(f"Epoch {run.start_epoch + 1} of {self._epochs}")
        self.progress.setValue(0)
        self.showMessage("Training…")

    def batch_finished(self, record: BatchRecord) -> None:
        self.progress.setValue(round(STEPS * record.progress))
        self.epoch_label.setText(f"Epoch {record.epoch} of {self._epochs}")
        self.speed_label.setText(f"{record.samples_per_second:,.0f} img/s")
        self.time_label.setText(f"elapsed {format_duration(record.elapsed)} · ETA {format_duration(record.eta_seconds)}")

    def run_finished(self, result: RunFinished) -> None:
        """Nothing left to estimate: no speed, no ETA, and the bar full only for a run that completed."""
        self.speed_label.clear()
        self.time_label.setText(f"took {format_duration(result.elapsed)}")
        if result.reason is FinishReason.COMPLETED:
            self.progress.setValue(STEPS)
        else:
            self.progress.hide()
        self.showMessage(f"Run {result.reason.value}", 10000)

    def reset(self) -> None:
        """A model that did not come from a run here (an opened checkpoint): no progress to show."""
        self.progress.setValue(0)
        self.progress.hide()
        for label in (self.epoch_label, self.speed_label, self.time_label):
            label.clear()

"""The epoch timeline: a slider over a run's snapshots, and an epoch to compare with in the inspector."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSlider, QVBoxLayout, QWidget

SETTLE_MS = 150  # dragging the slider loads an epoch once the handle rests, not at every step


class EpochTimeline(QWidget):
    """Shows the epochs it is given; says which one to show and which one to compare with."""

    epoch_chosen = Signal(int)  # an epoch to load into every analysis view
    compare_chosen = Signal(int)  # an epoch for the inspector's second column; 0 for none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._epochs: list[int] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setEnabled(False)
        self.slider.setToolTip("Drag to load the model of any epoch into the samples, matrix, per-class bars, "
                               "galleries, inspector, your image and drawing")
        self.slider.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.label = QLabel("No run with snapshots is open: train one, or open a run in the Runs tab.")
        self.label.setWordWrap(True)
        self.compare = QComboBox()
        self.compare.setToolTip("Show this epoch's probabilities beside the shown one's in the inspector")
        self.compare.setEnabled(False)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(lambda: self.epoch_chosen.emit(self.epoch))
        row = QHBoxLayout()
        row.addWidget(QLabel("Epoch"))
        row.addWidget(self.slider, 1)
        row.addWidget(QLabel("Compare with"))
        row.addWidget(self.compare)
        layout = QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.label)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)  # grows with its dock, asks for no more
        self.slider.valueChanged.connect(self._on_slider_moved)
        self.compare.activated.connect(lambda index: self.compare_chosen.emit(self.compare.itemData(index)))

    @property
    def epoch(self) -> int:
        return self._epochs[self.slider.value()] if self._epochs else 0

    def set_epochs(self, epochs: Sequence[int], run_name: str = "", shown: int | None = None) -> None:
        """The snapshot epochs of a run; `shown` is the epoch on screen now (the last by default)."""
        self._epochs = list(epochs)
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, len(self._epochs) - 1))
        self.slider.setValue(self._epochs.index(shown) if shown in self._epochs else max(0, len(self._epochs) - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(len(self._epochs) > 1)
        self.compare.clear()
        self.compare.addItem("nothing", 0)
        for epoch in self._epochs:
            self.compare.addItem(f"epoch {epoch}", epoch)
        self.compare.setEnabled(bool(self._epochs))
        self._run_name = run_name
        self._show_label()

    def _on_slider_moved(self) -> None:
        self._show_label()
        self._settle.start()

    def _show_label(self) -> None:
        if not self._epochs:
            self.label.setText("No snapshots in this run yet: one is written at every epoch's end.")
            return
        self.label.setText(f"{self._run_name}: epoch {self.epoch} of {self._epochs[-1]} "
                           f"({len(self._epochs)} snapshots). The analysis views show this epoch's model.")

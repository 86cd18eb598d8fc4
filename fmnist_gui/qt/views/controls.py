"""The hyperparameter form and the run buttons; it builds a TrainConfig and shows why one is invalid."""

from __future__ import annotations

import math

from PySide6.QtCore import Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.config import OPTIMIZERS, PRESETS, SCHEDULES, TrainConfig, preset
from fmnist_gui.devices import DeviceInfo
from fmnist_gui.errors import UserFacingError
from fmnist_gui.models import MODELS
from fmnist_gui.qt.run_state import RunState


class LogSpinBox(QDoubleSpinBox):
    """A spin box for rates: arrows multiply or divide by about 1.78 (four steps a decade); text is plain."""

    STEPS_PER_DECADE = 4

    def __init__(self, minimum: float, maximum: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(minimum, maximum)

    def stepBy(self, steps: int) -> None:
        value = max(self.value(), self.minimum())
        exponent = round(math.log10(value) * self.STEPS_PER_DECADE) + steps
        self.setValue(float(f"{10 ** (exponent / self.STEPS_PER_DECADE):.3g}"))

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        stripped = text.strip()
        if not stripped or stripped in {".", "e", "-"} or stripped.endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        state = QValidator.State.Acceptable if self.minimum() <= value <= self.maximum() else QValidator.State.Intermediate
        return state, text, pos


PAUSE_BUTTON_TEXT = {
    RunState.IDLE: "Pause", RunState.RUNNING: "Pause", RunState.STOPPING: "Pause",
    RunState.PAUSING: "Pausing…", RunState.PAUSED: "Resume",
}


class ControlsPanel(QWidget):
    """Emits train/continue/pause/resume/stop requests; the window decides what they do."""

    train_requested = Signal(object)  # TrainConfig
    continue_requested = Signal(object)  # TrainConfig
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()

    def __init__(self, devices: list[DeviceInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = RunState.IDLE
        self._data_ready = False
        self._can_continue = False

        self.preset = _narrow(QComboBox())
        for name, (description, _) in PRESETS.items():
            self.preset.addItem(name, name)
            self.preset.setItemData(self.preset.count() - 1, description, _tooltip_role())
        self.preset.setToolTip("Fill the form with a tested set of values")
        self.device = _narrow(QComboBox())
        for info in devices:
            self.device.addItem(info.label, info.name)
        self.device.setToolTip("Where training runs: the CPU, a CUDA GPU (cuda:N) or Apple's GPU (mps)")
        self.model = _narrow(QComboBox())
        for spec in MODELS.values():
            self.model.addItem(f"{spec.name} · {_millions(spec.parameter_count)} params", spec.name)
            self.model.setItemData(self.model.count() - 1, spec.description, _tooltip_role())
        self.model.setToolTip("The network architecture")
        self.optimizer = _combo(OPTIMIZERS, "SGD (with momentum), Adam, or AdamW (Adam with decoupled weight decay)")
        self.lr = LogSpinBox(1e-6, 10.0)
        self.lr.setToolTip("Learning rate: the step size (for one-cycle, the peak). Arrows move a quarter decade.")
        self.momentum = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=0.999, singleStep=0.05)
        self.momentum.setToolTip("SGD momentum: how much of the previous step carries over (0 = plain SGD)")
        self.batch_size = QSpinBox(minimum=1, maximum=65536)
        self.batch_size.setToolTip("Images per training step")
        self.epochs = QSpinBox(minimum=1, maximum=10000)
        self.epochs.setToolTip("Passes over the 60,000 training images (Continue adds this many)")
        self.weight_decay = QDoubleSpinBox(decimals=6, minimum=0.0, maximum=1.0, singleStep=1e-4)
        self.weight_decay.setToolTip("L2 penalty on the weights; 0 turns it off")
        self.schedule = _combo(SCHEDULES, "How the learning rate changes: constant, one-cycle (warm up then anneal), or cosine decay")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed and values give the same run on a CPU")
        self.augment = QCheckBox("Random flips and shifts")
        self.augment.setToolTip("Augment training images with horizontal flips and shifts of up to 2 pixels")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        for label, widget in (
            ("Preset", self.preset), ("Device", self.device), ("Model", self.model), ("Optimizer", self.optimizer),
            ("Learning rate", self.lr), ("Momentum", self.momentum), ("Batch size", self.batch_size),
            ("Epochs", self.epochs), ("Weight decay", self.weight_decay), ("LR schedule", self.schedule),
            ("Seed", self.seed), ("Augmentation", self.augment),
        ):
            form.addRow(label, widget)
        hyper = QGroupBox("Hyperparameters")
        hyper.setLayout(form)

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Train a new model from scratch with these values")
        self.continue_button = QPushButton("Continue training")
        self.continue_button.setToolTip("Train the current model further, keeping its optimizer state and history")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current batch; Resume carries on")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch, keeping the weights trained so far")
        buttons = QVBoxLayout()
        row = QHBoxLayout()
        row.addWidget(self.train_button)
        row.addWidget(self.continue_button)
        buttons.addLayout(row)
        row = QHBoxLayout()
        row.addWidget(self.pause_button)
        row.addWidget(self.stop_button)
        buttons.addLayout(row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        buttons.addWidget(self.hint)

        layout = QVBoxLayout(self)
        layout.addWidget(hyper)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.preset.activated.connect(self._on_preset_chosen)
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        self.train_button.clicked.connect(lambda: self._emit_config(self.train_requested))
        self.continue_button.clicked.connect(lambda: self._emit_config(self.continue_requested))
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        for widget in (self.lr, self.momentum, self.weight_decay):
            widget.valueChanged.connect(self._clear_error)
        self.set_config(preset("default"))
        self._update_buttons()

    # What the window tells the panel
    def set_config(self, config: TrainConfig) -> None:
        index = self.device.findData(config.device)
        self.device.setCurrentIndex(max(0, index))
        self.model.setCurrentIndex(max(0, self.model.findData(config.model)))
        self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(config.optimizer)))
        self.lr.setValue(config.lr)
        self.momentum.setValue(config.momentum)
        self.batch_size.setValue(config.batch_size)
        self.epochs.setValue(config.epochs)
        self.weight_decay.setValue(config.weight_decay)
        self.schedule.setCurrentIndex(max(0, self.schedule.findData(config.schedule)))
        self.seed.setValue(config.seed)
        self.augment.setChecked(config.augment)
        self._on_optimizer_changed()
        self._clear_error()

    def config(self) -> TrainConfig:
        """The form as a TrainConfig; raises UserFacingError when a value is not allowed."""
        return TrainConfig(
            model=self.model.currentData(),
            optimizer=self.optimizer.currentData(),
            lr=self.lr.value(),
            momentum=self.momentum.value(),
            batch_size=self.batch_size.value(),
            epochs=self.epochs.value(),
            weight_decay=self.weight_decay.value(),
            schedule=self.schedule.currentData(),
            seed=self.seed.value(),
            device=self.device.currentData() or "cpu",
            augment=self.augment.isChecked(),
        )

    def set_run_state(self, state: RunState) -> None:
        """The buttons follow the run: Pause turns into Resume only once the loop has really paused."""
        self._state = state
        self._update_buttons()

    @property
    def _running(self) -> bool:
        return self._state.active

    def set_data_ready(self, ready: bool) -> None:
        self._data_ready = ready
        self._update_buttons()

    def set_can_continue(self, can_continue: bool) -> None:
        self._can_continue = can_continue
        self._update_buttons()

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # Handlers
    def _on_preset_chosen(self, index: int) -> None:
        self.set_config(preset(self.preset.itemData(index)))

    def _on_optimizer_changed(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentData() == "sgd" and not self._running)

    def _on_pause_clicked(self) -> None:
        pausing = self._state in (RunState.PAUSING, RunState.PAUSED)
        (self.resume_requested if pausing else self.pause_requested).emit()

    def _emit_config(self, signal: Signal) -> None:
        try:
            config = self.config()
        except UserFacingError as exc:
            self.show_error(str(exc))
            return
        self._clear_error()
        signal.emit(config)

    def _clear_error(self) -> None:
        self.error.hide()

    def _update_buttons(self) -> None:
        idle = not self._running
        for widget in (self.preset, self.device, self.model, self.optimizer, self.lr, self.batch_size,
                       self.epochs, self.weight_decay, self.schedule, self.seed, self.augment):
            widget.setEnabled(idle)
        self._on_optimizer_changed()
        self.train_button.setEnabled(idle and self._data_ready)
        self.continue_button.setEnabled(idle and self._data_ready and self._can_continue)
        self.pause_button.setEnabled(self._state in (RunState.RUNNING, RunState.PAUSING, RunState.PAUSED))
        self.pause_button.setText(PAUSE_BUTTON_TEXT[self._state])
        self.stop_button.setEnabled(self._running and self._state is not RunState.STOPPING)
        if not self._data_ready:
            self.hint.setText("Training needs Fashion-MNIST: see the message above the plots.")
        elif self._running:
            self.hint.setText("Values are locked while a run is going.")
        else:
            self.hint.setText("")


def _narrow(combo: QComboBox) -> QComboBox:
    """Long item texts (a GPU's name) must not widen the panel: the popup shows them whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    return combo


def _combo(values: tuple[str, ...], tooltip: str) -> QComboBox:
    combo = _narrow(QComboBox())
    for value in values:
        combo.addItem(value, value)
    combo.setToolTip(tooltip)
    return combo


def _millions(count: int) -> str:
    return f"{count / 1e6:.2f} M" if count >= 1e5 else f"{count / 1e3:.0f} k"


def _tooltip_role() -> int:
    from PySide6.QtCore import Qt

    return Qt.ItemDataRole.ToolTipRole

"""The hyperparameter form and the run buttons; it builds a TrainConfig and shows why one is invalid."""

from __future__ import annotations

import math
from collections.abc import Mapping

from PySide6.QtCore import Qt, Signal, SignalInstance
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

from fmnist_gui.config import MAX_EPOCHS, OPTIMIZERS, PRESETS, SCHEDULES, Continuation, TrainConfig, preset, preset_label
from fmnist_gui.devices import DeviceInfo
from fmnist_gui.engine.events import EDITABLE_FIELDS, value_problem
from fmnist_gui.errors import UserFacingError
from fmnist_gui.models import MODELS
from fmnist_gui.qt.state.run_state import RunState


class PlainSpinBox(QDoubleSpinBox):
    """A spin box for small numbers written plainly (0.0003, 1e-05), kept to 12 decimals rather than rounded
    to the few a fixed-point box shows: a sweep's trial puts 1.234e-05 in the form, not 0.000012."""

    def __init__(self, minimum: float, maximum: float, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(minimum, maximum)

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        stripped = text.strip()
        if not stripped or stripped in {".", "e", "-"} or stripped.endswith(("e", "e-", "e+")):
            return QValidator.State.Intermediate, text, pos
        try:
            value = float(stripped)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        state = QValidator.State.Acceptable if self.minimum() <= value <= self.maximum() else QValidator.State.Intermediate
        return state, text, pos


class LogSpinBox(PlainSpinBox):
    """A spin box for rates: arrows multiply or divide by about 1.78 (four steps a decade); text is plain."""

    STEPS_PER_DECADE = 4

    def stepBy(self, steps: int) -> None:
        value = max(self.value(), self.minimum())
        exponent = round(math.log10(value) * self.STEPS_PER_DECADE) + steps
        self.setValue(float(f"{10 ** (exponent / self.STEPS_PER_DECADE):.3g}"))


CUSTOM = "custom"  # what the preset box says when the form holds no preset's values
CUSTOM_TEXT = "Your own values: they differ from every preset."
DATA_FILES_LABELS = "as in the data files"  # the Training labels box without a fix set
NO_GPU_NOTE = " This machine has no GPU: on the CPU this preset takes hours."
PAUSED_HINT = ("Paused: the learning rate (for one-cycle and cosine, the schedule's peak), weight decay and SGD momentum "
               "can be changed; Resume applies them from the next batch.")
FIELD_NAMES = {"lr": "The learning rate", "weight_decay": "Weight decay", "momentum": "Momentum"}
FIND_LR_TIPS = {  # by (data ready, idle)
    (True, True): "Find a learning rate: a short run of a fresh copy of this model with a rising rate (seconds)",
    (True, False): "The learning-rate finder waits until the run is over",
    (False, True): "The learning-rate finder needs Fashion-MNIST: see the message above the plots",
    (False, False): "The learning-rate finder needs Fashion-MNIST: see the message above the plots",
}
PAUSE_BUTTON_TEXT = {
    RunState.IDLE: "Pause", RunState.RUNNING: "Pause", RunState.STOPPING: "Pause",
    RunState.PAUSING: "Pausing…", RunState.PAUSED: "Resume",
}


class ControlsPanel(QWidget):
    """Emits train/continue/pause/resume/stop requests; the window decides what they do."""

    train_requested = Signal(TrainConfig)
    continue_requested = Signal(TrainConfig)
    pause_requested = Signal()
    resume_requested = Signal()
    stop_requested = Signal()
    revert_requested = Signal()
    find_lr_requested = Signal(TrainConfig)  # the form's values for the learning-rate finder
    sweep_requested = Signal(TrainConfig)  # the form's values, to start a sweep around them
    buttons_changed = Signal()  # a run button was enabled, disabled or renamed

    def __init__(self, devices: list[DeviceInfo], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._state = RunState.IDLE
        self._data_ready = False
        self._can_continue = False
        self._paused_config: TrainConfig | None = None  # the run's values while it is paused
        self._shown_at_pause: dict[str, float | None] = {}
        self._origin = ""  # the preset the form's values started from (set_config)
        self._following: str | None = None  # the name of a run another process writes, while it is followed

        self._has_gpu = any(info.name != "cpu" for info in devices)
        self._wanted_device = "cpu"  # the config's device, chosen once the devices torch sees are known
        self.preset = _narrow(QComboBox())
        for name, (description, _) in PRESETS.items():
            self.preset.addItem(self._preset_label(name), name)
            self.preset.setItemData(self.preset.count() - 1, description, _tooltip_role())
        self.preset.addItem(CUSTOM, CUSTOM)
        self.preset.setItemData(self.preset.count() - 1, CUSTOM_TEXT, _tooltip_role())
        self.preset.setToolTip("Fill the form with a tested set of values")
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.setStyleSheet("color: palette(placeholder-text);")
        self.device = _narrow(QComboBox())
        for info in devices:
            self.device.addItem(info.label, info.name)
        self.device.setToolTip("Where training runs: the CPU, a CUDA GPU (cuda:N) or Apple's GPU (mps)")
        self.model = _narrow(QComboBox())
        for spec in MODELS.values():  # their sizes follow once torch has loaded (set_parameter_counts)
            self.model.addItem(spec.name, spec.name)
            self.model.setItemData(self.model.count() - 1, spec.description, _tooltip_role())
        self.model.setToolTip("The network architecture")
        self.optimizer = _combo(OPTIMIZERS, "SGD (with momentum), Adam, or AdamW (Adam with decoupled weight decay)")
        self.lr = LogSpinBox(1e-6, 10.0)
        self.lr.setToolTip("Learning rate: the step size (for one-cycle, the peak). Arrows move a quarter decade.")
        self.find_lr = QPushButton("Find…")
        self.find_lr.setMaximumWidth(self.find_lr.fontMetrics().horizontalAdvance("Find…") + 24)
        self.momentum = QDoubleSpinBox(decimals=3, minimum=0.0, maximum=0.999, singleStep=0.05)
        self.momentum.setToolTip("SGD momentum: how much of the previous step carries over (0 = plain SGD)")
        self.batch_size = QSpinBox(minimum=1, maximum=65536)
        self.batch_size.setToolTip("Images per training step")
        self.epochs = QSpinBox(minimum=1, maximum=MAX_EPOCHS)
        self.epochs.setToolTip("Passes over the 60,000 training images (Continue adds this many)")
        self.weight_decay = PlainSpinBox(0.0, 1.0)
        self.weight_decay.setSingleStep(1e-4)
        self.weight_decay.setToolTip("L2 penalty on the weights; 0 turns it off")
        self.schedule = _combo(SCHEDULES, "How the learning rate changes: constant, one-cycle (warm up then anneal), or cosine decay")
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1)
        self.seed.setToolTip("Random seed: the same seed and values give the same run on a CPU")
        self.augment = QCheckBox("Random flips and shifts")
        self.augment.setToolTip("Augment training images with horizontal flips and shifts of up to 2 pixels")
        self.labels = QComboBox()
        self.labels.addItem(DATA_FILES_LABELS, "")
        self.labels.setToolTip("Train with a label fix set (made in the Suspects tab): relabelled images train with their "
                               "new label, set-aside ones are left out. The test set is never changed.")
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #c62828;")
        self.error.hide()

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("Preset", self.preset)
        form.addRow(self.preset_note)
        for label, widget in (
            ("Device", self.device), ("Model", self.model), ("Optimizer", self.optimizer),
            ("Learning rate", _beside(self.lr, self.find_lr)), ("Momentum", self.momentum), ("Batch size", self.batch_size),
            ("Epochs", self.epochs), ("Weight decay", self.weight_decay), ("LR schedule", self.schedule),
            ("Seed", self.seed), ("Augmentation", self.augment), ("Training labels", self.labels),
        ):
            form.addRow(label, widget)
        hyper = QGroupBox("Hyperparameters")
        hyper.setLayout(form)
        self.field_problems = {field: _problem_label() for field in EDITABLE_FIELDS}  # why a paused edit cannot apply
        for field, widget in self._editable_fields().items():
            form.insertRow(_row_of(form, widget) + 1, "", self.field_problems[field])
            form.setRowVisible(self.field_problems[field], False)
        self._form = form

        self.train_button = QPushButton("Train")
        self.train_button.setToolTip("Train a new model from scratch with these values")
        self.sweep_button = QPushButton("Sweep around these values…")
        self.sweep_button.setToolTip("Open the Sweeps workspace with these values: choose which vary and how widely, "
                                     "and train many trials in worker processes")
        self.continue_button = QPushButton("Continue training")
        self.continue_button.setToolTip("Train the model on screen further, keeping its architecture, optimizer state "
                                        "and history; the form's epochs are added")
        self.continue_with = _narrow(QComboBox())
        for policy in Continuation:
            self.continue_with.addItem(policy.label, policy)
        self.continue_with.setToolTip("The model's learning-rate schedule has run its course: how should the added "
                                      "epochs set the rate? A new schedule warms one-cycle up to its peak again.")
        self.continue_with_label = QLabel("Continue with")
        self.revert_button = QPushButton("Revert to the best epoch")
        self.revert_button.setToolTip("The model on screen is worse than an earlier epoch of this run: bring that one back")
        self.revert_button.hide()
        self._continue_label = "Continue training"
        self._schedule_finished = False
        self.pause_button = QPushButton("Pause")
        self.pause_button.setToolTip("Pause after the current batch; Resume carries on")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch, keeping the weights trained so far")
        buttons = QVBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.continue_button)
        row = QHBoxLayout()
        row.addWidget(self.continue_with_label)
        row.addWidget(self.continue_with, 1)
        buttons.addLayout(row)
        buttons.addWidget(self.revert_button)
        row = QHBoxLayout()
        row.addWidget(self.pause_button)
        row.addWidget(self.stop_button)
        buttons.addLayout(row)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        buttons.addWidget(self.hint)
        buttons.addWidget(self.sweep_button)

        layout = QVBoxLayout(self)
        layout.addWidget(hyper)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.preset.activated.connect(self._on_preset_chosen)
        for widget in (self.device, self.model, self.optimizer, self.schedule):
            widget.currentIndexChanged.connect(self._sync_preset)
        for widget in (self.lr, self.momentum, self.weight_decay, self.batch_size, self.epochs, self.seed):
            widget.valueChanged.connect(self._sync_preset)
        self.augment.toggled.connect(self._sync_preset)
        self.optimizer.currentIndexChanged.connect(self._on_optimizer_changed)
        self.train_button.clicked.connect(lambda: self._emit_config(self.train_requested))
        self.continue_button.clicked.connect(lambda: self._emit_config(self.continue_requested))
        self.pause_button.clicked.connect(self._on_pause_clicked)
        self.stop_button.clicked.connect(self.stop_requested)
        self.revert_button.clicked.connect(self.revert_requested)
        self.find_lr.clicked.connect(lambda: self._emit_config(self.find_lr_requested))
        self.sweep_button.clicked.connect(lambda: self._emit_config(self.sweep_requested))
        for widget in (self.lr, self.momentum, self.weight_decay):
            widget.valueChanged.connect(self._clear_error)
            widget.lineEdit().textChanged.connect(self._on_editable_text_changed)  # also for half-typed text
        self.set_config(preset("default"))
        self._update_buttons()

    # What the window tells the panel
    def set_devices(self, devices: list[DeviceInfo]) -> None:
        """The devices torch can use here (known once it has loaded); the config's device stays chosen."""
        wanted = self._wanted_device
        self.device.clear()
        for info in devices:
            self.device.addItem(info.label, info.name)
        self.device.setCurrentIndex(max(0, self.device.findData(wanted)))
        self._wanted_device = wanted
        self._has_gpu = any(info.name != "cpu" for info in devices)
        for row in range(self.preset.count()):
            name = self.preset.itemData(row)
            if name in PRESETS:
                self.preset.setItemText(row, self._preset_label(name))
        self._sync_preset()

    def set_parameter_counts(self, counts: Mapping[str, int]) -> None:
        for row in range(self.model.count()):
            name = self.model.itemData(row)
            if name in counts:
                self.model.setItemText(row, f"{name} · {_millions(counts[name])} params")

    def set_config(self, config: TrainConfig) -> None:
        self._origin = config.preset  # the preset these values started from, kept in the config the form gives
        self._wanted_device = config.device
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
        self._choose_labels(config.labels.split("@", 1)[0])
        self._on_optimizer_changed()
        self._clear_error()
        self._sync_preset()

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
            preset=self._origin,
        )

    def set_fix_sets(self, names: list[str]) -> None:
        """The label fix sets the form offers; the one chosen stays chosen while it exists."""
        chosen = self.training_labels()
        self.labels.clear()
        self.labels.addItem(DATA_FILES_LABELS, "")
        for name in names:
            self.labels.addItem(name, name)
        self._choose_labels(chosen)

    def training_labels(self) -> str:
        """The fix set to train a new model with, by name; "" for the labels of the data files."""
        return str(self.labels.currentData() or "")

    def _choose_labels(self, name: str) -> None:
        if name and self.labels.findData(name) < 0:
            self.labels.addItem(name, name)  # a checkpoint's fix set, not in this machine's folder (yet)
        self.labels.setCurrentIndex(max(0, self.labels.findData(name)))

    def set_run_state(self, state: RunState) -> None:
        """The buttons follow the run: Pause turns into Resume only once the loop has really paused."""
        starting = state.active and not self._state.active
        focus_was_here = self.train_button.hasFocus() or self.continue_button.hasFocus()
        was_editing = self._editing
        self._state = state
        if was_editing and not self._editing:
            self._restore_unfinished_text()
        self._update_buttons()
        if starting and focus_was_here:  # the clicked button is disabled now: Stop is the next thing to reach
            self.stop_button.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def _running(self) -> bool:
        return self._state.active

    def set_data_ready(self, ready: bool) -> None:
        self._data_ready = ready
        self._update_buttons()

    def set_model_to_continue(self, label: str | None, schedule_finished: bool = False) -> None:
        """The model on screen as Continue would train it ("small-cnn from epoch 2"), or None when it cannot."""
        self._can_continue = label is not None
        self._continue_label = f"Continue {label}" if label else "Continue training"
        self._schedule_finished = schedule_finished
        self._update_buttons()

    def edit_while_paused(self, config: TrainConfig) -> None:
        """The run waits: its learning rate, weight decay and (SGD) momentum may change until Resume.

        `config` is the run's own: the fields show its values (a continued run's may differ from the form's).
        """
        self._paused_config = config
        self.lr.setValue(config.lr)
        self.weight_decay.setValue(config.weight_decay)
        self.momentum.setValue(config.momentum)
        self._shown_at_pause = self._typed_values()

    def paused_edits(self) -> dict[str, float]:
        """The values edited since the run paused, as typed: what Resume should change (valid ones only)."""
        if not self._editing or self._paused_problems():
            return {}
        return {field: value for field, value in self._typed_values().items()
                if value is not None and value != self._shown_at_pause.get(field) and self._can_edit(field)}

    def offer_revert(self, text: str | None) -> None:
        """Show the revert button with `text` ("Revert to epoch 2 (90.65%)"), or hide it."""
        self.revert_button.setText(text or "")
        self.revert_button.setVisible(bool(text))
        self.buttons_changed.emit()

    def run_buttons(self) -> dict[str, QPushButton]:
        """The buttons the Run menu mirrors, by its action keys."""
        return {"train": self.train_button, "continue": self.continue_button, "pause": self.pause_button,
                "stop": self.stop_button, "revert": self.revert_button}

    def continuation(self) -> Continuation:
        return Continuation(self.continue_with.currentData())

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    # Handlers
    def _on_preset_chosen(self, index: int) -> None:
        name = self.preset.itemData(index)
        if name != CUSTOM:
            self.set_config(preset(name))
        self._sync_preset()

    def _preset_label(self, name: str) -> str:
        return name if name != "gpu" or self._has_gpu else "gpu (no GPU here)"

    def _sync_preset(self) -> None:
        """Name the preset the form holds ("default", "default, 2 epochs" when only the length differs), or
        "custom": the box never claims values the form lacks."""
        try:
            name, label = preset_label(self.config())
        except UserFacingError:
            name, label = None, CUSTOM
        self.preset.setCurrentIndex(self.preset.findData(name or CUSTOM))
        if name is None:
            note = CUSTOM_TEXT
        elif label != name:
            note = f"{label}: the {name} preset's values, trained for {self.epochs.value()} epochs instead of " \
                   f"{PRESETS[name][1].epochs}."
        else:
            note = PRESETS[name][0] + "."
        if name == "gpu" and not self._has_gpu:
            note += NO_GPU_NOTE
        self.preset_note.setText(note)

    def _on_optimizer_changed(self) -> None:
        self.momentum.setEnabled((self.optimizer.currentData() == "sgd" and not self._running)
                                 or (self._editing and self._can_edit("momentum")))

    # Editing a paused run
    @property
    def _editing(self) -> bool:
        return self._state is RunState.PAUSED and self._paused_config is not None

    def _editable_fields(self) -> dict[str, QDoubleSpinBox]:
        return {"lr": self.lr, "weight_decay": self.weight_decay, "momentum": self.momentum}

    def _can_edit(self, field: str) -> bool:
        """Momentum belongs to SGD only: Adam and AdamW have none to change."""
        return field != "momentum" or (self._paused_config is not None and self._paused_config.optimizer == "sgd")

    def _typed_values(self) -> dict[str, float | None]:
        """Each editable field's text as a number (None when it is not one); the text, not value(),
        which keeps the last acceptable number while the text is being typed."""
        values: dict[str, float | None] = {}
        for field, widget in self._editable_fields().items():
            try:
                values[field] = float(widget.cleanText().strip())
            except ValueError:
                values[field] = None
        return values

    def _paused_problems(self) -> dict[str, str]:
        """Why an edited field cannot apply, by field, in TrainConfig's words."""
        if not self._editing:
            return {}
        problems = {}
        for field, value in self._typed_values().items():
            widget = self._editable_fields()[field]
            if not self._can_edit(field):
                continue
            if value is None:
                problems[field] = f"{FIELD_NAMES[field]} must be a number, not “{widget.cleanText().strip()}”."
            elif problem := value_problem(field, value):
                problems[field] = problem
            elif not widget.minimum() <= value <= widget.maximum():
                problems[field] = f"{FIELD_NAMES[field]} here must be from {widget.minimum():g} to {widget.maximum():g}."
        return problems

    def _show_paused_problems(self) -> bool:
        """Each problem beside its field; True when there is one (Resume waits for valid values)."""
        problems = self._paused_problems()
        for field, label in self.field_problems.items():
            label.setText(problems.get(field, ""))
            self._form.setRowVisible(label, field in problems)
        return bool(problems)

    def _on_editable_text_changed(self) -> None:
        if self._editing:
            self._update_buttons()

    def _on_pause_clicked(self) -> None:
        pausing = self._state in (RunState.PAUSING, RunState.PAUSED)
        (self.resume_requested if pausing else self.pause_requested).emit()

    def _emit_config(self, signal: SignalInstance) -> None:
        try:
            config = self.config()
        except UserFacingError as exc:
            self.show_error(str(exc))
            return
        self._clear_error()
        signal.emit(config)

    def _clear_error(self) -> None:
        self.error.hide()

    def show_followed(self, name: str | None, config: TrainConfig | None = None) -> None:
        """A followed run's values in the form, locked while it is followed (None: following ended, unlocked)."""
        self._following = name
        if config is not None:
            self.set_config(config)
        self._update_buttons()

    def _update_buttons(self) -> None:
        idle = not self._running and self._following is None
        for widget in (self.preset, self.device, self.model, self.optimizer, self.lr, self.batch_size,
                       self.epochs, self.weight_decay, self.schedule, self.seed, self.augment, self.labels):
            widget.setEnabled(idle or (self._editing and widget in (self.lr, self.weight_decay)))
        self._on_optimizer_changed()
        waiting_for_values = self._show_paused_problems()
        self.train_button.setEnabled(idle and self._data_ready)
        self.continue_button.setEnabled(idle and self._data_ready and self._can_continue)
        self.continue_button.setText(self._continue_label)
        self.find_lr.setEnabled(idle and self._data_ready)
        self.find_lr.setToolTip(FIND_LR_TIPS[(self._data_ready, idle)])
        for part in (self.continue_with_label, self.continue_with):
            part.setVisible(self._schedule_finished)
            part.setEnabled(idle)
        self.pause_button.setEnabled(self._state in (RunState.RUNNING, RunState.PAUSING, RunState.PAUSED)
                                     and not waiting_for_values)
        self.pause_button.setText(PAUSE_BUTTON_TEXT[self._state])
        self.stop_button.setEnabled(self._running and self._state is not RunState.STOPPING)
        if not self._data_ready:
            self.hint.setText("Training needs Fashion-MNIST: see the message above the plots.")
        elif self._editing:
            self.hint.setText(PAUSED_HINT)
        elif self._running:
            self.hint.setText("Values are locked while a run is going.")
        elif self._following is not None:
            self.hint.setText(f"The values of “{self._following}”, which is being followed. File → Stop following "
                              "unlocks them.")
        else:
            self.hint.setText("")
        self.buttons_changed.emit()


    def _restore_unfinished_text(self) -> None:
        """A half-typed value left when editing ends (a stop while paused) gives way to the field's number."""
        for widget in self._editable_fields().values():
            if widget.text() != widget.textFromValue(widget.value()):
                widget.setValue(widget.value())
                widget.lineEdit().setText(widget.textFromValue(widget.value()))


def _problem_label() -> QLabel:
    label = QLabel()
    label.setWordWrap(True)
    label.setStyleSheet("color: #c62828;")
    return label


def _row_of(form: QFormLayout, widget: QWidget) -> int:
    """The form row whose field is `widget` or holds it (in a row of its own widgets)."""
    for row in range(form.rowCount()):
        item = form.itemAt(row, QFormLayout.ItemRole.FieldRole)
        if item is None:
            continue
        inner = item.widget()
        if inner is widget or (inner is not None and inner.isAncestorOf(widget)):
            return row
        row_layout = item.layout()
        if row_layout is not None and row_layout.indexOf(widget) >= 0:
            return row
    raise ValueError("the widget is not in the form")


def _narrow(combo: QComboBox) -> QComboBox:
    """Long item texts (a GPU's name) must not widen the panel: the popup shows them whole."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(14)
    return combo


def _beside(field: QWidget, button: QPushButton) -> QWidget:
    """A form field with a small button on its right."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(field, 1)
    layout.addWidget(button)
    return row


def _combo(values: tuple[str, ...], tooltip: str) -> QComboBox:
    combo = _narrow(QComboBox())
    for value in values:
        combo.addItem(value, value)
    combo.setToolTip(tooltip)
    return combo


def _millions(count: int) -> str:
    return f"{count / 1e6:.2f} M" if count >= 1e5 else f"{count / 1e3:.0f} k"


def _tooltip_role() -> int:
    return Qt.ItemDataRole.ToolTipRole

"""The Sweeps workspace's two dialogs: New sweep… (what varies, the budget, the search) and Open sweep….

New sweep… starts from the training form's values: tick a hyperparameter to vary it, give its range
(a log scale where it spans decades) or tick its choices. Every row becomes a `--param NAME=SPEC`, the
very text the command line takes, and is checked by the same rules before the dialog closes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.config import MAX_EPOCHS, TrainConfig
from fmnist_gui.names import MODEL_NAMES, OPTIMIZERS, SCHEDULES
from fmnist_gui.sweeps import PRUNERS, SAMPLERS, SpaceError, SweepDefinition, SweepError
from fmnist_gui.sweeps.definition import define_from_config
from fmnist_gui.sweeps.processes import cores
from fmnist_gui.sweeps.storage import check_name, check_url

# Each range's default around the form's value (low, high, log); the value itself is filled in where it is None.
RANGES: dict[str, tuple[float | None, float | None, bool]] = {
    "lr": (None, None, True), "weight_decay": (1e-5, 1e-2, True), "momentum": (0.5, 0.99, False),
    "batch_size": (32, 512, True), "seed": (0, 9, False),
}
CHOICES: dict[str, tuple[Any, ...]] = {"model": MODEL_NAMES, "optimizer": OPTIMIZERS, "schedule": SCHEDULES,
                                       "augment": (True, False)}
LABELS = {"lr": "Learning rate", "weight_decay": "Weight decay", "momentum": "Momentum", "batch_size": "Batch size",
          "seed": "Seed", "model": "Model", "optimizer": "Optimizer", "schedule": "LR schedule", "augment": "Augmentation"}


@dataclass(frozen=True)
class SweepRequest:
    """What New sweep… asks for: a checked definition, its name, and how many workers to start here."""

    name: str
    definition: SweepDefinition
    workers: int  # 0: create only; workers can be started later
    params: tuple[str, ...] = field(default=())  # the `--param` texts, for the log line


class _RangeRow:
    """A number that varies between two values, on a log scale or not."""

    def __init__(self, name: str, value: float) -> None:
        low, high, log = RANGES[name]
        if low is None or high is None:  # the learning rate: a decade either side of the form's
            low, high = value / 10, min(10.0, value * 10)
        self.name = name
        self.vary = QCheckBox(LABELS[name])
        self.low, self.high = QLineEdit(_number(low)), QLineEdit(_number(high))
        self.log = QCheckBox("log")
        self.log.setChecked(log)
        self.log.setToolTip("Sample evenly in the logarithm: for values that span decades")
        self.parts: list[QWidget] = [self.low, QLabel("to"), self.high, self.log]

    def spec(self) -> str:
        return f"{self.name}={self.low.text().strip()}:{self.high.text().strip()}{':log' if self.log.isChecked() else ''}"


class _ChoiceRow:
    """A choice that varies among the ticked options."""

    def __init__(self, name: str, value: Any) -> None:
        self.name = name
        self.vary = QCheckBox(LABELS[name])
        self.options = [QCheckBox(_text(option)) for option in CHOICES[name]]
        for box, option in zip(self.options, CHOICES[name]):
            box.setChecked(True)
            box.setProperty("option", _text(option))
        self.parts: list[QWidget] = list(self.options)

    def spec(self) -> str:
        return f"{self.name}={','.join(box.property('option') for box in self.options if box.isChecked())}"


class NewSweepDialog(QDialog):
    """See the module's docstring; `request()` is what was asked, once accepted."""

    def __init__(self, config: TrainConfig, data_dir: str | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New sweep")
        self.config, self.data_dir = config, data_dir
        values = config.to_dict()
        self.rows: list[_RangeRow | _ChoiceRow] = [_RangeRow(name, values[name]) for name in RANGES]
        self.rows += [_ChoiceRow(name, values[name]) for name in CHOICES]
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Vary</b>"), 0, 0)
        grid.addWidget(QLabel("<b>Form's value</b>"), 0, 1)
        grid.addWidget(QLabel("<b>Range or choices</b>"), 0, 2, 1, 4)
        for index, row in enumerate(self.rows, start=1):
            grid.addWidget(row.vary, index, 0)
            grid.addWidget(QLabel(_text(values[row.name])), index, 1)
            parts = QHBoxLayout()
            for part in row.parts:
                parts.addWidget(part)
            parts.addStretch(1)
            grid.addLayout(parts, index, 2, 1, 4)
            row.vary.toggled.connect(lambda on, row=row: self._enable(row, on))
            self._enable(row, False)
        self.rows[0].vary.setChecked(True)  # the learning rate: the first thing anyone sweeps
        space = QGroupBox("What varies (the rest stays as the form has it)")
        space.setLayout(grid)

        self.name = QLineEdit(datetime.now().strftime("sweep-%Y%m%d-%H%M"))
        self.trials = QSpinBox(minimum=1, maximum=100_000, value=20)
        self.trials.setToolTip("Trials to complete or prune; failed trials are replaced")
        self.epochs = QSpinBox(minimum=1, maximum=MAX_EPOCHS, value=config.epochs)
        self.sampler = _combo(SAMPLERS, "tpe: learns where good values are; random; grid: every combination of choices")
        self.pruner = _combo(PRUNERS, "Which trials stop early, epoch by epoch")
        self.workers = QSpinBox(minimum=0, maximum=max(1, cores()), value=min(2, max(1, cores())))
        self.workers.setSpecialValueText("none yet")
        self.workers.setToolTip("Worker processes on this machine, sharing its cores; more can be added later")
        search = QFormLayout()
        search.addRow("Name", self.name)
        search.addRow("Trials", self.trials)
        search.addRow("Epochs per trial", self.epochs)
        search.addRow("Sampler", self.sampler)
        search.addRow("Pruner", self.pruner)
        search.addRow("Workers here", self.workers)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(space)
        layout.addLayout(search)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._request: SweepRequest | None = None

    def params(self) -> list[str]:
        """The ticked rows as `--param` texts."""
        return [row.spec() for row in self.rows if row.vary.isChecked()]

    def request(self) -> SweepRequest:
        """The sweep asked for; SpaceError or SweepError (one line) when a value is refused."""
        name = self.name.text().strip()
        check_name(name)
        params = self.params()
        definition = define_from_config(self.config, params, trials=self.trials.value(), epochs=self.epochs.value(),
                                        sampler=self.sampler.currentText(), pruner=self.pruner.currentText(),
                                        data_dir=self.data_dir)
        return SweepRequest(name, definition, self.workers.value(), tuple(params))

    @property
    def accepted_request(self) -> SweepRequest | None:
        return self._request

    def _on_accept(self) -> None:
        try:
            self._request = self.request()
        except (SpaceError, SweepError) as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        self.accept()

    @staticmethod
    def _enable(row: _RangeRow | _ChoiceRow, on: bool) -> None:
        for part in row.parts:
            part.setEnabled(on)


class OpenSweepDialog(QDialog):
    """A sweep of the runs folder, or one in a PostgreSQL database by its URL and name."""

    def __init__(self, names: list[str], folder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open sweep")
        self.list = QListWidget()
        self.list.addItems(names)
        if names:
            self.list.setCurrentRow(len(names) - 1)
        self.list.itemDoubleClicked.connect(lambda item: self._on_accept())
        self.url = QLineEdit()
        self.url.setPlaceholderText("postgresql://USER@HOST/DATABASE")
        self.name = QLineEdit()
        self.name.setPlaceholderText("the sweep's name in that database")
        database = QFormLayout()
        database.addRow("Database", self.url)
        database.addRow("Name", self.name)
        box = QGroupBox("Or a sweep in a database (workers on other machines)")
        box.setLayout(database)
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828;")
        self.problem.setWordWrap(True)
        self.problem.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Sweeps in {folder}:" if names else f"No sweeps in {folder} yet."))
        layout.addWidget(self.list)
        layout.addWidget(box)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.chosen: tuple[str, str | None] | None = None

    def _on_accept(self) -> None:
        url, name = self.url.text().strip(), self.name.text().strip()
        try:
            if url:
                check_url(url)
                check_name(name)
                self.chosen = (name, url)
            elif self.list.currentItem() is not None:
                self.chosen = (self.list.currentItem().text(), None)
            else:
                raise SweepError("Choose a sweep, or give a database URL and a sweep's name.")
        except SweepError as exc:
            self.problem.setText(str(exc))
            self.problem.show()
            return
        self.accept()


def _combo(values: tuple[str, ...], tooltip: str) -> QComboBox:
    combo = QComboBox()
    combo.addItems(values)
    combo.setToolTip(tooltip)
    return combo


def _number(value: float) -> str:
    if float(value).is_integer() and abs(value) < 1e6 and not 0 < abs(value) < 1e-3:
        return str(int(value))
    return f"{value:g}" if math.isfinite(value) else "0"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)

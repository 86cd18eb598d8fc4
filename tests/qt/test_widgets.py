"""Each view on its own, given data, driven with qtbot."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from fmnist_gui.config import TrainConfig, preset
from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.devices import DeviceInfo
from fmnist_gui.engine.events import BatchRecord, EpochSummary
from fmnist_gui.models import MODELS
from fmnist_gui.qt.state.run_state import RunState
from fmnist_gui.qt.views.controls import ControlsPanel, LogSpinBox
from fmnist_gui.qt.views.plots import TrainingPlots
from fmnist_gui.qt.views.samples import SampleGrid


@pytest.fixture
def controls(qtbot):
    panel = ControlsPanel([DeviceInfo("cpu", "CPU"), DeviceInfo("cuda:0", "Test GPU, 80 GiB")])
    qtbot.addWidget(panel)
    panel.set_data_ready(True)
    return panel


def test_the_form_round_trips_a_config(controls):
    config = TrainConfig(model="wide-cnn", optimizer="sgd", lr=0.0314, momentum=0.8, batch_size=77, epochs=9,
                         weight_decay=0.001, schedule="cosine", seed=42, device="cuda:0", augment=True)
    controls.set_config(config)
    assert controls.config() == config
    assert "cuda:0 — Test GPU" in controls.device.currentText()
    assert controls.model.currentText() == "wide-cnn"  # its size is known once torch has loaded
    controls.set_parameter_counts({name: spec.parameter_count for name, spec in MODELS.items()})
    assert controls.model.currentText() == "wide-cnn · 1.74 M params"
    assert controls.config() == config


def test_presets_fill_the_form(controls):
    controls.preset.setCurrentIndex(controls.preset.findData("quickstart"))
    controls.preset.activated.emit(controls.preset.currentIndex())
    assert controls.config() == preset("quickstart")


def test_momentum_is_only_editable_for_sgd(controls):
    controls.set_config(TrainConfig(optimizer="adamw"))
    assert not controls.momentum.isEnabled()
    controls.set_config(TrainConfig(optimizer="sgd"))
    assert controls.momentum.isEnabled()


def test_the_learning_rate_steps_a_quarter_decade(qtbot):
    box = LogSpinBox(1e-6, 10.0)
    qtbot.addWidget(box)
    box.setValue(1e-3)
    box.stepBy(4)
    assert box.value() == pytest.approx(1e-2)
    box.stepBy(-1)
    assert box.value() == pytest.approx(0.00562)
    assert box.textFromValue(0.0003) == "0.0003"


def test_train_emits_the_config_and_buttons_follow_the_run_state(qtbot, controls):
    with qtbot.waitSignal(controls.train_requested) as emitted:
        qtbot.mouseClick(controls.train_button, Qt.MouseButton.LeftButton)
    assert emitted.args[0] == controls.config()
    controls.set_run_state(RunState.RUNNING)
    assert not controls.train_button.isEnabled() and not controls.lr.isEnabled() and controls.stop_button.isEnabled()
    with qtbot.waitSignal(controls.pause_requested):
        controls.pause_button.click()
    controls.set_run_state(RunState.PAUSING)  # asked; the loop has not reached a batch boundary yet
    assert controls.pause_button.text() == "Pausing…"
    controls.set_run_state(RunState.PAUSED)
    assert controls.pause_button.text() == "Resume"
    with qtbot.waitSignal(controls.resume_requested):
        controls.pause_button.click()
    controls.set_run_state(RunState.STOPPING)
    assert not controls.stop_button.isEnabled() and not controls.pause_button.isEnabled()
    controls.set_run_state(RunState.IDLE)
    assert controls.train_button.isEnabled() and not controls.stop_button.isEnabled()
    controls.set_data_ready(False)
    assert not controls.train_button.isEnabled()


def test_plots_hold_the_points_they_were_given(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    for step in range(1, 41):
        plots.add_batch(BatchRecord(epoch=(step - 1) // 20 + 1, batch=(step - 1) % 20 + 1, batches=20, step=step, loss=2.0 / step,
                                    accuracy=50.0, lr=1e-3, samples_per_second=1000.0, progress=step / 40, eta_seconds=1.0, elapsed=1.0))
    plots.flush()
    x, y = plots.batch_loss.item.getData()
    assert len(x) == 40 and x[-1] == pytest.approx(2.0) and y[0] == pytest.approx(2.0)
    assert len(plots.smoothed_loss.item.getData()[0]) == 40
    no_classes = (float("nan"),) * 10
    history = [EpochSummary(epoch=e, step=10 * e, train_loss=1.0 / e, train_accuracy=70.0 + e, test_loss=1.2 / e, test_accuracy=acc,
                            per_class_accuracy=no_classes, confusion=None, lr=0.1, seconds=1.0)
               for e, acc in ((1, 80.0), (2, 85.5), (3, 84.0))]
    plots.show_history(history, {"step": [10, 20, 30], "loss": [1.0, 0.8, 0.6], "lr": [0.1, 0.1, 0.1]}, 10)
    assert list(plots.test_accuracy.item.getData()[1]) == [80.0, 85.5, 84.0]
    assert plots.best == (2, 85.5)
    assert list(plots.batch_loss.item.getData()[0]) == [1.0, 2.0, 3.0]
    plots.log_scale.setChecked(True)
    assert plots.loss_plot.getAxis("left").logMode


def test_the_sample_grid_marks_right_and_wrong(qtbot):
    grid = SampleGrid(CLASS_NAMES)
    qtbot.addWidget(grid)
    images = np.random.default_rng(0).integers(0, 255, (16, 28, 28), dtype=np.uint8)
    labels = np.arange(16) % 10
    probabilities = np.full((16, 10), 0.01)
    probabilities[np.arange(16), labels] = 0.91
    probabilities[3] = np.roll(probabilities[3], 1)  # one wrong prediction
    grid.set_samples(images, labels, probabilities)
    assert [tile.correct for tile in grid.tiles].count(False) == 1 and not grid.tiles[3].correct
    assert grid.tiles[0].predicted_name == CLASS_NAMES[0] and grid.tiles[0].confidence == pytest.approx(0.91)
    assert "15 of 16 right" in grid.caption.text()
    with qtbot.waitSignal(grid.sample_clicked) as clicked:
        qtbot.mouseClick(grid.tiles[5], Qt.MouseButton.LeftButton)
    assert clicked.args == [5]
    grid.set_samples(images, labels, None)
    assert all(tile.predicted_name is None for tile in grid.tiles)


def test_a_preset_run_for_another_length_is_named_after_its_preset_not_custom(qtbot, controls):
    from fmnist_gui.config import preset

    controls.set_config(preset("default").replace(epochs=2))
    assert controls.preset.currentData() == "default"
    assert controls.preset_note.text().startswith("default, 2 epochs: the default preset's values")
    assert controls.config().preset == "default"  # kept in the config a run starts with
    controls.lr.setValue(0.5)
    assert controls.preset.currentData() == "custom"


def test_the_learning_rate_axis_labels_only_whole_decades_however_narrow_the_range(qtbot):
    from fmnist_gui.engine.events import BatchRecord
    from fmnist_gui.qt.views.plots import TrainingPlots

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(900, 600)
    plots.show()
    plots.begin_run(3)
    for step in range(1, 40):  # early in a one-cycle run: 0.0008 to 0.001, less than a decade
        plots.add_batch(BatchRecord(epoch=1, batch=step, batches=469, step=step, loss=2.0, accuracy=10.0,
                                    lr=8e-4 + step * 5e-6, samples_per_second=1.0, progress=0.01, eta_seconds=1.0,
                                    elapsed=1.0))
    plots._redraw_batches()
    axis = plots.lr_plot.getAxis("left")
    low, high = plots.lr_plot.viewRange()[1]
    labels = [label for spacing, values in axis.tickValues(low, high, 300)
              for label in axis.tickStrings(values, axis.autoSIPrefixScale, spacing) if label]
    import math

    assert labels and all(math.log10(float(label)).is_integer() for label in labels), labels  # 0.001, never 0.0009


def test_a_mistake_says_what_the_image_is_and_what_the_model_said_and_samples_fit_their_caption(qtbot):
    from PySide6.QtGui import QFontMetrics, QFont

    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.qt.views.gallery import GalleryModel
    from fmnist_gui.qt.views.samples import prediction_caption
    from fmnist_gui.qt.state.predictions import Split

    model = GalleryModel(CLASS_NAMES)
    model.two_lines = True
    probabilities = np.zeros((1, 10), dtype=np.float32)
    probabilities[0, 9] = 1.0
    model.set_items(Split("test", np.zeros((1, 28, 28), np.uint8), np.array([7]), probabilities), np.array([0]))
    assert model.data(model.index(0)) == "Sneaker\n→ Ankle boot 100%"
    metrics = QFontMetrics(QFont())
    assert prediction_caption(True, "Sneaker", 0.999, metrics, 90) == "✓ 100%"  # the label above names the class
    wrong = prediction_caption(False, "T-shirt/top", 0.57, metrics, metrics.horizontalAdvance("✗ T-shirt/top") + 2)
    assert wrong == "✗ T-shirt/top"  # no room for the percentage: the class stays whole

"""What a new user tripped over, driven through the window as they would: keys, labels, continuing, saving."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QLabel

from fmnist_gui.config import preset
from fmnist_gui.engine import FinishReason
from fmnist_gui.qt.shell.docks import LAYOUT_VERSION
from fmnist_gui.qt.state.run_state import RunState
from tests.qt.helpers import QUICK, train

ONE_CYCLE = QUICK.replace(optimizer="adamw", lr=0.01, schedule="one-cycle", epochs=1)


def _focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)


def test_ctrl_v_in_your_image_pastes_once_through_the_one_paste_action(qtbot, make_window, qtlog):
    window = make_window()
    image = QImage(40, 30, QImage.Format.Format_Grayscale8)
    image.fill(255)
    QGuiApplication.clipboard().setImage(image)
    window.docks["own_image"].raise_()
    _focus(qtbot, window, window.views.own_image.open_button)
    with qtbot.waitSignal(window.views.own_image.image_pasted):
        qtbot.keyClick(window.views.own_image.open_button, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert not [m for m in qtlog.records if "Ambiguous shortcut" in m.message]
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)


def test_the_run_menu_drives_a_run_from_the_keyboard(qtbot, make_window):
    window = make_window()
    window.controls.set_config(QUICK.replace(epochs=30, batch_size=10))
    _focus(qtbot, window, window.controls.train_button)
    with qtbot.waitSignal(window.session.batch_finished, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F5)
    assert window.controls.stop_button.hasFocus()  # Train is disabled now: focus moved to what comes next
    with qtbot.waitSignal(window.session.state_changed, check_params_cb=lambda s: s is RunState.PAUSED, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F6)
    assert window.menus.actions["pause"].text() == "Resume"
    with qtbot.waitSignal(window.session.state_changed, check_params_cb=lambda s: s is RunState.RUNNING, timeout=10000):
        qtbot.keyClick(window, Qt.Key.Key_F6)
    with qtbot.waitSignal(window.session.run_finished, timeout=20000) as finished:
        qtbot.keyClick(window, Qt.Key.Key_F5, Qt.KeyboardModifier.ShiftModifier)
    assert finished.args[0].reason is FinishReason.STOPPED
    assert not window.menus.actions["stop"].isEnabled() and window.menus.actions["train"].isEnabled()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)


def test_the_preset_box_names_what_the_form_holds(qtbot, make_window, settings):
    settings.set_train_config(preset("quickstart"))
    window = make_window()
    controls = window.controls
    assert controls.preset.currentData() == "quickstart" and "64%" in controls.preset_note.text()
    controls.lr.setValue(0.05)
    assert controls.preset.currentData() == "custom" and "differ" in controls.preset_note.text()
    controls.lr.setValue(1e-3)
    assert controls.preset.currentData() == "quickstart"


def test_continue_says_what_it_continues_and_never_rewarms_a_finished_schedule(qtbot, make_window):
    window = make_window()
    assert not window.controls.continue_button.isEnabled()
    train(qtbot, window, ONE_CYCLE)
    controls = window.controls
    assert controls.continue_button.text() == "Continue quickstart-mlp from epoch 1"
    assert not controls.continue_with.isHidden()  # one-cycle has run its course: the user picks what follows
    controls.set_config(ONE_CYCLE.replace(model="small-cnn", epochs=1))  # the Model field says something else
    rates = []
    window.session.batch_finished.connect(lambda record: rates.append(record.lr))
    result = train(qtbot, window, ONE_CYCLE.replace(model="small-cnn", epochs=1), click="continue_button")
    assert result.reason is FinishReason.COMPLETED
    checkpoint = window.document.checkpoint
    assert checkpoint.config.model == "quickstart-mlp" and checkpoint.epoch == 2
    assert max(rates) <= 0.01 / 10 + 1e-12  # restarting one-cycle would climb back to 0.01
    assert any("has finished; continuing with cosine from a tenth of the peak rate" in line for line in window.log.lines())


def test_a_model_that_learned_nothing_cannot_be_continued(qtbot, make_window):
    window = make_window()
    result = train(qtbot, window, QUICK.replace(optimizer="sgd", lr=10.0, momentum=0.99, batch_size=10))
    assert result.reason is FinishReason.DIVERGED and "nothing was trained" in result.message
    assert window.document.checkpoint is not None and not window.controls.continue_button.isEnabled()


def test_a_stop_mid_epoch_labels_the_partial_model_honestly(qtbot, make_window):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    window.controls.set_config(QUICK.replace(epochs=3, batch_size=10))
    with qtbot.waitSignal(window.session.epoch_finished, timeout=20000):
        window.controls.continue_button.click()
    with qtbot.waitSignal(window.session.batch_finished, timeout=20000):
        pass
    with qtbot.waitSignal(window.session.run_finished, timeout=20000):
        window.controls.stop_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=20000)
    checkpoint = window.document.checkpoint
    assert checkpoint.extra_batches > 0
    extra = f"{checkpoint.extra_batches} batch{'es' if checkpoint.extra_batches != 1 else ''}"  # the stop may come after one
    assert window.views.per_class.caption == f"Epoch 2 + {extra} (faint: epoch 2)"
    assert window.plots.summary.text().startswith(f"Stopped at epoch 2 + {extra}")
    assert "ETA" not in window.status.time_label.text() and window.status.progress.isHidden()
    assert window.controls.continue_button.text().endswith(f"from epoch 2 + {extra}")


def _scripted_accuracies(monkeypatch, values: list[float]) -> None:
    """The trainer's test evaluation reports these accuracies, one per epoch, as a run that behaves so would."""
    import fmnist_gui.engine.trainer as trainer_module

    accuracies = iter(values)
    real_evaluate = trainer_module.evaluate

    def scripted(*args, **kwargs):
        result = real_evaluate(*args, **kwargs)
        return type(result)(result.loss, next(accuracies), result.per_class_accuracy, result.confusion, result.probabilities)

    monkeypatch.setattr(trainer_module, "evaluate", scripted)


def test_a_run_at_chance_level_warns_and_earns_no_star(qtbot, make_window, monkeypatch):
    _scripted_accuracies(monkeypatch, [10.0, 10.03])  # AdamW at lr 10 "completed" like this
    window = make_window()
    assert train(qtbot, window, QUICK.replace(epochs=2)).reason is FinishReason.COMPLETED
    assert window.plots.warning.isVisibleTo(window.plots) and "chance level" in window.plots.warning.text()
    assert window.plots.best is None and not len(window.plots.best_marker.data)
    low, high = window.plots.accuracy_plot.viewRange()[1]
    assert high - low >= 5 - 1e-9  # noise on a flat run does not fill the axis
    assert any("chance level" in line for line in window.log.lines())


def test_saving_says_what_it_saved_and_asks_before_replacing_a_better_model(qtbot, make_window, dialog_stub, tmp_path):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    dialog_stub.save_path = str(tmp_path / "best.pt")
    window.menus.actions["save_as"].trigger()
    accuracy = window.document.checkpoint.history[-1].test_accuracy
    assert window.status.currentMessage() == f"Saved best.pt: quickstart-mlp at epoch 1, test accuracy {accuracy:.2f}%"
    window.files._file_accuracy = accuracy + 5  # as if the file held a better model than the one on screen
    dialog_stub.confirm_answer = False
    before = (tmp_path / "best.pt").read_bytes()
    window.menus.actions["save"].trigger()  # Ctrl+S
    assert dialog_stub.confirms and "holds a model with" in dialog_stub.confirms[-1]
    assert (tmp_path / "best.pt").read_bytes() == before


def test_revert_to_the_best_epoch_when_the_run_ended_worse(qtbot, make_window, monkeypatch):
    _scripted_accuracies(monkeypatch, [80.0, 95.0, 70.0])
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=3))
    controls = window.controls
    assert not controls.revert_button.isHidden() and controls.revert_button.text() == "Revert to epoch 2 (95.00%)"
    assert window.menus.actions["revert"].isEnabled()
    controls.revert_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    assert window.document.checkpoint.epoch == 2 and window.document.unsaved
    assert controls.revert_button.isHidden()
    window.plots.flush()
    assert list(window.plots.test_accuracy.item.getData()[0]) == [1, 2]


def test_help_lists_every_shortcut_starts_newcomers_off_and_says_where_things_are(qtbot, make_window, dialog_stub):
    from fmnist_gui.qt.common.help import GettingStartedDialog, ShortcutsDialog
    from fmnist_gui.qt.shell.actions import ACTIONS, shortcut_rows

    window = make_window()
    window.menus.actions["shortcuts"].trigger()
    assert [text for _, text, _ in dialog_stub.shortcut_rows] == [
        info.text.replace("&", "").replace("…", "") for info in ACTIONS if info.shortcut is not None]
    assert ("Run", "Train a new model", "F5") in dialog_stub.shortcut_rows
    assert ("View", "Present", "F11") in dialog_stub.shortcut_rows
    window.menus.actions["getting_started"].trigger()
    assert dialog_stub.getting_started == 1
    window.menus.actions["about"].trigger()
    (about,) = dialog_stub.abouts
    assert f"Fashion-MNIST: {window.data_source.data.source}" in about and "apt-get" not in about  # found: no install hint
    assert str(window.runs.runs_dir) in about and "MIT" in about and "PyTorch" in about
    assert not window.menus.actions["stop_following"].isEnabled()  # nothing followed
    for dialog in (ShortcutsDialog(shortcut_rows(), window), GettingStartedDialog(window)):  # they build and show
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.close()
    pictures = [label.pixmap() for label in dialog.findChildren(QLabel) if not label.pixmap().isNull()]
    assert len(pictures) == 3  # each step's picture ships with the package
    assert all(120 <= picture.height() and picture.width() <= 360 for picture in pictures)


def test_the_window_opens_the_last_model_again_at_start_unless_told_not_to(qtbot, make_window, settings, tmp_path):
    from fmnist_gui.checkpoint import save_checkpoint
    from tests.engine.export_helpers import fresh_checkpoint

    path = save_checkpoint(fresh_checkpoint("quickstart-mlp"), tmp_path / "last.pt")
    settings.add_recent_file(str(path))
    window = make_window()
    qtbot.waitUntil(lambda: window.document.path == str(path) and not window.busy, timeout=10000)
    assert window.menus.actions["reopen_last"].isChecked()
    window.menus.actions["reopen_last"].setChecked(False)
    assert not settings.reopen_last_model()
    second = make_window()
    qtbot.waitUntil(lambda: not second.busy, timeout=10000)
    assert second.document.checkpoint is None


def test_a_closed_dock_says_where_to_find_it_again(qtbot, make_window, settings):
    window = make_window()
    window.docks["controls"].close()
    assert window.status.currentMessage() == "Training is closed: View → Training brings it back."
    window.settings.save_layout(window.saveGeometry(), window.saveState(LAYOUT_VERSION))
    again = make_window()
    assert any("Closed when the app was last used: Training" in line for line in again.log.lines())

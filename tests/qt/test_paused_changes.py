"""Changing the learning rate, weight decay or momentum of a paused run, through the form."""

from __future__ import annotations

from PySide6.QtCore import Qt

from fmnist_gui.engine import FinishReason
from fmnist_gui.qt.background.session import RunState
from tests.qt.helpers import QUICK


def start_and_pause(qtbot, window, config):
    window.controls.set_config(config)
    with qtbot.waitSignal(window.session.batch_finished, timeout=30000):
        window.controls.train_button.click()
    with qtbot.waitSignal(window.session.state_changed, check_params_cb=lambda state: state is RunState.PAUSED, timeout=30000):
        window.controls.pause_button.click()


def type_into(qtbot, spin_box, text):
    spin_box.setFocus()
    spin_box.selectAll()
    qtbot.keyClick(spin_box, Qt.Key.Key_Delete)
    qtbot.keyClicks(spin_box, text)


def marker_texts(plots):
    """The label of every marker line, by plot: each plot must carry each marker."""
    return {name: [line.label.format for owner, line in plots.change_markers.lines if owner is plot and line in plot.items]
            for name, plot in (("loss", plots.loss_plot), ("accuracy", plots.accuracy_plot), ("lr", plots.lr_plot))}


def test_a_paused_run_takes_a_new_rate_marks_the_curves_and_a_saved_file_keeps_it(qtbot, make_window, dialog_stub, tmp_path):
    window = make_window()
    controls = window.controls
    start_and_pause(qtbot, window, QUICK.replace(epochs=2, batch_size=10))
    # Only the values a running optimizer can take are open; Adam has no momentum.
    assert controls.lr.isEnabled() and controls.weight_decay.isEnabled()
    assert not controls.momentum.isEnabled() and not controls.batch_size.isEnabled() and not controls.optimizer.isEnabled()
    assert "Resume applies them" in controls.hint.text()

    type_into(qtbot, controls.lr, "0")
    problem = controls.field_problems["lr"]
    assert not controls.pause_button.isEnabled() and not problem.isHidden()
    assert "learning rate must be above 0" in problem.text()
    assert not window.menus.actions["pause"].isEnabled()  # the Run menu follows the button

    type_into(qtbot, controls.lr, "3e-4")
    assert controls.pause_button.isEnabled() and problem.isHidden()
    finished = []
    window.session.run_finished.connect(finished.append)
    with qtbot.waitSignal(window.session.hyperparameters_changed, timeout=30000) as changed:
        controls.pause_button.click()
    change = changed.args[0]
    assert (change.field, change.old, change.new) == ("lr", 1e-3, 3e-4)
    assert marker_texts(window.plots) == {"loss": ["lr 1e-3→3e-4"], "accuracy": ["lr 1e-3→3e-4"], "lr": ["lr 1e-3→3e-4"]}
    assert any("Changed while paused: lr 1e-3→3e-4" in line for line in window.log.lines())
    qtbot.waitUntil(lambda: bool(finished) and not window.busy, timeout=60000)
    assert finished[0].reason is FinishReason.COMPLETED
    assert window.session.checkpoint().config.lr == 3e-4

    dialog_stub.save_path = str(tmp_path / "changed.pt")
    window.menus.actions["save_as"].trigger()
    fresh = make_window()
    dialog_stub.open_path = str(tmp_path / "changed.pt")
    fresh.menus.actions["open"].trigger()
    qtbot.waitUntil(lambda: fresh.predictions.test.probabilities is not None and not fresh.busy, timeout=30000)
    assert fresh.plots.change_markers.labels() == ["lr 1e-3→3e-4"]
    assert marker_texts(fresh.plots)["lr"] == ["lr 1e-3→3e-4"]
    assert fresh.controls.lr.value() == 3e-4  # Continue goes on with the edited rate


def test_sgd_momentum_and_weight_decay_change_together_under_one_marker_also_in_a_followed_folder(qtbot, make_window):
    window = make_window()
    controls = window.controls
    start_and_pause(qtbot, window, QUICK.replace(optimizer="sgd", lr=0.01, momentum=0.9, epochs=2, batch_size=10))
    assert controls.momentum.isEnabled()
    type_into(qtbot, controls.momentum, "0.5")
    type_into(qtbot, controls.weight_decay, "0.001")
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        controls.pause_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=30000)
    assert window.plots.change_markers.labels() == ["weight decay 0→1e-3, momentum 0.9→0.5"]
    config = window.session.checkpoint().config
    assert (config.momentum, config.weight_decay, config.lr) == (0.5, 0.001, 0.01)
    # The run folder keeps the changes: a window that follows it draws the same marker.
    follower = make_window()
    follower.following.follow(window.document.run_folder)
    qtbot.waitUntil(lambda: follower.plots.change_markers.labels() == ["weight decay 0→1e-3, momentum 0.9→0.5"]
                    and not follower.busy, timeout=30000)
    follower.following.stop()


def test_resuming_without_an_edit_changes_nothing_and_a_stop_drops_a_half_typed_value(qtbot, make_window):
    window = make_window()
    controls = window.controls
    start_and_pause(qtbot, window, QUICK.replace(epochs=3, batch_size=10))
    with qtbot.waitSignal(window.session.state_changed, check_params_cb=lambda state: state is RunState.RUNNING, timeout=30000):
        controls.pause_button.click()
    assert window.plots.change_markers.labels() == []
    with qtbot.waitSignal(window.session.state_changed, check_params_cb=lambda state: state is RunState.PAUSED, timeout=30000):
        controls.pause_button.click()
    type_into(qtbot, controls.lr, "0")
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        controls.stop_button.click()
    qtbot.waitUntil(lambda: not window.busy, timeout=30000)
    assert controls.field_problems["lr"].isHidden() and controls.lr.text() == "0.001"
    assert window.plots.change_markers.labels() == []

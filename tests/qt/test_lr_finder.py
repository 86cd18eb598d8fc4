"""The learning-rate finder in the window: the Find… button, its dialog, Stop, closing, "Use this rate"."""

from __future__ import annotations

from tests.qt.helpers import QUICK

from fmnist_gui.devices import available_devices
from fmnist_gui.engine.lr_finder import FinderOptions
from fmnist_gui.qt.state.run_state import RunState
from fmnist_gui.qt.views.controls import ControlsPanel

ENDLESS = FinderOptions(steps=1_000_000)  # a search that only a stop ends
EXPLODING = FinderOptions(start_lr=10.0, end_lr=1e6, steps=100)  # Adam at these rates diverges in a few batches


def find(qtbot, window, options: FinderOptions | None = None, configure: bool = True):
    """Fill the form with the quick values (unless the test did), click Find…, and wait for the search's end; its result."""
    if configure:
        window.controls.set_config(QUICK)
    if options is not None:
        window.lr_finding.options = options
    with qtbot.waitSignal(window.lr_finding.search_finished, timeout=60000) as finished:
        window.controls.find_lr.click()
    return finished.args[0]


def start_endless(qtbot, window):
    """Click Find… for a search that runs until stopped, and wait for its first progress report."""
    window.controls.set_config(QUICK)
    window.lr_finding.options = ENDLESS
    window.controls.find_lr.click()
    dialog = window.lr_finding.dialog
    qtbot.waitUntil(lambda: "rate" in dialog.progress.format(), timeout=20000)
    return dialog


def test_the_dialog_shows_the_suggestion_and_use_this_rate_fills_the_form(make_window, qtbot):
    window = make_window()
    result = find(qtbot, window)
    dialog = window.lr_finding.dialog
    assert dialog.isVisible() and dialog.description.text().startswith("quickstart-mlp · adam · batch 50")
    assert result.suggestion is not None and dialog.suggestion == float(f"{result.suggestion:.2g}")
    assert dialog.line.isVisible() and dialog.line.label.format == f"steepest descent {dialog.suggestion:g} ← advised"
    for rule, line in dialog.rule_lines.items():  # every rule's line says its name on the plot
        assert line.isVisible() and line.label.toPlainText().startswith(f"{rule} "), rule
    assert dialog.current_line.isVisible() and dialog.current_line.label.format == f"your rate {QUICK.lr:g}"
    assert "constant rate the steepest descent" in dialog.advice.text()  # the quick config's schedule is constant
    assert dialog.message.text() == result.message and dialog.message.text().startswith("The smoothed loss fell fastest")
    assert not dialog.stop_button.isEnabled() and dialog.use_button.isEnabled()
    assert window.controls.lr.value() == QUICK.lr != dialog.suggestion  # nothing changes until asked
    dialog.use_button.click()
    assert window.controls.lr.value() == dialog.suggestion and not dialog.isVisible()
    assert window.controls.config().replace(lr=QUICK.lr) == QUICK  # only the rate changed
    qtbot.waitUntil(lambda: not window.busy)


def test_for_a_peak_schedule_a_tenth_of_the_minimum_is_advised_and_the_steepest_descent_offered_beside_it(
        make_window, qtbot):
    window = make_window()
    window.controls.set_config(QUICK.replace(schedule="one-cycle"))
    result = find(qtbot, window, configure=False)
    dialog = window.lr_finding.dialog
    assert "minimum / 10" in result.rules and dialog.suggestion == float(f"{result.rules['minimum / 10']:.2g}")
    assert dialog.use_button.text().endswith("(minimum / 10)") and "one-cycle schedule" in dialog.advice.text()
    if dialog.other_button.isVisibleTo(dialog):
        assert dialog.other_button.text().endswith("(steepest descent)")
        dialog.other_button.click()
        assert window.controls.lr.value() == float(f"{result.rules['steepest descent']:.2g}")
    qtbot.waitUntil(lambda: not window.busy)


def test_stop_ends_the_search_without_a_suggestion(make_window, qtbot):
    window = make_window()
    dialog = start_endless(qtbot, window)
    with qtbot.waitSignal(window.lr_finding.search_finished, timeout=20000) as finished:
        dialog.stop_button.click()
    result = finished.args[0]
    assert result.stopped and result.suggestion is None and not window.lr_finding.running
    assert dialog.message.text().startswith("Stopped after ") and not dialog.use_button.isEnabled()
    assert not dialog.stop_button.isEnabled() and not dialog.line.isVisible()
    qtbot.waitUntil(lambda: not window.busy)


def test_a_model_that_diverges_at_once_gets_a_message_and_no_rate_to_use(make_window, qtbot):
    window = make_window()
    result = find(qtbot, window, EXPLODING)
    dialog = window.lr_finding.dialog
    assert result.suggestion is None and "diverged at once" in dialog.message.text()
    assert "c62828" in dialog.message.styleSheet()  # shown as a problem
    assert not dialog.use_button.isEnabled() and not dialog.line.isVisible()
    dialog.use_button.click()
    assert window.controls.lr.value() == QUICK.lr


def test_closing_the_dialog_stops_the_search(make_window, qtbot):
    window = make_window()
    dialog = start_endless(qtbot, window)
    dialog.close()
    assert not window.lr_finding.running
    qtbot.waitUntil(lambda: not window.busy, timeout=20000)
    # Opened again, it starts afresh.
    result = find(qtbot, window, FinderOptions(steps=30))
    assert len(result.lrs) <= 30 and dialog.isVisible()


def test_quitting_during_a_search_leaves_no_thread(make_window, qtbot):
    window = make_window()
    start_endless(qtbot, window)
    window.shutdown()
    assert window.work.running_threads() == []


def test_the_find_button_waits_for_data_and_for_a_run_to_end(qtbot):
    controls = ControlsPanel(available_devices())
    qtbot.addWidget(controls)
    assert not controls.find_lr.isEnabled() and "needs Fashion-MNIST" in controls.find_lr.toolTip()
    controls.set_data_ready(True)
    assert controls.find_lr.isEnabled()
    controls.set_run_state(RunState.RUNNING)
    assert not controls.find_lr.isEnabled() and "until the run is over" in controls.find_lr.toolTip()
    controls.set_run_state(RunState.IDLE)
    with qtbot.waitSignal(controls.find_lr_requested) as requested:
        controls.find_lr.click()
    assert requested.args[0] == controls.config()

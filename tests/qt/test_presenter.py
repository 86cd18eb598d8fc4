"""The presenter: type a room can read, every input one key away, one or two models answering, the camera."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics, QGuiApplication, QImage
from PySide6.QtTest import QTest

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.controllers.presenter import CAMERA_KEY, PresenterController, LabelledImages
from fmnist_gui.qt.views.presenter import PresenterView, text_sizes
from tests.engine.export_helpers import fresh_checkpoint
from tests.synthetic import make_images

try:
    from fmnist_gui.qt.background.camera import NO_CAMERA, UNPLUGGED, CameraFeed, open_camera
    from PySide6.QtMultimedia import QVideoFrame
except ImportError:  # the optional camera extra
    QVideoFrame = None


@pytest.fixture
def view(qtbot):
    view = PresenterView(CLASS_NAMES)
    qtbot.addWidget(view)
    view.resize(1280, 720)
    view.show()
    return view


def test_class_names_are_at_least_24_pixels_high_on_a_1280x720_screen(view):
    assert text_sizes(720)["names"] >= 24 and view.bars.font_px >= 24
    font = QFont(view.font())
    font.setPixelSize(view.bars.font_px)
    assert QFontMetrics(font).capHeight() >= 17 and QFontMetrics(font).height() >= 24  # capitals alone 17 px and more
    assert text_sizes(1080)["names"] > text_sizes(720)["names"]  # sized from the screen
    assert view.size().width() == 1280 and view.size().height() == 720  # nothing forces it larger


@pytest.mark.parametrize(("key", "signal", "args"), [
    (Qt.Key.Key_Right, "step_requested", [1]), (Qt.Key.Key_Left, "step_requested", [-1]),
    (Qt.Key.Key_3, "class_requested", [3]), (Qt.Key.Key_M, "mistakes_toggled", [True]),
    (Qt.Key.Key_Space, "playing_toggled", [True]), (Qt.Key.Key_D, "mode_requested", ["draw"]),
    (Qt.Key.Key_C, "mode_requested", ["camera"]), (Qt.Key.Key_P, "mode_requested", ["picture"]),
    (Qt.Key.Key_Escape, "leave_requested", []),
])
def test_every_input_is_one_key_away(qtbot, view, key, signal, args):
    with qtbot.waitSignal(getattr(view, signal), timeout=2000) as heard:
        QTest.keyClick(view, key)
    assert heard.args == args


def test_the_legend_hides_the_theme_switches_and_ctrl_c_copies_the_screen(qtbot, view):
    QGuiApplication.clipboard().clear()
    QTest.keyClick(view, Qt.Key.Key_H)
    assert view.legend.isHidden()
    QTest.keyClick(view, Qt.Key.Key_L)
    assert view.theme.name == "light"
    QTest.keyClick(view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    copied = QGuiApplication.clipboard().image()
    assert not copied.isNull() and copied.width() >= 1280 * 0.9


def test_space_clears_a_drawing(qtbot, view):
    view.set_mode("draw")
    view.canvas.draw_line(*(view.canvas.to_canvas(view.canvas.rect().center().toPointF()),) * 2)
    assert not view.canvas.is_empty()
    QTest.keyClick(view, Qt.Key.Key_Space)
    assert view.canvas.is_empty()


# The controller, with real models on the synthetic data


@pytest.fixture
def work():
    work = BackgroundWork()
    yield work
    work.shutdown()


@pytest.fixture
def test_set(synthetic_data) -> LabelledImages:
    return LabelledImages(synthetic_data.test_images.numpy(), synthetic_data.test_labels.numpy())


def presenter(qtbot, work, test_set, models, camera=None) -> PresenterController:
    controller = PresenterController(models=models, names=[f"model {n}" for n in range(len(models))],
                                     inference=InferenceWorker(work), test=test_set, class_names=CLASS_NAMES,
                                     camera=camera, last_folder=lambda: "")
    qtbot.addWidget(controller.view)
    controller.present()
    qtbot.waitUntil(lambda: all(a is not None for a in controller._test_answers), timeout=20000)
    return controller


def shown_index(controller: PresenterController) -> int:
    return int(controller.view.input_caption.text().split(" ")[2].replace(",", "")) - 1


def test_test_images_are_answered_at_once_with_their_label_and_a_tick_or_cross(qtbot, work, test_set):
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("quickstart-mlp")])
    view = controller.view
    first = shown_index(controller)
    qtbot.waitUntil(lambda: view.bars.answer(0) is not None, timeout=5000)
    assert view.bars.truth == test_set.labels[first]
    assert ("✓" in view.verdict.text()) != ("✗" in view.verdict.text())
    QTest.keyClick(view, Qt.Key.Key_Right)
    assert shown_index(controller) != first
    QTest.keyClick(view, Qt.Key.Key_7)
    assert test_set.labels[shown_index(controller)] == 7 and "labelled Sneaker" in view.input_caption.text()


def test_m_shows_only_the_mistakes_of_one_model_or_the_disagreements_of_two(qtbot, work, test_set):
    one, other = fresh_checkpoint("quickstart-mlp", seed=1), fresh_checkpoint("quickstart-mlp", seed=2)
    controller = presenter(qtbot, work, test_set, [one, other])
    answers = [np.argmax(a, axis=1) for a in controller._test_answers]
    QTest.keyClick(controller.view, Qt.Key.Key_M)
    for _ in range(5):
        index = shown_index(controller)
        assert answers[0][index] != answers[1][index]
        QTest.keyClick(controller.view, Qt.Key.Key_Right)
    assert "(they disagree)" in controller.view.input_caption.text() and "M disagreements only" in controller.view.legend.text()


def test_a_drawing_is_answered_by_both_models_and_shown_as_the_model_sees_it(qtbot, work, test_set):
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("small-cnn"), fresh_checkpoint("quickstart-mlp")])
    view = controller.view
    QTest.keyClick(view, Qt.Key.Key_D)
    view.canvas.draw_line(view.canvas.to_canvas(view.canvas.rect().topLeft().toPointF() + view.canvas.rect().center().toPointF() / 2),
                          view.canvas.to_canvas(view.canvas.rect().center().toPointF()))
    qtbot.waitUntil(lambda: view.bars.answer(0) is not None and view.bars.answer(1) is not None, timeout=10000)
    assert view.bars.truth is None and "%" in view.verdict.text()


def test_esc_leaves_and_says_so(qtbot, work, test_set):
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("quickstart-mlp")])
    with qtbot.waitSignal(controller.left, timeout=2000):
        QTest.keyClick(controller.view, Qt.Key.Key_Escape)
    assert not controller.view.isVisible()


# The camera: frames pushed into its sink, as a camera would deliver them


needs_multimedia = pytest.mark.skipif(QVideoFrame is None, reason="Qt Multimedia (the camera extra) is not installed")


def frame_of(label: int, seed: int = 0, size: tuple[int, int] = (320, 240)) -> QImage:
    """A camera-sized frame holding a synthetic item of class `label`, dark on a light table."""
    item = make_images(np.array([label]), np.random.default_rng(seed))[0]
    gray = np.full((size[1], size[0]), 230, dtype=np.uint8)
    big = np.kron(255 - item, np.ones((6, 6), dtype=np.uint8))
    top, left = (size[1] - big.shape[0]) // 2, (size[0] - big.shape[1]) // 2
    gray[top : top + big.shape[0], left : left + big.shape[1]] = big
    return QImage(gray.data, size[0], size[1], size[0], QImage.Format.Format_Grayscale8).copy()


@needs_multimedia
def test_camera_frames_are_classified_and_a_burst_never_queues(qtbot, work, test_set, monkeypatch):
    feed = CameraFeed()
    monkeypatch.setattr(feed, "_inputs", lambda: [])  # no real camera: frames come from the test
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("quickstart-mlp")], camera=feed)
    controller.set_mode("camera")
    asked = []
    real = controller.inference.classify
    monkeypatch.setattr(controller.inference, "classify", lambda key, *a, **k: (asked.append(key), real(key, *a, **k)))
    for n in range(30):  # a burst: thirty frames before the first answer
        feed.sink.setVideoFrame(QVideoFrame(frame_of(n % 10, seed=n)))
    qtbot.waitUntil(lambda: not controller._frame_in_flight and controller.view.bars.answer(0) is not None, timeout=20000)
    assert asked.count(CAMERA_KEY) <= 2  # the first, then the newest: never thirty
    last = controller.view.seen._image
    assert last is not None and not last.isNull()


@needs_multimedia
def test_no_camera_or_one_unplugged_is_one_message_and_the_other_inputs_go_on(qtbot, work, test_set, monkeypatch):
    feed = CameraFeed()
    monkeypatch.setattr(feed, "_inputs", lambda: [])
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("quickstart-mlp")], camera=feed)
    controller.set_mode("camera")
    assert controller.view.message.text() == NO_CAMERA and controller.view.message.isVisible()
    feed._device_id = b"the camera that was"  # as if one ran, then the list of cameras changed without it
    with qtbot.waitSignal(feed.failed, timeout=2000) as said:
        feed._on_inputs_changed()
    assert said.args == [UNPLUGGED] and not feed.running
    QTest.keyClick(controller.view, Qt.Key.Key_T)
    qtbot.waitUntil(lambda: controller.view.bars.answer(0) is not None, timeout=5000)


def test_without_qt_multimedia_the_camera_says_how_to_get_it(qtbot, work, test_set):
    controller = presenter(qtbot, work, test_set, [fresh_checkpoint("quickstart-mlp")], camera=None)
    controller.set_mode("camera")
    assert "pip install 'fmnist-gui[camera]'" in controller.view.message.text()


# From the window, and from the command line


def test_view_present_opens_full_screen_on_the_model_and_esc_leaves_the_window_as_it_was(qtbot, make_window):
    from PySide6.QtWidgets import QApplication

    from tests.qt.helpers import QUICK, train

    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    geometry, state = window.saveGeometry(), window.saveState()
    window.menus.actions["present"].trigger()
    (view,) = [w for w in QApplication.topLevelWidgets() if isinstance(w, PresenterView) and w.isVisible()]
    assert view.windowState() & Qt.WindowState.WindowFullScreen
    assert "quickstart-mlp" in view.header.text()
    qtbot.waitUntil(lambda: view.bars.answer(0) is not None, timeout=10000)
    QTest.keyClick(view, Qt.Key.Key_Escape)
    assert not view.isVisible() and window.isVisible()
    assert window.saveGeometry() == geometry and window.saveState() == state


def test_present_without_a_model_says_what_to_do_first(qtbot, make_window, dialog_stub):
    window = make_window()
    assert window.present() is None
    assert dialog_stub.errors == [("Nothing to present", "Train a model or open a checkpoint first.")]


PRESENT = """
import sys
from PySide6.QtCore import QTimer
from fmnist_gui.qt.controllers.presenter import PresenterController
from fmnist_gui.cli import main

opened = PresenterController.present
def present_then_leave(self, screen=None):
    opened(self, screen)
    def leave_once_answered():
        if self.view.bars.answer(0) is None or self.view.bars.answer(1) is None:
            QTimer.singleShot(50, leave_once_answered)
            return
        verdict = self.view.verdict.text()
        print("answered:", int("A: " in verdict) + int("B: " in verdict), "models;", self.view.header.text().count("<b>"), "named")
        self.leave()
    QTimer.singleShot(50, leave_once_answered)
PresenterController.present = present_then_leave
sys.exit(main(["present", *sys.argv[1:]]))
"""


def test_fmnist_gui_present_shows_two_models_and_esc_quits(tmp_path, synthetic_dir):
    import os
    import subprocess
    import sys

    from fmnist_gui.checkpoint import save_checkpoint

    paths = [save_checkpoint(fresh_checkpoint("quickstart-mlp", seed=n), tmp_path / f"m{n}.pt") for n in (1, 2)]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "FMNIST_ALLOW_SMALL": "1"}
    done = subprocess.run([sys.executable, "-c", PRESENT, *map(str, paths), "--data-dir", str(synthetic_dir)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "answered: 2 models; 2 named" in done.stdout

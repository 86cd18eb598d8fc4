"""The "classify your own image" views: open, paste and draw a picture; show the answer they are given."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QGuiApplication, QImage

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.imaging import ImageError, read_grayscale, to_fashion_mnist
from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.views.draw import CANVAS_SIDE, EMPTY_TEXT, DrawView
from fmnist_gui.qt.views.widgets import qimage_to_gray
from fmnist_gui.qt.views.own_image import OwnImageView


def shoe_pixels(height: int = 80, width: int = 120) -> np.ndarray:
    """A dark shoe-like shape (shaft and sole) on white, as a product photo."""
    pixels = np.full((height, width), 255, dtype=np.uint8)
    pixels[height // 2 : height - 12, 10 : width - 10] = 30
    pixels[15 : height // 2, 10 : width // 3] = 30
    return pixels


def rgba_qimage(pixels: np.ndarray) -> QImage:
    """An (H, W, 4) uint8 RGBA array as a QImage that owns its pixels."""
    data = np.ascontiguousarray(pixels, dtype=np.uint8)
    return QImage(data.data, data.shape[1], data.shape[0], 4 * data.shape[1], QImage.Format.Format_RGBA8888).copy()


def assert_light_item_on_black(image: np.ndarray) -> None:
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert image[0].max() == 0 and image[-1].max() == 0  # the shoe is wider than tall: black above and below
    assert image.max() > 200


@pytest.fixture(autouse=True)
def no_open_dialog(monkeypatch):
    """A file dialog would wait forever headless: answer "cancelled" unless a test says otherwise."""
    monkeypatch.setattr(dialogs, "open_image_path", lambda parent, folder: None)


def answer(view: OwnImageView, gray: np.ndarray, source: str) -> np.ndarray:
    """What the window's controller does with a picture (in its worker): fit it, show it."""
    model_input = to_fashion_mnist(gray)
    view.show_picture(gray, model_input, source)
    return model_input


@pytest.fixture
def view(qtbot) -> OwnImageView:
    widget = OwnImageView(CLASS_NAMES)
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def draw_view(qtbot) -> DrawView:
    widget = DrawView(CLASS_NAMES)
    qtbot.addWidget(widget)
    widget.resize(450, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_picture_file_becomes_a_light_item_on_black(qtbot, view, tmp_path, suffix):
    path = tmp_path / f"shoe{suffix}"
    Image.fromarray(shoe_pixels()).save(path)
    model_input = answer(view, read_grayscale(path), path.name)
    assert_light_item_on_black(model_input)
    assert view.model_input is model_input
    assert view.picture_caption.text() == f"Your picture (120×80): shoe{suffix}"
    assert view.verdict.headline.text() == "Classifying…"
    assert view.model_caption.text() == "What the model sees (28×28)"


def test_the_open_button_loads_the_chosen_file_and_remembers_its_folder(qtbot, view, tmp_path, monkeypatch):
    path = tmp_path / "pictures" / "shoe.png"
    path.parent.mkdir()
    Image.fromarray(shoe_pixels()).save(path)
    asked = []
    monkeypatch.setattr(dialogs, "open_image_path", lambda parent, folder: asked.append(folder) or str(path))
    with qtbot.waitSignal(view.file_chosen) as chosen:
        qtbot.mouseClick(view.open_button, Qt.MouseButton.LeftButton)
    assert chosen.args == [str(path)]
    assert view.last_folder == str(path.parent)
    view.open_button.click()
    assert asked == ["", str(path.parent)]


def test_cancelling_the_open_dialog_changes_nothing(qtbot, view):
    with qtbot.assertNotEmitted(view.file_chosen), qtbot.assertNotEmitted(view.failed):
        view.open_button.click()
    assert view.model_input is None


def test_a_failure_is_explained_and_the_shown_picture_stays(view):
    model_input = answer(view, shoe_pixels(), "shoe.png")
    caption = view.picture_caption.text()
    view.show_failure("notes.txt is not an image this app can read (PNG, JPEG, GIF or WebP).")
    assert view.message.text().startswith("notes.txt is not an image")
    assert "color" in view.message.styleSheet()
    assert view.model_input is model_input and view.picture_caption.text() == caption
    answer(view, shoe_pixels(), "shoe.png")  # a good picture again: the message is a hint, no longer an error
    assert view.message.styleSheet() == "" and "not" not in view.message.text()


def test_paste_reads_a_transparent_picture_from_the_clipboard(qtbot, view):
    pixels = np.zeros((80, 120, 4), dtype=np.uint8)  # fully transparent: counts as white
    pixels[shoe_pixels() < 128] = (90, 40, 10, 255)  # an opaque brown shoe
    QGuiApplication.clipboard().setImage(rgba_qimage(pixels))
    with qtbot.waitSignal(view.image_pasted) as pasted:
        qtbot.mouseClick(view.paste_button, Qt.MouseButton.LeftButton)
    assert_light_item_on_black(answer(view, pasted.args[0], "clipboard"))
    assert view.picture_caption.text() == "Your picture (120×80): clipboard"


def test_paste_loads_a_picture_file_copied_in_a_file_manager(qtbot, view, tmp_path):
    path = tmp_path / "shoe.png"
    Image.fromarray(shoe_pixels()).save(path)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    QGuiApplication.clipboard().setMimeData(mime)
    with qtbot.waitSignal(view.file_chosen) as chosen:
        view.paste_button.click()
    assert chosen.args == [str(path)]


def test_paste_without_a_picture_says_so(qtbot, view):
    QGuiApplication.clipboard().setText("just words")
    with qtbot.assertNotEmitted(view.image_pasted), qtbot.waitSignal(view.failed) as failed:
        view.paste_button.click()
    assert failed.args[0] == "The clipboard holds no image."
    assert view.message.text() == "The clipboard holds no image."


def test_the_headline_names_the_most_probable_class(view):
    answer(view, shoe_pixels(), "test")
    assert view.verdict.headline.text() == "Classifying…"
    probabilities = np.full(10, 0.01)
    probabilities[7] = 0.91
    view.show_probabilities(probabilities)
    assert view.verdict.headline.text() == "Prediction: <b>Sneaker</b> (91.0%)"
    view.show_probabilities(None)
    assert view.verdict.headline.text() == "Train a model or open a checkpoint to classify it."


def test_an_answer_before_any_picture_is_ignored(view):
    before = view.verdict.headline.text()
    view.show_probabilities(np.eye(10)[3])
    assert view.verdict.headline.text() == before


def test_qimage_to_gray_makes_transparency_white_and_colour_luminance(tmp_path):
    pixels = np.array([[[0, 0, 0, 0], [255, 0, 0, 255], [0, 255, 0, 255]],
                       [[0, 0, 255, 255], [0, 0, 0, 128], [200, 100, 50, 255]]], dtype=np.uint8)
    gray = qimage_to_gray(rgba_qimage(pixels))
    assert gray.dtype == np.uint8 and gray.shape == (2, 3)
    assert gray[0, 0] == 255  # transparent: the white background
    assert gray[0, 1] == 76 and gray[0, 2] == 150 and gray[1, 0] == 29  # ITU-R 601 luminance of red, green, blue
    assert 120 <= gray[1, 1] <= 135  # half-transparent black on white: mid gray
    Image.fromarray(pixels, "RGBA").save(tmp_path / "same.png")
    np.testing.assert_array_equal(gray, read_grayscale(tmp_path / "same.png"))  # the same rule as for files


def test_qimage_to_gray_refuses_a_null_image():
    with pytest.raises(ImageError, match="no image"):
        qimage_to_gray(QImage())


def drag(qtbot, canvas, points: list[tuple[int, int]]) -> None:
    """Press, move through the points, release: a real mouse stroke in widget coordinates."""
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for point in points[1:]:
        qtbot.mouseMove(canvas, QPoint(*point))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_a_mouse_drag_draws_and_is_classified_once_the_pen_rests(qtbot, draw_view):
    canvas = draw_view.canvas
    assert not draw_view.canvas_gray().any()
    side = min(canvas.width(), canvas.height())
    left, top = (canvas.width() - side) // 2, (canvas.height() - side) // 2
    corners = [(left + side * x // 10, top + side * y // 10) for x, y in [(2, 7), (2, 4), (5, 4), (8, 7)]]
    with qtbot.waitSignal(draw_view.drawing_settled, timeout=2000) as settled:
        drag(qtbot, canvas, corners)
    gray = draw_view.canvas_gray()
    assert gray.shape == (CANVAS_SIDE, CANVAS_SIDE) and gray.dtype == np.uint8
    assert gray[7 * CANVAS_SIDE // 10, 2 * CANVAS_SIDE // 10] == 255  # the stroke went where the mouse did
    assert gray[CANVAS_SIDE // 10, CANVAS_SIDE - 10] == 0
    np.testing.assert_array_equal(settled.args[0], gray)
    image = to_fashion_mnist(gray)
    assert image.shape == (28, 28) and image.dtype == np.uint8 and image.max() > 200
    assert draw_view.show_model_input(image) and draw_view.model_input is image


def test_drawing_without_a_mouse_and_clearing(qtbot, draw_view):
    with qtbot.waitSignal(draw_view.drawing_settled, timeout=2000) as settled:
        draw_view.canvas.draw_line(QPointF(60, 200), QPointF(220, 200))
    draw_view.show_model_input(to_fashion_mnist(settled.args[0]))
    draw_view.show_probabilities(np.eye(10)[5])
    assert draw_view.verdict.headline.text() == "Prediction: <b>Sandal</b> (100.0%)"
    with qtbot.assertNotEmitted(draw_view.drawing_settled, wait=300):
        draw_view.clear_button.click()
    assert not draw_view.canvas_gray().any()
    assert draw_view.model_input is None and draw_view.verdict.headline.text() == EMPTY_TEXT
    assert not draw_view.show_model_input(np.zeros((28, 28), np.uint8))  # a late input for the cleared drawing
    draw_view.show_probabilities(np.eye(10)[5])  # a late answer for the cleared drawing
    assert draw_view.verdict.headline.text() == EMPTY_TEXT


def test_the_draw_view_says_when_there_is_no_model(qtbot, draw_view):
    with qtbot.waitSignal(draw_view.drawing_settled, timeout=2000) as settled:
        draw_view.canvas.draw_line(QPointF(140, 140), QPointF(140, 140))
    draw_view.show_model_input(to_fashion_mnist(settled.args[0]))
    draw_view.show_probabilities(None)
    assert draw_view.verdict.headline.text() == "Train a model or open a checkpoint to classify it."


def test_strokes_do_not_depend_on_the_widget_size(qtbot, draw_view):
    draw_view.canvas.draw_line(QPointF(20, 20), QPointF(20, 20))
    small = draw_view.canvas_gray()
    draw_view.clear()
    draw_view.resize(900, 1000)
    qtbot.waitUntil(lambda: draw_view.canvas.width() > 400)
    draw_view.canvas.draw_line(QPointF(20, 20), QPointF(20, 20))
    np.testing.assert_array_equal(draw_view.canvas_gray(), small)
    assert 250 < np.count_nonzero(small) < 400  # a round dot 1/14 of the side across: pi * 10^2

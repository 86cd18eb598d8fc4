"""The views for understanding a model, in the real window, after a run on synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import QPoint, Qt

from fmnist_gui.engine.evaluation import predict_probabilities
from tests.pictures import save_picture
from tests.qt.helpers import QUICK, train


@pytest.fixture
def trained_window(qtbot, make_window):
    window = make_window()
    train(qtbot, window, QUICK.replace(model="small-cnn", epochs=1))
    return window


def _wait_idle(qtbot, window):
    qtbot.waitUntil(lambda: not window.busy, timeout=15000)


def test_the_matrix_and_per_class_bars_follow_the_epoch(trained_window):
    views, predictions = trained_window.views, trained_window.predictions
    assert views.confusion.matrix.sum() == len(predictions.test.labels) == 200
    assert np.array_equal(views.confusion.matrix, predictions.confusion)
    correct = np.diag(predictions.confusion) / predictions.confusion.sum(axis=1) * 100
    assert np.allclose(views.per_class.current, correct)
    assert views.per_class.label == "Epoch 1" and views.per_class.previous is None


def test_clicking_a_cell_lists_exactly_its_images_most_confident_first(qtbot, trained_window):
    views, split = trained_window.views, trained_window.predictions.test
    predicted = split.predictions
    matrix = views.confusion.matrix.copy()
    np.fill_diagonal(matrix, -1)
    true_class, predicted_class = (int(v) for v in np.unravel_index(matrix.argmax(), matrix.shape))
    trained_window.docks["confusion"].raise_()  # first: the cell is where the matrix is drawn once shown
    qtbot.waitExposed(views.confusion)
    centre = views.confusion.cell_rect(true_class, predicted_class).center().toPoint()
    qtbot.mouseClick(views.confusion, Qt.MouseButton.LeftButton, pos=centre)
    expected = np.flatnonzero((split.labels == true_class) & (predicted == predicted_class))
    listed = views.mistakes.listed
    assert sorted(listed) == sorted(expected)
    confidences = split.confidences[listed]
    assert list(confidences) == sorted(confidences, reverse=True)
    # a diagonal cell lists the images the model gets right
    views.confusion.cell_clicked.emit(2, 2)
    assert sorted(views.mistakes.listed) == sorted(np.flatnonzero((split.labels == 2) & (predicted == 2)))


def test_the_inspector_agrees_with_an_independent_evaluation(qtbot, trained_window):
    window = trained_window
    views = window.views
    with qtbot.waitSignal(window.analysis.explained, timeout=10000):
        window.views.samples.tiles[2].clicked.emit()
    index = int(window.analysis.sample_indices[2])
    explanation = views.inspector.explanation
    assert views.inspector.current_index == index
    assert explanation.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    checkpoint = window.document.checkpoint
    independent = predict_probabilities(checkpoint.build_model(), torch.from_numpy(window.predictions.test.images[index : index + 1]),
                                        checkpoint.spec.mean, checkpoint.spec.std)[0].numpy()
    assert np.allclose(explanation.probabilities, independent, atol=1e-5)
    assert np.allclose(window.predictions.test.probabilities[index], independent, atol=1e-4)  # the epoch record says the same
    assert explanation.saliency.shape == (28, 28) and explanation.saliency.std() > 0
    # arrow keys step through the list the image came from
    with qtbot.waitSignal(window.analysis.explained, timeout=10000):
        qtbot.keyClick(views.inspector, Qt.Key.Key_Right)
    assert views.inspector.current_index == int(window.analysis.sample_indices[3])
    views.inspector.overlay_toggle.setChecked(False)
    assert not views.inspector.image_view.overlay_visible
    _wait_idle(qtbot, window)


def test_hidden_galleries_wait_until_they_are_shown(qtbot, trained_window):
    mistakes = trained_window.views.mistakes
    assert not mistakes._shown and len(mistakes.listed) == 0  # a tab behind another did no work
    trained_window.docks["mistakes"].raise_()
    split = trained_window.predictions.test
    assert len(mistakes.listed) == int((split.predictions != split.labels).sum())


def test_the_mistakes_gallery_is_lazy_with_thousands_of_images(qtbot, make_window, tmp_path):
    from tests.synthetic import write_dataset

    window = make_window(data_dir=write_dataset(tmp_path / "big", train=600, test=5000))
    train(qtbot, window, QUICK.replace(epochs=1))
    mistakes = window.views.mistakes
    mistakes.mistakes_only.setChecked(False)
    window.docks["mistakes"].raise_()
    model = mistakes.gallery.gallery_model
    qtbot.waitUntil(lambda: len(model._thumbnails) > 0, timeout=5000)  # the rows on screen were painted
    assert model.rowCount() == 5000
    assert 0 < len(model._thumbnails) < 600  # only the rows on screen were drawn
    mistakes.true_filter.setCurrentIndex(4)  # true class 3
    assert all(window.predictions.test.labels[mistakes.listed] == 3)


def test_the_browser_shows_training_images_with_predictions(qtbot, trained_window):
    browser, predictions = trained_window.views.browser, trained_window.predictions
    trained_window.docks["browser"].raise_()
    browser.split_choice.setCurrentIndex(1)
    qtbot.waitUntil(lambda: predictions.train.probabilities is not None, timeout=15000)
    assert predictions.train.probabilities.shape == (600, 10)
    browser.true_filter.setCurrentIndex(6)  # Sandal, class 5
    assert sorted(browser.listed) == list(np.flatnonzero(predictions.train.labels == 5))
    assert "The model gets" in browser.caption.text()
    with qtbot.waitSignal(trained_window.analysis.explained, timeout=10000):
        browser.gallery.row_activated.emit(0)
    assert trained_window.views.inspector.split_name == "train"
    _wait_idle(qtbot, trained_window)


def test_your_own_image_and_a_drawing_are_classified(qtbot, trained_window, dialog_stub, tmp_path):
    window, views = trained_window, trained_window.views
    photo = np.full((90, 60), 250, dtype=np.uint8)
    photo[10:80, 15:45] = 30
    dialog_stub.image_path = str(save_picture(photo, tmp_path / "coat.png"))
    with qtbot.waitSignal(window.analysis.explained, timeout=10000) as answered:
        trained_window._on_open_picture()
    assert answered.args[0] == "own_image"
    assert answered.args[1].probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    assert "Prediction:" in views.own_image.verdict.headline.text()
    canvas = views.draw.canvas
    window.docks["draw"].raise_()
    with qtbot.waitSignal(window.analysis.explained, timeout=10000) as answered:
        qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() // 3, canvas.height() // 4))
        qtbot.mouseMove(canvas, QPoint(canvas.width() // 3, 3 * canvas.height() // 4))
        qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(canvas.width() // 3, 3 * canvas.height() // 4))
    assert answered.args[0] == "draw" and answered.args[1].probabilities.shape == (10,)
    _wait_idle(qtbot, trained_window)


def test_a_non_image_file_gives_a_clear_message(qtbot, trained_window, dialog_stub, tmp_path):
    (tmp_path / "notes.png").write_text("not a picture")
    trained_window.analysis.open_picture(str(tmp_path / "notes.png"))
    _wait_idle(qtbot, trained_window)
    assert dialog_stub.errors == [("Cannot use that picture", "notes.png is not an image this app can read (PNG, JPEG, GIF or WebP).")]
    assert trained_window.views.own_image.model_input is None


def test_opening_a_checkpoint_fills_every_view_without_training(qtbot, trained_window, make_window, tmp_path):
    from fmnist_gui.checkpoint import save_checkpoint

    save_checkpoint(trained_window.document.checkpoint, tmp_path / "m.pt")
    fresh = make_window()
    assert fresh.views.confusion.matrix is None
    fresh.files.open_path(str(tmp_path / "m.pt"))
    _wait_idle(qtbot, fresh)
    assert fresh.views.confusion.matrix.sum() == 200
    assert np.array_equal(fresh.views.confusion.matrix, trained_window.views.confusion.matrix)
    fresh.docks["mistakes"].raise_()
    assert len(fresh.views.mistakes.listed) == int(200 - np.trace(fresh.predictions.confusion))


def test_dropping_an_image_classifies_it(qtbot, trained_window, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    path = save_picture(np.full((40, 40), 255, dtype=np.uint8), tmp_path / "blank.png")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    event = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(trained_window.analysis.explained, timeout=10000):
        trained_window.dropEvent(event)
    assert trained_window.views.own_image.model_input is not None
    assert trained_window.document.checkpoint is not None  # the model on screen stays
    _wait_idle(qtbot, trained_window)

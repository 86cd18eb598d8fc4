"""What bad files, a full disk and quitting mid-run do to the window: one message, nothing lost, no crash."""

from __future__ import annotations

import errno
import math

import numpy as np
import pytest
import torch
from PIL import Image
from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QImage

from fmnist_gui.checkpoint import save_checkpoint
from fmnist_gui.imaging import MAX_PIXELS, ImageError
from fmnist_gui.qt.views.widgets import qimage_to_gray
from tests.qt.helpers import QUICK, train


def _screen(window) -> tuple:
    """What the user sees of the model: the model, its file, the form, the curve, the title."""
    return (window.document.checkpoint, window.document.path, window.controls.config(),
            list(window.plots.test_accuracy.item.getData()[1]), window.windowTitle())


DAMAGE = {
    "history is a string": lambda p: p.update(history="all good"),
    "history entries lack keys": lambda p: p.update(history=[{"epoch": 1}]),
    "accuracy is a word": lambda p: p["history"][0].update(test_accuracy="high"),
    "history values are None": lambda p: p["history"][0].update(train_loss=None),
    "epoch is infinite": lambda p: p.update(epoch=math.inf),
    "class names too short": lambda p: p.update(class_names=["T-shirt"]),
    "weights are NaN": lambda p: next(iter(p["model_state"].values())).fill_(float("nan")),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_checkpoint_changes_nothing_on_screen(qtbot, make_window, dialog_stub, tmp_path, damage):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    good = save_checkpoint(window.document.checkpoint, tmp_path / "good.pt")
    assert window.files.open_path(str(good))  # the model on screen now belongs to good.pt
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    before = _screen(window)
    payload = torch.load(good, weights_only=True)
    DAMAGE[damage](payload)
    torch.save(payload, tmp_path / "damaged.pt")
    assert not window.files.open_path(str(tmp_path / "damaged.pt"))
    assert len(dialog_stub.errors) == 1 and dialog_stub.errors[0][0] == "Cannot open checkpoint"
    assert "damaged.pt" in dialog_stub.errors[0][1] and "\n" not in dialog_stub.errors[0][1]
    assert _screen(window) == before


def test_a_full_disk_during_save_as_says_so_and_keeps_the_old_file(qtbot, make_window, dialog_stub, tmp_path, monkeypatch):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "kept.pt"
    target.write_bytes(b"the previous model")

    def disk_full(*args, **kwargs):
        raise RuntimeError(f"[Errno {errno.ENOSPC}] No space left on device")

    monkeypatch.setattr(torch, "save", disk_full)
    dialog_stub.save_path = str(target)
    window.menus.actions["save_as"].trigger()
    assert [title for title, _ in dialog_stub.errors] == ["Cannot save checkpoint"]
    assert "kept.pt" in dialog_stub.errors[0][1]
    assert target.read_bytes() == b"the previous model"
    assert window.document.unsaved and window.document.path is None  # the model is still there, still unsaved
    assert sorted(p.name for p in target.parent.iterdir()) == ["kept.pt"]  # no temporary file left behind


def test_a_picture_too_large_is_one_message_and_decoded_off_the_gui_thread(qtbot, make_window, dialog_stub, tmp_path):
    window = make_window()
    path = tmp_path / "huge.png"
    Image.new("L", (8000, 8000), 255).save(path)  # 64 Mpx, a few hundred kB on disk
    window.analysis.open_picture(str(path))
    assert window.busy  # handed to the inference worker: the GUI thread did not decode it
    qtbot.waitUntil(lambda: not window.busy, timeout=20000)
    assert dialog_stub.errors == [("Cannot use that picture", "huge.png is 8000x8000 pixels, more than the 40 million this app opens.")]
    assert window.views.own_image.model_input is None


def test_a_pasted_picture_too_large_is_refused():
    side = int(math.isqrt(MAX_PIXELS)) + 1
    image = QImage(side, side, QImage.Format.Format_Grayscale8)
    with pytest.raises(ImageError, match="more than the 40 million"):
        qimage_to_gray(image)


def test_quitting_mid_run_shows_no_failure_and_ends_every_thread(qtbot, make_window, dialog_stub):
    window = make_window()
    window.controls.set_config(QUICK.replace(epochs=100, batch_size=10))
    with qtbot.waitSignal(window.session.batch_finished, timeout=10000):
        window.controls.train_button.click()
    finished = []
    window.session.run_finished.connect(finished.append)
    window.close()  # the stub answers the "stop and quit?" question with yes
    QCoreApplication.processEvents()  # anything the run's end had queued would be delivered now
    assert dialog_stub.errors == [] and finished == []
    assert window.work.running_threads() == []
    assert np.isfinite(window.session.checkpoint().step)


@pytest.mark.parametrize("stored", ["[1, 2]", "1e999", '{"seed": 1099511627776}'])
def test_bad_stored_hyperparameters_never_stop_the_window_from_starting(make_window, settings, stored):
    settings._settings.setValue("train/config", stored)
    window = make_window()
    assert window.controls.config().seed == 0  # the stored value was dropped, the form has the default
    assert settings._settings.value("train/config") is None


def test_continuing_past_the_epoch_limit_is_explained_next_to_the_form(qtbot, make_window):
    window = make_window()
    train(qtbot, window, QUICK.replace(epochs=1))
    window.controls.epochs.setValue(10_000)
    window.controls.continue_button.click()
    assert not window.session.active and "Epochs must" in window.controls.error.text()

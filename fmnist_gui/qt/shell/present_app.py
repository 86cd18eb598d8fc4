"""`fmnist-gui present`: the presenter as an app of its own, without the training window; Esc quits."""

from __future__ import annotations

from pathlib import Path

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.data import CLASS_NAMES, load_fashion_mnist
from fmnist_gui.errors import UserFacingError
from fmnist_gui.qt.background.camera import open_camera
from fmnist_gui.qt.background.inference import InferenceWorker
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.qt.controllers.presenter import PresenterController, LabelledImages
from fmnist_gui.qt.shell.app import create_app
from fmnist_gui.safe_text import printable, say


def run_presenter(checkpoints: list[Checkpoint], paths: list[str], data_dir: str | None, theme: str = "dark") -> int:
    """Present `checkpoints` (already checked) until Esc; the test images when the data set is found."""
    import sys

    app = create_app()
    try:
        data = load_fashion_mnist(data_dir)
        test: LabelledImages | None = LabelledImages(data.test_images.numpy(), data.test_labels.numpy())
    except UserFacingError as exc:
        say(f"fmnist-gui: note: {exc} The presenter opens without test images.", sys.stderr)
        test = None
    work = BackgroundWork()
    app.aboutToQuit.connect(work.shutdown)
    presenter = PresenterController(models=checkpoints, names=[_name(path, c) for path, c in zip(paths, checkpoints)],
                                    inference=InferenceWorker(work), test=test, class_names=CLASS_NAMES,
                                    camera=open_camera(work), last_folder=lambda: str(Path(paths[0]).parent))
    presenter.view.set_theme(theme)
    presenter.left.connect(app.quit)
    presenter.present(app.primaryScreen())
    code = app.exec()
    work.shutdown()
    return code


def _name(path: str, checkpoint: Checkpoint) -> str:
    """The model as the room reads it: its file's name and architecture."""
    return f"{printable(Path(path).name)} ({checkpoint.config.model})"

"""The window is built and shown before torch has loaded; torch loads on the background layer, and Train, Open
and Find wait for it (saying so) while the rest works at once."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from PySide6.QtCore import QSettings

from fmnist_gui.devices import cpu_device
from fmnist_gui.qt.controllers.runtime import RuntimeFacts
from fmnist_gui.qt.state.settings import Settings
from tests.qt.helpers import QUICK

# Run in a fresh process: this one imported torch long ago. Records the thread that first imports torch, and
# whether the window had been painted by then.
FRESH_WINDOW = textwrap.dedent("""
    import json, sys, threading
    first = {}

    class Watch:
        def find_spec(self, name, path=None, target=None):
            if name == "torch" and not first:
                first["thread"] = threading.current_thread().name
                first["painted"] = bool(painted)
            return None

    painted = []
    sys.meta_path.insert(0, Watch())
    from PySide6.QtCore import QObject, QEvent, QTimer
    from fmnist_gui.qt.shell.app import create_app
    from fmnist_gui.qt.shell.main_window import MainWindow

    class Painted(QObject):
        def eventFilter(self, watched, event):
            if event.type() == QEvent.Type.Paint:
                painted.append(True)
            return False

    app = create_app()
    imported_with_window = "torch" in sys.modules
    window = MainWindow(data_dir=sys.argv[1])
    built_with_torch = "torch" in sys.modules
    watcher = Painted()
    window.installEventFilter(watcher)
    window.show()
    window.runtime.loaded.connect(app.quit)
    window.runtime.failed.connect(app.quit)
    QTimer.singleShot(60000, app.quit)
    app.exec()
    print(json.dumps({"imported_with_window": imported_with_window, "built_with_torch": built_with_torch,
                      "first": first, "loaded": window.runtime.is_loaded,
                      "models": [window.controls.model.itemText(i) for i in range(window.controls.model.count())]}))
    window.shutdown()
""")


def test_the_window_is_shown_before_torch_loads_and_torch_loads_off_the_gui_thread(tmp_path, synthetic_dir):
    env = {**__import__("os").environ, "XDG_CONFIG_HOME": str(tmp_path), "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", FRESH_WINDOW, str(synthetic_dir)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    facts = json.loads(done.stdout.strip().splitlines()[-1])
    assert not facts["imported_with_window"] and not facts["built_with_torch"]
    assert facts["first"]["thread"] != "MainThread"
    assert facts["first"]["painted"], "torch began to load before the window's first frame"
    assert facts["loaded"]
    assert all("params" in text for text in facts["models"])  # the sizes came with torch


def not_loaded_yet(window) -> None:
    """As the window is before the background layer has loaded torch."""
    window.runtime.is_loaded = False


def test_train_clicked_before_torch_has_loaded_waits_says_so_and_then_trains(qtbot, make_window):
    window = make_window()
    not_loaded_yet(window)
    window.controls.set_config(QUICK)
    window.controls.train_button.click()
    window.controls.train_button.click()  # a second click does not start a second run
    assert not window.session.active
    assert any("Training starts once PyTorch has loaded" in line for line in window.log.lines())
    with qtbot.waitSignal(window.session.run_finished, timeout=60000):
        window.runtime_loader._on_loaded(RuntimeFacts([cpu_device()], {"quickstart-mlp": 669_706}))
        assert window.session.active
    assert "quickstart-mlp · 0.67 M params" in [window.controls.model.itemText(i) for i in range(window.controls.model.count())]


def test_open_before_torch_has_loaded_opens_the_file_once_it_has(qtbot, make_window, tmp_path):
    window = make_window()
    from tests.qt.helpers import train

    train(qtbot, window)
    path = tmp_path / "saved.pt"
    window.files.save_to(str(path))
    other = make_window(window_settings=Settings(QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)))
    not_loaded_yet(other)
    assert other.files.open_path(str(path)) is False
    assert other.document.checkpoint is None
    assert any("saved.pt opens once PyTorch has loaded" in line for line in other.log.lines())
    other.runtime.set_loaded()
    assert other.document.path == str(path)


def test_a_torch_that_fails_to_load_is_said_and_train_says_why_it_cannot_start(qtbot, make_window, dialog_stub):
    window = make_window()
    not_loaded_yet(window)
    window.runtime_loader._on_failed("No module named 'torch'.", "")
    window.controls.set_config(QUICK)
    window.controls.train_button.click()
    assert not window.session.active
    titles = [title for title, _ in dialog_stub.errors]
    assert titles == ["PyTorch could not be loaded", "PyTorch could not be loaded"]
    assert "Training" in dialog_stub.errors[1][1]
    assert "No module named 'torch'" in dialog_stub.errors[1][1]

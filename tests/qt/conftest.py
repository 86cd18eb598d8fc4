from __future__ import annotations

import weakref
from dataclasses import dataclass, field

import pytest
from PySide6.QtCore import QSettings

from fmnist_gui.qt.common import dialogs
from fmnist_gui.qt.background import tasks
from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread
from fmnist_gui.qt.state.settings import Settings


@pytest.fixture(scope="session", autouse=True)
def garbage_collected_in_the_gui_thread(qapp):
    """As the app does (qt/app.create_app): a collection in a worker thread can deadlock with Qt."""
    collect_garbage_in_gui_thread(qapp)


class _TrackedLane(tasks.Lane):
    instances: weakref.WeakSet = weakref.WeakSet()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _TrackedLane.instances.add(self)


@pytest.fixture(autouse=True)
def no_dangling_threads(monkeypatch):
    """Fail a test that leaves one of the app's threads running (every thread is a lane)."""
    monkeypatch.setattr(tasks, "Lane", _TrackedLane)
    yield
    running = []
    for thread in list(_TrackedLane.instances):
        try:
            if thread.isRunning():
                running.append(thread)
        except RuntimeError:  # the C++ object is gone: it was shut down and deleted
            pass
    for thread in running:
        thread.quit()
        thread.wait(5000)
    assert not running, f"{len(running)} thread(s) left running"


@dataclass
class DialogStub:
    """Stands in for every dialog: records errors, answers questions and file choices."""

    errors: list[tuple[str, str]] = field(default_factory=list)
    confirm_answer: bool = True
    unsaved_answer: str | None = None  # "save", "discard" or "cancel"; None follows confirm_answer
    confirms: list[str] = field(default_factory=list)
    open_path: str | None = None
    save_path: str | None = None
    folder: str | None = None
    image_path: str | None = None
    abouts: list[str] = field(default_factory=list)
    shortcut_rows: list[tuple[str, str, str]] = field(default_factory=list)
    getting_started: int = 0
    text: str | None = None  # what a text prompt answers
    export_path: str | None = None
    follow_folder: str | None = None
    stop_or_leave_answer: str = "stop"  # or "leave", "cancel"
    sweep_request: object = None  # what New sweep… answers: a SweepRequest, or a function of (config, data_dir) giving one
    sweep_chosen: tuple[str, str | None] | None = None  # what Open sweep… answers


@pytest.fixture(autouse=True)
def dialog_stub(monkeypatch) -> DialogStub:
    stub = DialogStub()
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message, details="": stub.errors.append((title, message)))

    def confirm(parent, title, question, action="OK"):
        stub.confirms.append(question)
        return stub.confirm_answer

    def save_discard_cancel(parent, title, question):
        stub.confirms.append(question)
        return stub.unsaved_answer or ("discard" if stub.confirm_answer else "cancel")

    monkeypatch.setattr(dialogs, "confirm", confirm)
    monkeypatch.setattr(dialogs, "save_discard_cancel", save_discard_cancel)
    monkeypatch.setattr(dialogs, "open_checkpoint_path", lambda parent, folder: stub.open_path)
    monkeypatch.setattr(dialogs, "save_checkpoint_path", lambda parent, suggested: stub.save_path)
    monkeypatch.setattr(dialogs, "data_folder", lambda parent, folder: stub.folder)
    monkeypatch.setattr(dialogs, "open_image_path", lambda parent, folder: stub.image_path)
    monkeypatch.setattr(dialogs, "about", lambda parent, text: stub.abouts.append(text))
    monkeypatch.setattr(dialogs, "shortcuts", lambda parent, rows: stub.shortcut_rows.extend(rows))

    def getting_started(parent):
        stub.getting_started += 1

    monkeypatch.setattr(dialogs, "getting_started", getting_started)
    monkeypatch.setattr(dialogs, "text_input", lambda parent, title, label, text="": stub.text)
    monkeypatch.setattr(dialogs, "save_path", lambda parent, title, suggested, file_filter: stub.export_path)
    monkeypatch.setattr(dialogs, "run_folder", lambda parent, folder: stub.follow_folder)

    def stop_or_leave(parent, title, question):
        stub.confirms.append(question)
        return stub.stop_or_leave_answer

    monkeypatch.setattr(dialogs, "stop_or_leave", stop_or_leave)
    monkeypatch.setattr(dialogs, "new_sweep", lambda parent, config, data_dir: stub.sweep_request(config, data_dir)
                        if callable(stub.sweep_request) else stub.sweep_request)
    monkeypatch.setattr(dialogs, "open_sweep", lambda parent, names, folder: stub.sweep_chosen)
    return stub


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    """The runs folder of the windows a test makes (FMNIST_RUNS), empty at first."""
    folder = tmp_path / "runs"
    monkeypatch.setenv("FMNIST_RUNS", str(folder))
    return folder


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def make_window(qtbot, settings, synthetic_dir):
    """Builds main windows on the synthetic data, waits for the data, and shuts them down after."""
    from fmnist_gui.qt.shell.main_window import MainWindow

    windows = []

    def make(data_dir=synthetic_dir, wait_for_data=True, window_settings=None):
        window = MainWindow(settings=window_settings or settings, data_dir=str(data_dir))
        qtbot.addWidget(window)
        windows.append(window)
        window.show()
        if wait_for_data:
            qtbot.waitUntil(lambda: window.data_source.data is not None and not window.busy, timeout=10000)
        return window

    yield make
    for window in windows:
        window.shutdown()

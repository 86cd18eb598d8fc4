"""The training session: the order in which observers hear of a run, as the window relies on it."""

from __future__ import annotations

import threading

from fmnist_gui.qt.background.session import TrainingSession
from fmnist_gui.qt.background.tasks import BackgroundWork
from fmnist_gui.runs import RunRecorder


class SlowToCreateItsFolder(RunRecorder):
    """Takes its time in on_fit_start: if the window could hear of the run before the recorder
    made its folder, it would hear meanwhile (and set `heard_early`)."""

    def __init__(self, *args, heard: threading.Event, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.heard = heard
        self.heard_early = False

    def on_fit_start(self, run) -> None:
        self.heard_early = self.heard.wait(0.5)
        super().on_fit_start(run)


def test_the_window_hears_a_run_started_only_once_its_folder_exists(qtbot, synthetic_data, fast_config, tmp_path):
    work = BackgroundWork()
    session = TrainingSession(work)
    heard = threading.Event()
    recorder = SlowToCreateItsFolder(tmp_path, heard=heard)
    folders_when_told = []

    def on_run_started(run) -> None:
        heard.set()
        folders_when_told.append(recorder.folder)

    session.run_started.connect(on_run_started)
    try:
        with qtbot.waitSignal(session.run_finished, timeout=60000):
            session.start(fast_config.replace(epochs=1), synthetic_data, recorder=recorder)
    finally:
        work.shutdown()
    (folder,) = folders_when_told
    assert not recorder.heard_early and folder is not None and (folder / "run.json").is_file()

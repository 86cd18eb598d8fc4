"""The background-work layer: newest request wins, stale answers are dropped, errors arrive, one shutdown."""

from __future__ import annotations

import threading

import pytest

from fmnist_gui.errors import UserFacingError
from fmnist_gui.qt.background.tasks import BackgroundWork


@pytest.fixture
def work():
    work = BackgroundWork()
    yield work
    work.shutdown()


def _blocker(gate: threading.Event, started: threading.Event):
    def block() -> str:
        started.set()
        assert gate.wait(10)
        return "blocker"

    return block


def test_waiting_requests_of_a_key_are_replaced_by_the_newest(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    answers: list[str] = []
    lane.submit("slow", _blocker(gate, started), answers.append, lambda m, d: answers.append(m))
    assert started.wait(10)
    for n in range(50):
        lane.submit("draw", lambda n=n: f"drawing {n}", answers.append, lambda m, d: answers.append(m))
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == ["blocker", "drawing 49"]  # a queue of every request would answer 51 times


def test_an_answer_overtaken_by_a_newer_request_is_dropped(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    answers: list[str] = []
    lane.submit("model", _blocker(gate, started), answers.append, lambda m, d: answers.append(m))
    assert started.wait(10)
    lane.submit("model", lambda: "newer", answers.append, lambda m, d: answers.append(m))
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == ["newer"]


def test_a_cancelled_request_is_never_answered(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    answers: list[str] = []
    lane.submit("a", _blocker(gate, started), answers.append, lambda m, d: answers.append(m))
    assert started.wait(10)
    lane.submit("b", lambda: "b", answers.append, lambda m, d: answers.append(m))
    lane.cancel("a")
    lane.cancel("b")
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == []


def test_errors_reach_the_gui_thread_as_messages(qtbot, work):
    lane = work.lane("test")
    failures: list[tuple[str, str, bool]] = []
    gui_thread = threading.current_thread()

    def failed(message: str, details: str) -> None:
        failures.append((message, details, threading.current_thread() is gui_thread))

    def broken() -> None:
        raise ValueError("bad value")

    def refused() -> None:
        raise UserFacingError("The file is not a checkpoint.")

    lane.submit("one", broken, lambda r: None, failed)
    lane.submit("two", refused, lambda r: None, failed)
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=10000)
    (message, details, in_gui), (plain, no_details, in_gui_too) = failures
    assert message == "ValueError: bad value" and "Traceback" in details and in_gui
    assert plain == "The file is not a checkpoint." and no_details == "" and in_gui_too


def test_shutdown_stops_long_jobs_first_then_ends_every_thread(qtbot):
    work = BackgroundWork()
    stop = threading.Event()
    work.on_shutdown(stop.set)
    answers: list[str] = []
    started = threading.Event()

    def long_job() -> str:
        started.set()
        assert stop.wait(10)
        return "stopped"

    work.lane("training").submit("run", long_job, answers.append, lambda m, d: None)
    work.lane("inference").submit("x", lambda: "x", answers.append, lambda m, d: None)
    assert started.wait(10)
    work.shutdown()
    assert work.running_threads() == []
    work.lane("inference").submit("late", lambda: "late", answers.append, lambda m, d: None)
    assert not work.lane("inference").isRunning() and "late" not in answers

"""The background-work layer: newest request wins, stale answers are dropped, one job handle, one shutdown."""

from __future__ import annotations

import threading

import pytest

from fmnist_gui.errors import UserFacingError
from fmnist_gui.qt.background import tasks
from fmnist_gui.qt.background.tasks import BackgroundWork


@pytest.fixture
def work():
    work = BackgroundWork()
    yield work
    work.shutdown()


def _blocker(gate: threading.Event, started: threading.Event):
    def block(job) -> str:
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
        lane.submit("draw", lambda job, n=n: f"drawing {n}", answers.append, lambda m, d: answers.append(m))
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == ["blocker", "drawing 49"]  # a queue of every request would answer 51 times


def test_an_answer_overtaken_by_a_newer_request_is_dropped_and_its_job_told(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    answers: list[str] = []
    older = lane.submit("model", _blocker(gate, started), answers.append, lambda m, d: answers.append(m))
    assert started.wait(10)
    assert not older.cancelled
    lane.submit("model", lambda job: "newer", answers.append, lambda m, d: answers.append(m))
    assert older.cancelled  # the running job can see that its answer is no longer wanted
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == ["newer"]


def test_a_cancelled_request_is_never_answered(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    answers: list[str] = []
    running = lane.submit("a", _blocker(gate, started), answers.append, lambda m, d: answers.append(m))
    assert started.wait(10)
    waiting = lane.submit("b", lambda job: "b", answers.append, lambda m, d: answers.append(m))
    lane.cancel("a")
    lane.cancel("b")
    assert running.cancelled and waiting.cancelled
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert answers == []


def test_errors_reach_the_gui_thread_as_messages(qtbot, work):
    lane = work.lane("test")
    failures: list[tuple[str, str, bool]] = []
    gui_thread = threading.current_thread()

    def failed(message: str, details: str) -> None:
        failures.append((message, details, threading.current_thread() is gui_thread))

    def broken(job) -> None:
        raise ValueError("bad value")

    def refused(job) -> None:
        raise UserFacingError("The file is not a checkpoint.")

    lane.submit("one", broken, lambda r: None, failed)
    lane.submit("two", refused, lambda r: None, failed)
    qtbot.waitUntil(lambda: len(failures) == 2, timeout=10000)
    (message, details, in_gui), (plain, no_details, in_gui_too) = failures
    assert message == "ValueError: bad value" and "Traceback" in details and in_gui
    assert plain == "The file is not a checkpoint." and no_details == "" and in_gui_too


def test_reports_are_merged_to_the_newest_and_arrive_in_the_gui_thread_before_the_answer(qtbot, work, monkeypatch):
    monkeypatch.setattr(tasks, "REPORT_INTERVAL", 3600.0)  # every report after the first falls within one interval
    lane = work.lane("test")
    gui_thread = threading.current_thread()
    heard: list[tuple[object, bool]] = []

    def count(job) -> str:
        for n in range(1000):
            job.report(n)
        return "done"

    lane.submit("count", count, lambda result: heard.append((result, True)), lambda m, d: heard.append((m, False)),
                lambda value: heard.append((value, threading.current_thread() is gui_thread)))
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert heard == [(0, True), (999, True), ("done", True)]  # the first, the newest, then the answer


def test_sent_events_all_arrive_in_order_and_a_cancelled_job_sends_no_more(qtbot, work):
    lane = work.lane("test")
    gate, sent_before = threading.Event(), threading.Event()
    heard: list[int] = []

    def events(job) -> None:
        for n in range(100):
            job.send(n)
        sent_before.set()
        assert gate.wait(10)
        job.send(100)  # after the cancel: dropped

    lane.submit("events", events, lambda result: heard.append(-1), lambda m, d: heard.append(-2), heard.append)
    assert sent_before.wait(10)
    qtbot.waitUntil(lambda: len(heard) == 100, timeout=10000)
    lane.cancel("events")
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert heard == list(range(100))


def test_shutdown_cancels_long_jobs_first_so_they_wake_then_ends_every_thread(qtbot):
    work = BackgroundWork()
    stop = threading.Event()
    answers: list[str] = []
    started = threading.Event()

    def long_job(job) -> str:
        job.on_cancel(stop.set)  # as a paused training run does: it waits, it does not poll
        started.set()
        stop.wait(30)
        return "stopped"

    work.lane("training").submit("run", long_job, answers.append, lambda m, d: None)
    work.lane("inference").submit("x", lambda job: "x", answers.append, lambda m, d: None)
    assert started.wait(10)
    work.shutdown()
    assert stop.is_set(), "shutdown did not ask the long job to stop"
    assert work.running_threads() == []
    assert "stopped" not in answers  # quitting: the run's end is nobody's news
    late = work.lane("inference").submit("late", lambda job: "late", answers.append, lambda m, d: None)
    assert late.cancelled and not work.lane("inference").isRunning() and "late" not in answers


def test_a_cancel_hook_added_after_the_cancel_runs_at_once(qtbot, work):
    lane = work.lane("test")
    gate, started = threading.Event(), threading.Event()
    job = lane.submit("a", _blocker(gate, started), lambda r: None, lambda m, d: None)
    assert started.wait(10)
    lane.cancel("a")
    stopped = []
    job.on_cancel(lambda: stopped.append(True))
    gate.set()
    qtbot.waitUntil(lambda: not lane.busy, timeout=10000)
    assert stopped == [True]

"""The one background-work layer: every thread the app runs, one registry, one shutdown.

Work goes to a *lane*: a long-lived thread that serves a queue. A request carries a key; a newer
request with the same key replaces one still waiting (newest wins), and the answer of a request
that a newer one of its key has overtaken is dropped here, so views need no stale-answer
counters. Each job is handed a `Job`: `job.cancelled` says whether its answer is still wanted
(the lane's own per-key request numbers decide), `job.on_cancel(stop)` wakes a job that waits,
and `job.report(value)` / `job.send(value)` carry progress and events to the GUI thread while the
request is current. Answers, progress and errors are delivered in the GUI thread; no exception
dies in a thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fmnist_gui.errors import UserFacingError

log = logging.getLogger(__name__)

T = TypeVar("T")
Done = Callable[[Any], None]
Failed = Callable[[str, str], None]  # message for people, details (a traceback, or "")
Progress = Callable[[Any], None]
REPORT_INTERVAL = 0.05  # seconds: progress reaches the GUI thread at most about 20 times a second
_NOTHING = object()


class Job(Generic[T]):
    """One request on a lane, as the work sees it: is it still wanted, and a channel for its progress.

    Created by the lane in the GUI thread; `cancelled`, `report` and `send` are for the job's
    own thread, `on_cancel` for whoever starts the work.
    """

    def __init__(self, lane: Lane, key: str, number: int, function: Callable[[Job[T]], T], on_done: Done,
                 on_failed: Failed, on_progress: Progress | None) -> None:
        self.key, self.number = key, number
        self._lane, self._function = lane, function
        self.on_done, self.on_failed, self.on_progress = on_done, on_failed, on_progress
        self._lock = threading.Lock()
        self._cancel_hooks: list[Callable[[], None]] = []
        self._cancelled = False
        self._pending: Any = _NOTHING  # the newest report not yet sent
        self._last_report = -float("inf")

    @property
    def cancelled(self) -> bool:
        """True once a newer request of the key, `cancel(key)` or shutdown made this job's answer unwanted."""
        return self._cancelled

    def on_cancel(self, stop: Callable[[], None]) -> None:
        """Call `stop` (in the GUI thread) when the job is cancelled, to wake work that waits rather than polls;
        at once when it already is."""
        with self._lock:
            if not self._cancelled:
                self._cancel_hooks.append(stop)
                return
        stop()

    def report(self, value: Any) -> None:
        """Progress: only the newest value counts, so reports closer together than the interval are merged."""
        if self.on_progress is None or self._cancelled:
            return
        now = time.monotonic()
        if now - self._last_report >= REPORT_INTERVAL:
            self._last_report = now
            self._pending = _NOTHING
            self._lane.progressed.emit(self, value)
        else:
            self._pending = value

    def send(self, value: Any) -> None:
        """An event every one of which counts (an epoch's end): delivered in order, never merged."""
        if self.on_progress is None or self._cancelled:
            return
        self.flush()
        self._lane.progressed.emit(self, value)

    def flush(self) -> None:
        """Send a merged report still waiting, before what follows it."""
        value, self._pending = self._pending, _NOTHING
        if value is not _NOTHING:
            self._last_report = time.monotonic()
            self._lane.progressed.emit(self, value)

    def _cancel(self) -> None:
        with self._lock:
            if self._cancelled:
                return
            self._cancelled = True
            hooks, self._cancel_hooks = self._cancel_hooks, []
        for stop in hooks:
            stop()

    def _run(self) -> T:
        return self._function(self)


class Lane(QThread):
    """One worker thread and its queue of keyed jobs, served in the order their keys arrived."""

    job_ended = Signal(Job, bool, object, str)  # the job, succeeded, result or message, details
    progressed = Signal(Job, object)  # the job, a value it reported or sent

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._condition = threading.Condition()
        self._waiting: dict[str, Job[Any]] = {}  # insertion order is service order
        self._running: Job[Any] | None = None
        self._latest: dict[str, int] = {}  # each key's newest request number
        self._closing = False
        self._in_flight = 0  # jobs submitted whose answer the GUI thread has not handled yet
        self.job_ended.connect(self._on_job_ended)
        self.progressed.connect(self._on_progressed)

    @property
    def busy(self) -> bool:
        """Whether any job waits, runs, or has an answer not yet delivered."""
        return self._in_flight > 0 and not self._closing

    def submit(self, key: str, function: Callable[[Job[T]], T], on_done: Callable[[T], None], on_failed: Failed,
               on_progress: Progress | None = None) -> Job[T]:
        """Queue `function(job)`; a job of the same key still waiting is dropped and a running one cancelled
        (newest wins). Returns the job's handle."""
        with self._condition:
            number = self._latest.get(key, 0) + 1
            job: Job[T] = Job(self, key, number, function, on_done, on_failed, on_progress)
            if self._closing:
                job._cancel()
                return job
            self._latest[key] = number
            overtaken = self._waiting.pop(key, None)
            if overtaken is not None:
                self._in_flight -= 1
            self._waiting[key] = job
            self._in_flight += 1
            running = self._running if self._running is not None and self._running.key == key else None
            self._condition.notify()
        for old in (overtaken, running):
            if old is not None:
                old._cancel()
        if not self.isRunning():
            self.start()
        return job

    def cancel(self, key: str) -> None:
        """Forget a waiting job of `key`, cancel a running one and drop its answer."""
        with self._condition:
            self._latest[key] = self._latest.get(key, 0) + 1
            waiting = self._waiting.pop(key, None)
            if waiting is not None:
                self._in_flight -= 1
            running = self._running if self._running is not None and self._running.key == key else None
        for job in (waiting, running):
            if job is not None:
                job._cancel()

    def cancel_all(self) -> None:
        """Cancel the running job and every waiting one (shutdown's first step: long jobs wake and end)."""
        with self._condition:
            jobs = [*self._waiting.values(), *([self._running] if self._running is not None else [])]
            for job in jobs:
                self._latest[job.key] = self._latest.get(job.key, 0) + 1
        for job in jobs:
            job._cancel()

    def close(self) -> None:
        """Cancel every job, drop the waiting ones, let the running one end, and end the thread."""
        self.cancel_all()
        with self._condition:
            self._closing = True
            self._in_flight -= len(self._waiting)
            self._waiting.clear()
            self._condition.notify()
        if self.isRunning():
            self.wait()

    def run(self) -> None:
        while True:
            with self._condition:
                while not self._waiting and not self._closing:
                    self._condition.wait()
                if self._closing:
                    return
                key = next(iter(self._waiting))
                job = self._running = self._waiting.pop(key)
            try:
                result = job._run()
            except UserFacingError as exc:
                self._end(job, False, str(exc), "")
            except Exception as exc:  # noqa: BLE001 - no exception may die in a thread
                log.exception("Background job %s failed", job.key)
                self._end(job, False, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            else:
                self._end(job, True, result, "")

    def _end(self, job: Job[Any], succeeded: bool, value: Any, details: str) -> None:
        job.flush()  # its last progress arrives before its answer
        with self._condition:
            self._running = None
        self.job_ended.emit(job, succeeded, value, details)

    def _current(self, job: Job[Any]) -> bool:
        return not self._closing and not job.cancelled and self._latest.get(job.key) == job.number

    @Slot(object, object)
    def _on_progressed(self, job: Job[Any], value: Any) -> None:
        if job.on_progress is not None and self._current(job):
            job.on_progress(value)

    @Slot(object, bool, object, str)
    def _on_job_ended(self, job: Job[Any], succeeded: bool, value: Any, details: str) -> None:
        self._in_flight -= 1
        if not self._current(job):
            return  # overtaken by a newer request of the same key, cancelled, or quitting
        if succeeded:
            job.on_done(value)
        else:
            job.on_failed(str(value), details)


class BackgroundWork(QObject):
    """Owns every lane of the app; `shutdown()` (wired to aboutToQuit) ends them all."""

    shut_down = Signal()  # every thread has ended

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._lanes: dict[str, Lane] = {}
        self._shut_down = False

    def lane(self, name: str) -> Lane:
        """The lane called `name`, created on first use; its thread starts with its first job."""
        if name not in self._lanes:
            self._lanes[name] = Lane(name, self)
        return self._lanes[name]

    @property
    def busy(self) -> bool:
        return any(lane.busy for lane in self._lanes.values())

    def running_threads(self) -> list[QThread]:
        return [lane for lane in self._lanes.values() if lane.isRunning()]

    def shutdown(self) -> None:
        """Cancel every job on every lane first (long jobs wake and end), then end each lane and wait
        for its thread; idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        for lane in self._lanes.values():
            lane.cancel_all()
        for lane in self._lanes.values():
            lane.close()
        self.shut_down.emit()

"""The one background-work layer: every thread the app runs, one registry, one shutdown.

Work goes to a *lane*: a long-lived thread that serves a queue. A request carries a key; a newer
request with the same key replaces one still waiting (newest wins), and the answer of a request
that a newer one of its key has overtaken is dropped here, so views need no stale-answer
counters. Answers and errors are delivered in the GUI thread; no exception dies in a thread.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from fmnist_gui.errors import UserFacingError

log = logging.getLogger(__name__)

Done = Callable[[Any], None]
Failed = Callable[[str, str], None]  # message for people, details (a traceback, or "")


@dataclass
class _Job:
    key: str
    number: int  # the how-manieth request of its key: a later one makes this one stale
    function: Callable[[], Any]
    on_done: Done
    on_failed: Failed


class Lane(QThread):
    """One worker thread and its queue of keyed jobs, served in the order their keys arrived."""

    job_ended = Signal(object, bool, object, str)  # _Job, succeeded, result or message, details

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self._condition = threading.Condition()
        self._waiting: dict[str, _Job] = {}  # insertion order is service order
        self._latest: dict[str, int] = {}
        self._closing = False
        self._in_flight = 0  # jobs submitted whose answer the GUI thread has not handled yet
        self.job_ended.connect(self._on_job_ended)

    @property
    def busy(self) -> bool:
        """Whether any job waits, runs, or has an answer not yet delivered."""
        return self._in_flight > 0 and not self._closing

    def submit(self, key: str, function: Callable[[], Any], on_done: Done, on_failed: Failed) -> None:
        """Queue `function`; a job of the same key still waiting is dropped (newest wins)."""
        with self._condition:
            if self._closing:
                return
            number = self._latest.get(key, 0) + 1
            self._latest[key] = number
            if key in self._waiting:
                self._in_flight -= 1
            self._waiting.pop(key, None)
            self._waiting[key] = _Job(key, number, function, on_done, on_failed)
            self._in_flight += 1
            self._condition.notify()
        if not self.isRunning():
            self.start()

    def cancel(self, key: str) -> None:
        """Forget a waiting job of `key`, and drop the answer of a running one."""
        with self._condition:
            self._latest[key] = self._latest.get(key, 0) + 1
            if self._waiting.pop(key, None) is not None:
                self._in_flight -= 1

    def close(self) -> None:
        """Drop waiting jobs, let the running one finish, and end the thread."""
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
                job = self._waiting.pop(key)
            try:
                result = job.function()
            except UserFacingError as exc:
                self.job_ended.emit(job, False, str(exc), "")
            except Exception as exc:  # noqa: BLE001 - no exception may die in a thread
                log.exception("Background job %s failed", job.key)
                self.job_ended.emit(job, False, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            else:
                self.job_ended.emit(job, True, result, "")

    @Slot(object, bool, object, str)
    def _on_job_ended(self, job: _Job, succeeded: bool, value: Any, details: str) -> None:
        self._in_flight -= 1
        if self._closing or self._latest.get(job.key) != job.number:
            return  # overtaken by a newer request of the same key, or quitting
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
        self._stoppers: list[Callable[[], None]] = []
        self._shut_down = False

    def lane(self, name: str) -> Lane:
        """The lane called `name`, created on first use; its thread starts with its first job."""
        if name not in self._lanes:
            self._lanes[name] = Lane(name, self)
        return self._lanes[name]

    def on_shutdown(self, stop: Callable[[], None]) -> None:
        """Call `stop` first at shutdown, so long jobs (a training run) end before the wait."""
        self._stoppers.append(stop)

    @property
    def busy(self) -> bool:
        return any(lane.busy for lane in self._lanes.values())

    def running_threads(self) -> list[QThread]:
        return [lane for lane in self._lanes.values() if lane.isRunning()]

    def shutdown(self) -> None:
        """Ask every long job to stop, then end every lane and wait for its thread; idempotent."""
        if self._shut_down:
            return
        self._shut_down = True
        for stop in self._stoppers:
            stop()
        for lane in self._lanes.values():
            lane.close()
        self.shut_down.emit()

"""Ctrl+C, SIGTERM and SIGHUP for a headless run: stop at the next batch, save, then exit 128+N."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType, TracebackType
from typing import TextIO

from fmnist_gui.safe_text import say

# What signal.signal returns and takes back: a function, SIG_DFL or SIG_IGN, or None (a handler set outside Python).
Handler = Callable[[int, FrameType | None], object] | int | signal.Handlers | None

STOP_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


class Interrupted(KeyboardInterrupt):
    """A second stop signal before the save: quit at once, writing nothing."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class StopOnSignals:
    """While entered, the first stop signal calls `stop`; a second quits, unless a save is under way.

    During `saving()` every signal only waits for the file to be written: a save cut in half
    would cost the user the run. Handlers can be set only in the main thread; elsewhere this
    does nothing and the caller's own handling stays.
    """

    def __init__(self, stop: Callable[[], None], err: TextIO) -> None:
        self._stop = stop
        self._err = err
        self._saving = False
        self._previous: dict[int, Handler] = {}
        self.received: int | None = None  # the first stop signal, which sets the exit code

    @property
    def exit_code(self) -> int | None:
        """128+N for the first signal received, as a shell reports a process ended by it."""
        return None if self.received is None else 128 + self.received

    def __enter__(self) -> StopOnSignals:
        if threading.current_thread() is threading.main_thread():
            for signum in STOP_SIGNALS:
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        for signum, previous in self._previous.items():
            if previous is not None:  # None: a handler set outside Python, which cannot be put back from here
                signal.signal(signum, previous)
        self._previous.clear()

    @contextlib.contextmanager
    def saving(self) -> Iterator[None]:
        """Within this block a signal never interrupts: the save finishes first."""
        self._saving = True
        try:
            yield
        finally:
            self._saving = False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        first = self.received is None
        if first:
            self.received = signum
        if self._saving:
            say("Saving; the run ends as soon as the file is written.", self._err)
        elif first:
            say("\nStopping at the next batch; what was trained will be saved (press Ctrl+C again to quit without saving).", self._err)
            self._stop()
        else:
            raise Interrupted(signum)

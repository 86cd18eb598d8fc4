"""SIGTERM, SIGHUP and Ctrl+C for the window: a desktop logout ends a run as the command line does.

The first signal stops the run at its next batch and waits for it to end (the recorder writes
last.pt and the run's status), keeps a model no file holds in the unsaved folder, then quits
with 128+N. A second signal quits at once. Python runs signal handlers only between bytecodes,
and the event loop waits in C++: the signal number reaches the event loop through a socket
(`signal.set_wakeup_fd`) that a QSocketNotifier watches.
"""

from __future__ import annotations

import signal
import socket
import sys
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QSocketNotifier, Signal, SignalInstance

from fmnist_gui.safe_text import say

QUIT_SIGNALS: tuple[signal.Signals, ...] = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGINT") if hasattr(signal, name)
)


class SignalWatcher(QObject):
    """Turns the process's quit signals into a Qt signal in the GUI thread."""

    received = Signal(int)  # the signal's number

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._on_wakeup)

    def install(self) -> bool:
        """Route the quit signals here; False outside the main thread, where handlers cannot be set."""
        if threading.current_thread() is not threading.main_thread():
            return False
        signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        for signum in QUIT_SIGNALS:
            signal.signal(signum, lambda number, frame: None)  # the wakeup socket carries the number
        return True

    def _on_wakeup(self) -> None:
        try:
            numbers = self._reader.recv(64)
        except (BlockingIOError, InterruptedError):
            return
        for number in numbers:
            self.received.emit(number)


class EndOnSignals(QObject):
    """What the window does when told to quit by a signal; see the module's docstring."""

    def __init__(self, run_active: Callable[[], bool], stop_run: Callable[[], None], run_ended: SignalInstance,
                 keep_model: Callable[[], str | None], note: Callable[[str], None], quit: Callable[[int], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._run_active, self._stop_run, self._run_ended = run_active, stop_run, run_ended
        self._keep_model, self._note, self._quit = keep_model, note, quit
        self._code: int | None = None

    def handle(self, signum: int) -> None:
        name = _name(signum)
        if self._code is not None:  # a second signal: quit now
            self._tell(f"{name} received again: quitting without waiting.")
            self._quit(self._code)
            return
        self._code = 128 + signum
        if self._run_active():
            self._tell(f"{name} received: stopping the run at the next batch; then the window closes.")
            self._run_ended.connect(self._finish)
            self._stop_run()
        else:
            self._tell(f"{name} received: the window closes.")
            self._finish()

    def _finish(self, *_: object) -> None:
        try:
            self._run_ended.disconnect(self._finish)
        except (RuntimeError, TypeError):
            pass  # not connected: no run was under way
        kept = self._keep_model()
        if kept:
            self._tell(kept)
        assert self._code is not None
        self._quit(self._code)

    def _tell(self, line: str) -> None:
        """In the log and on stderr: a desktop session keeps the latter in its journal."""
        self._note(line)
        say(f"fmnist-gui: {line}", sys.stderr)


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"

"""The sweep worker processes the window starts: `fmnist-gui sweep work NAME --child …`, one per worker.

Processes, as the command line's `--workers K` starts them (fmnist_gui.sweeps.processes), each in a
session of its own: closing the window may leave them running, and a terminal's Ctrl+C that quits the
app does not reach them. Their stderr goes to a log file beside the sweep's journal, so that a worker
that ends badly can say why in one line. Watched by a timer that asks each process, without waiting,
whether it has ended; stopped with SIGTERM, which ends its trial at the next batch as FAIL with the reason.
"""

from __future__ import annotations

import signal
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from fmnist_gui.runs.layout import SWEEPS
from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps import SweepStore, threads_per_worker, worker_command, worker_environment

POLL_MS = 500  # how often ended workers are noticed
EXIT_TEXT = {0: "the sweep's budget is met", 128 + signal.SIGTERM: "stopped", 128 + signal.SIGINT: "interrupted"}


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    log: Path
    stopping: bool = False  # sent SIGTERM: it ends at its trial's next batch


class SweepWorkerProcesses(QObject):
    """The worker processes this window started for one sweep; `running` counts the ones not ended."""

    changed = Signal(int)  # how many run now
    ended = Signal(str)  # one worker ended: a line saying how

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workers: list[_Worker] = []
        self._store: SweepStore | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> int:
        return sum(worker.process.poll() is None for worker in self._workers)

    @property
    def working(self) -> int:
        """The running workers not asked to stop: the ones closing the window asks about."""
        return sum(worker.process.poll() is None and not worker.stopping for worker in self._workers)

    @property
    def store(self) -> SweepStore | None:
        """The sweep the workers work on (the last one started)."""
        return self._store

    def start(self, store: SweepStore, runs_dir: Path, data_dir: str | None, count: int) -> None:
        """Start `count` more workers on `store`; each takes its share of the cores among all that run."""
        if self._store is not None and self._store != store:
            self.leave()  # a new sweep: the old one's workers go on without this window
        self._store = store
        threads = threads_per_worker(self.running + count)
        command = worker_command(store, runs_dir, data_dir, None, threads)
        folder = Path(runs_dir).expanduser() / SWEEPS / store.name
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        for index in range(count):
            log = folder / f"worker-{stamp}-{len(self._workers) + 1}.log"
            with open(log, "ab") as errors:
                process = subprocess.Popen(command, env=worker_environment(threads), stdin=subprocess.DEVNULL,
                                           stdout=subprocess.DEVNULL, stderr=errors, start_new_session=True)
            self._workers.append(_Worker(process, log))
        self._timer.start()
        self.changed.emit(self.running)

    def stop(self) -> None:
        """Ask every running worker to stop: its trial ends at the next batch, marked FAIL with the reason."""
        for worker in self._workers:
            if worker.process.poll() is None and not worker.stopping:  # a second SIGTERM would make it quit at once
                worker.stopping = True
                try:
                    worker.process.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        self.changed.emit(self.running)

    def leave(self) -> None:
        """Forget the workers: they go on working without this window (Python reaps them when they end)."""
        self._workers.clear()
        self._timer.stop()
        self.changed.emit(0)

    def wait(self, seconds: float) -> bool:
        """Wait up to `seconds` for every worker to end (after `stop`, on the way out); whether all did."""
        deadline = datetime.now().timestamp() + seconds
        for worker in self._workers:
            try:
                worker.process.wait(max(0.0, deadline - datetime.now().timestamp()))
            except subprocess.TimeoutExpired:
                return False
        self._poll()
        return True

    def _poll(self) -> None:
        before = len(self._workers)
        for worker in [worker for worker in self._workers if worker.process.poll() is not None]:
            self._workers.remove(worker)
            self.ended.emit(_ending(worker))
        if len(self._workers) != before:
            self.changed.emit(self.running)
        if not self._workers:
            self._timer.stop()


def _ending(worker: _Worker) -> str:
    """"Worker 4123 ended: stopped." or, for a failure, its last error line."""
    code = worker.process.returncode
    code = 128 - code if code < 0 else code  # ended by a signal: as a shell says it
    how = EXIT_TEXT.get(code)
    if how is None:
        how = f"exit code {code}" + (f": {line}" if (line := _last_line(worker.log)) else "")
    return f"Worker {worker.process.pid} ended: {how}."


def _last_line(log: Path) -> str:
    try:
        with open(log, "rb") as stream:
            stream.seek(0, 2)
            stream.seek(max(0, stream.tell() - 4096))
            lines = [line.strip() for line in stream.read().decode("utf-8", "replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return printable(lines[-1])[:300] if lines else ""

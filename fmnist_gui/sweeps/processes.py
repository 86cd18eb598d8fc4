"""Several workers on one machine: each a process of its own (`fmnist-gui sweep work NAME`), sharing the cores.

Processes, not threads: each trains with its own torch threads, and one that is killed leaves the
others going (its trial is failed by the next look at the study). The command line and the window
start them the same way, from `worker_command` and `worker_environment`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from fmnist_gui.sweeps.storage import SweepStore


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def threads_per_worker(workers: int) -> int:
    """Each worker's share of the cores, at least one: more threads than cores only make them wait for each other."""
    return max(1, cores() // max(1, workers))


def worker_command(store: SweepStore, runs_dir: Path, data_dir: str | None, device: str | None, threads: int) -> list[str]:
    """The command line of one worker process, with this Python (or this bundle) and this checkout."""
    program = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "fmnist_gui"]
    command = [*program, "sweep", "work", store.name, "--child", "--threads", str(threads), "--runs-dir", str(runs_dir)]
    storage = store.storage_argument()
    for option, value in (("--storage", storage), ("--data-dir", data_dir), ("--device", device)):
        if value is not None:
            command += [option, value]
    return command


def worker_environment(threads: int) -> dict[str, str]:
    """This environment with the worker's share of threads for OpenMP and MKL (read when torch loads)."""
    return {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}


class WorkerProcesses:
    """K worker processes for one sweep; each in a session of its own, so a terminal's Ctrl+C reaches
    only the parent, which passes each stop on once (a second one to a worker means "quit now")."""

    def __init__(self, store: SweepStore, runs_dir: Path, data_dir: str | None, device: str | None, workers: int) -> None:
        threads = threads_per_worker(workers)
        self.command = worker_command(store, runs_dir, data_dir, device, threads)
        self.environment = worker_environment(threads)
        self.count = workers
        self.processes: list[subprocess.Popen[bytes]] = []

    def start(self) -> None:
        for _ in range(self.count):
            self.processes.append(subprocess.Popen(self.command, env=self.environment, start_new_session=True))

    def send(self, signum: int) -> None:
        """Pass a signal on to every worker still running."""
        for process in self.processes:
            if process.poll() is None:
                try:
                    process.send_signal(signum)
                except ProcessLookupError:
                    pass

    def wait(self) -> list[int]:
        """Every worker's exit code, once all have ended (a worker ended by a signal: 128 + N, as a shell says)."""
        codes = [process.wait() for process in self.processes]
        return [128 - code if code < 0 else code for code in codes]


def stop_signal_name(signum: int | None) -> str:
    """"SIGTERM" for 15; how a trial stopped by it is described."""
    if signum is None:
        return "a stop request"
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"

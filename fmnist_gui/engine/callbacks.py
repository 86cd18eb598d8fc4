"""The observer interface of the engine: the GUI, the CLI, the run recorder and tests each subclass it.

Observers get a `RunContext` in `setup()`: what they may read of the run (its config, data, the
checkpoint it resumes from, its latest snapshots) and the requests they may make (stop, pause,
resume). How the loop waits while paused stays with the trainer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from fmnist_gui.engine.events import BatchRecord, EpochDynamics, EpochRecord, HyperparameterChange, RunFinished, RunStarted

if TYPE_CHECKING:
    from fmnist_gui.checkpoint import Checkpoint
    from fmnist_gui.config import TrainConfig
    from fmnist_gui.data import FashionMNIST

log = logging.getLogger(__name__)


class RunControl:
    """Pause, resume and stop requests, safe to make from any thread; the loop checks them between batches."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # a paused run must wake up to see the stop

    def pause(self) -> None:
        if not self._stop.is_set():
            self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self, on_pause: Callable[[], None], on_resume: Callable[[], None]) -> float:
        """For the loop alone: block while paused, telling `on_pause` once really waiting and `on_resume`
        on waking (unless it was a stop); returns the seconds spent waiting."""
        start = time.monotonic()
        on_pause()
        self._running.wait()
        if not self._stop.is_set():
            on_resume()
        return time.monotonic() - start


class RunContext:
    """What an observer may read of the run it watches, and the requests it may make; handed to `setup()`.

    Reads are safe from the training thread (where hooks run) and from others: snapshots are
    immutable and replaced whole.
    """

    def __init__(self, control: RunControl, data: FashionMNIST, resume_from: Checkpoint | None,
                 config: Callable[[], TrainConfig], checkpoint: Callable[[], Checkpoint | None],
                 best_checkpoint: Callable[[], Checkpoint | None],
                 unfinished_dynamics: Callable[[], EpochDynamics | None]) -> None:
        self._control = control
        self.data = data
        self.resume_from = resume_from  # the checkpoint the run goes on from, or None for a fresh model
        self._config, self._checkpoint, self._best = config, checkpoint, best_checkpoint
        self._unfinished = unfinished_dynamics

    @property
    def config(self) -> TrainConfig:
        """The run's config as it stands: values changed while paused included."""
        return self._config()

    def checkpoint(self) -> Checkpoint | None:
        """The latest consistent state: the last finished epoch during the run, the final weights after it."""
        return self._checkpoint()

    def best_checkpoint(self) -> Checkpoint | None:
        """The snapshot of the finished epoch with the highest test accuracy so far."""
        return self._best()

    @property
    def unfinished_dynamics(self) -> EpochDynamics | None:
        """The per-example record of the epoch a stop interrupted, once the run has ended that way."""
        return self._unfinished()

    def stop(self) -> None:
        """End the run at the next batch (early stopping, a pruned trial, tests)."""
        self._control.stop()

    def pause(self) -> None:
        self._control.pause()

    def resume(self) -> None:
        self._control.resume()

    @property
    def stop_requested(self) -> bool:
        return self._control.stop_requested

    @property
    def paused(self) -> bool:
        return self._control.paused


class Callback:
    """Hooks the trainer calls from its own thread; each does nothing unless overridden."""

    def setup(self, run: RunContext) -> None:
        """Before the run: what the run is and how to ask it to stop; `run.stop()` ends it at the next batch."""

    def on_fit_start(self, run: RunStarted) -> None:
        """The model, optimizer and data are ready; the first batch is next."""

    def on_batch_end(self, record: BatchRecord) -> None:
        """Training progressed; called at most every report interval, and at each epoch's end."""

    def on_epoch_end(self, record: EpochRecord) -> None:
        """An epoch finished and the test set was evaluated."""

    def on_pause(self) -> None:
        """The loop has stopped between two batches and waits to be resumed or stopped."""

    def on_resume(self) -> None:
        """The loop goes on after a pause."""

    def on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        """A requested value took effect; the next batch trains with it. One call per changed field."""

    def on_fit_end(self, result: RunFinished) -> None:
        """The run ended, for whatever reason; always called, exactly once."""


class CallbackList(Callback):
    """Forwards every hook to several callbacks, in order.

    An observer that raises is logged and dropped: watching a run must never fail it (a closed
    pipe under `train --json | head` once did).
    """

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        self.failures: list[tuple[Callback, BaseException]] = []

    def setup(self, run: RunContext) -> None:
        self._call("setup", run)

    def on_fit_start(self, run: RunStarted) -> None:
        self._call("on_fit_start", run)

    def on_batch_end(self, record: BatchRecord) -> None:
        self._call("on_batch_end", record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        self._call("on_epoch_end", record)

    def on_pause(self) -> None:
        self._call("on_pause")

    def on_resume(self) -> None:
        self._call("on_resume")

    def on_hyperparameters_changed(self, change: HyperparameterChange) -> None:
        self._call("on_hyperparameters_changed", change)

    def on_fit_end(self, result: RunFinished) -> None:
        self._call("on_fit_end", result)

    def _call(self, hook: str, *args: Any) -> None:
        for callback in list(self.callbacks):
            try:
                getattr(callback, hook)(*args)
            except Exception as exc:  # noqa: BLE001 - an observer's failure is not the run's
                log.warning("%s.%s failed and no longer observes the run: %r", type(callback).__name__, hook, exc)
                self.failures.append((callback, exc))
                self.callbacks.remove(callback)

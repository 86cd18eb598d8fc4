"""The observer interface of the engine: the GUI, the CLI, the run recorder and tests each subclass it."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fmnist_gui.engine.events import BatchRecord, EpochRecord, HyperparameterChange, RunFinished, RunStarted

if TYPE_CHECKING:
    from fmnist_gui.engine.trainer import RunControl

log = logging.getLogger(__name__)


class Callback:
    """Hooks the trainer calls from its own thread; each does nothing unless overridden."""

    def setup(self, control: RunControl) -> None:
        """Before the run: `control.stop()` ends it at the next batch (early stopping, tests)."""

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

    def setup(self, control: RunControl) -> None:
        self._call("setup", control)

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

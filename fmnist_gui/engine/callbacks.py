"""The observer interface of the engine: the GUI, the CLI and tests each subclass it."""

from __future__ import annotations

from collections.abc import Iterable

from fmnist_gui.engine.events import BatchRecord, EpochRecord, RunFinished, RunStarted


class Callback:
    """Hooks the trainer calls from its own thread; each does nothing unless overridden."""

    def on_fit_start(self, run: RunStarted) -> None:
        """The model, optimizer and data are ready; the first batch is next."""

    def on_batch_end(self, record: BatchRecord) -> None:
        """Training progressed; called at most every report interval, and at each epoch's end."""

    def on_epoch_end(self, record: EpochRecord) -> None:
        """An epoch finished and the test set was evaluated."""

    def on_fit_end(self, result: RunFinished) -> None:
        """The run ended, for whatever reason; always called, exactly once."""


class CallbackList(Callback):
    """Forwards every hook to several callbacks, in order."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)

    def on_fit_start(self, run: RunStarted) -> None:
        for callback in self.callbacks:
            callback.on_fit_start(run)

    def on_batch_end(self, record: BatchRecord) -> None:
        for callback in self.callbacks:
            callback.on_batch_end(record)

    def on_epoch_end(self, record: EpochRecord) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(record)

    def on_fit_end(self, result: RunFinished) -> None:
        for callback in self.callbacks:
            callback.on_fit_end(result)

"""The training engine: imports torch, never Qt. Observers subscribe through callbacks."""

from __future__ import annotations

from fmnist_gui.engine.callbacks import Callback, RunContext, RunControl
from fmnist_gui.engine.events import BatchRecord, EpochRecord, FinishReason, RunFinished, RunStarted
from fmnist_gui.engine.trainer import Trainer

__all__ = [
    "BatchRecord",
    "Callback",
    "EpochRecord",
    "FinishReason",
    "RunContext",
    "RunControl",
    "RunFinished",
    "RunStarted",
    "Trainer",
]

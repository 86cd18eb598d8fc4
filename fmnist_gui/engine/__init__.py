"""The training engine: imports torch, never Qt. Observers subscribe through callbacks.

Its events and callbacks import without torch (the window builds on them before torch has loaded);
`Trainer` loads fmnist_gui.engine.trainer, and torch with it, when it is first asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fmnist_gui.engine.callbacks import Callback, RunContext, RunControl
from fmnist_gui.engine.events import BatchRecord, EpochRecord, FinishReason, RunFinished, RunStarted

if TYPE_CHECKING:
    from fmnist_gui.engine.trainer import Trainer


def __getattr__(name: str) -> Any:
    if name == "Trainer":
        from fmnist_gui.engine.trainer import Trainer

        return Trainer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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

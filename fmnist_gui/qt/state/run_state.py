"""Where a training run stands, as the window shows it."""

from __future__ import annotations

from enum import Enum


class RunState(str, Enum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSING = "pausing"  # asked to pause; the loop has not reached a batch boundary yet
    PAUSED = "paused"  # the loop really waits
    STOPPING = "stopping"

    @property
    def active(self) -> bool:
        return self is not RunState.IDLE

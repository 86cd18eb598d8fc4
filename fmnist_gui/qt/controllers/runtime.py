"""Loading PyTorch on the background-work layer while the window is already on screen.

The job imports torch and the training engine in a lane's thread, lists the devices torch can use and
counts each model's parameters; the form gets those facts, and what waited for torch runs. A failure
(a broken installation) is said once, with the reason; Train and Open then say it again.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from fmnist_gui.devices import DeviceInfo, available_devices
from fmnist_gui.models import MODELS
from fmnist_gui.qt.background.tasks import BackgroundWork, Job
from fmnist_gui.qt.common.reporter import Reporter
from fmnist_gui.qt.state.runtime import TorchRuntime
from fmnist_gui.qt.views.controls import ControlsPanel

LANE = "inference"  # the lane that serves models next: its thread has torch ready for them


@dataclass(frozen=True)
class RuntimeFacts:
    devices: list[DeviceInfo]
    parameter_counts: Mapping[str, int]


@cache
def _parameter_counts() -> Mapping[str, int]:
    return {name: spec.parameter_count for name, spec in MODELS.items()}


def load_runtime() -> RuntimeFacts:
    """Import torch and what a run needs, and what the form shows of them (seconds on a cold disk)."""
    import torch  # noqa: F401 - the point of it

    import fmnist_gui.engine.trainer  # noqa: F401 - the engine a Train click starts

    return RuntimeFacts(available_devices(), _parameter_counts())


class RuntimeLoader(QObject):
    def __init__(self, *, runtime: TorchRuntime, work: BackgroundWork, controls: ControlsPanel, reporter: Reporter,
                 window: QWidget) -> None:
        super().__init__(window)
        self.runtime, self.controls, self.reporter = runtime, controls, reporter
        self._lane = work.lane(LANE)

    @property
    def needs_loading(self) -> bool:
        """False when torch is imported already (a process that trained, a test): `start` then finishes at once."""
        return "torch" not in sys.modules

    def start(self) -> None:
        """Load torch in the background; at once when it is imported already."""
        if self.runtime.is_loaded:
            return
        if not self.needs_loading:  # nothing slow is left to do: no reason to keep Train waiting
            self._on_loaded(load_runtime())
            return

        def work(job: Job[RuntimeFacts]) -> RuntimeFacts:
            return load_runtime()

        self._lane.submit("runtime", work, self._on_loaded, self._on_failed)

    def _on_loaded(self, facts: RuntimeFacts) -> None:
        self.controls.set_devices(facts.devices)
        self.controls.set_parameter_counts(facts.parameter_counts)
        self.runtime.set_loaded()

    def _on_failed(self, message: str, details: str) -> None:
        self.runtime.set_failed(message)
        self.reporter.error("PyTorch could not be loaded", f"{message} Training and opening models need it; "
                            "the rest of the window works.", details)


def after_torch(runtime: TorchRuntime, reporter: Reporter, kind: str, what: str, action: Callable[[], object]) -> bool:
    """Run `action` now when torch has loaded (True); else say that `what` waits for it, and run it then (False).

    `kind` names the action ("train", "open"): a second request of a kind replaces the first.
    """
    if runtime.error is not None:
        reporter.error("PyTorch could not be loaded", "Training, opening a model and the learning-rate finder need "
                       f"PyTorch, which failed to load when the window started: {runtime.error}")
        return False
    if runtime.when_loaded(kind, action):
        return True
    reporter.note(f"{what} once PyTorch has loaded (it loads in the background as the window starts).")
    return False

"""Training dynamics: how each training image is learned, epoch by epoch (Qt-free, numpy only)."""

from __future__ import annotations

from fmnist_gui.dynamics.derive import (DynamicsSummary, ExampleStatistics, Region, Suspect, example_statistics,
                                        forgetting_by_class, forgetting_epochs, forgetting_events, likely_mislabelled,
                                        most_forgotten, summarize)
from fmnist_gui.dynamics.store import DynamicsDamaged, TrainingDynamics, load_dynamics, save_dynamics

__all__ = [
    "DynamicsDamaged",
    "DynamicsSummary",
    "ExampleStatistics",
    "Region",
    "Suspect",
    "TrainingDynamics",
    "example_statistics",
    "forgetting_by_class",
    "forgetting_epochs",
    "forgetting_events",
    "likely_mislabelled",
    "load_dynamics",
    "most_forgotten",
    "save_dynamics",
    "summarize",
]

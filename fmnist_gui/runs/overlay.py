"""Curves of several runs for one plot: each run as it is, or runs that differ only in seed as mean ± band."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from fmnist_gui.config import TrainConfig
from fmnist_gui.engine.events import EpochSummary


@dataclass(frozen=True)
class OverlaySeries:
    """One line on the accuracy and loss plots, with a band (mean ± one standard deviation) for a group."""

    name: str
    epochs: np.ndarray
    test_accuracy: np.ndarray
    test_loss: np.ndarray
    accuracy_band: tuple[np.ndarray, np.ndarray] | None = None
    loss_band: tuple[np.ndarray, np.ndarray] | None = None
    members: int = 1


def run_series(name: str, history: Sequence[EpochSummary]) -> OverlaySeries:
    return OverlaySeries(name, np.array([h.epoch for h in history], dtype=float),
                         np.array([h.test_accuracy for h in history]), np.array([h.test_loss for h in history]))


def config_key(config: TrainConfig | None) -> tuple | None:
    """What makes two runs the same experiment: every value but the seed and the device."""
    if config is None:
        return None
    return tuple(sorted((k, v) for k, v in dataclasses.asdict(config).items() if k not in ("seed", "device")))


def grouped_series(runs: Sequence[tuple[str, TrainConfig | None, Sequence[EpochSummary]]]) -> list[OverlaySeries]:
    """Runs with the same config but the seed become one mean curve with a band, over the epochs all of them reached."""
    groups: dict[object, list[tuple[str, Sequence[EpochSummary]]]] = {}
    for index, (name, config, history) in enumerate(runs):
        key = config_key(config)
        groups.setdefault(key if key is not None else ("alone", index), []).append((name, history))
    series: list[OverlaySeries] = []
    for members in groups.values():
        if len(members) == 1 or not all(members_history for _, members_history in members):
            series.extend(run_series(name, history) for name, history in members)
            continue
        length = min(len(history) for _, history in members)
        accuracy = np.array([[h.test_accuracy for h in history[:length]] for _, history in members])
        loss = np.array([[h.test_loss for h in history[:length]] for _, history in members])
        epochs = np.array([h.epoch for h in members[0][1][:length]], dtype=float)
        name = f"{members[0][0]} and {len(members) - 1} more (mean ± sd)"
        series.append(OverlaySeries(name, epochs, accuracy.mean(axis=0), loss.mean(axis=0),
                                    _band(accuracy), _band(loss), members=len(members)))
    return series


def _band(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, spread = values.mean(axis=0), values.std(axis=0)
    return mean - spread, mean + spread

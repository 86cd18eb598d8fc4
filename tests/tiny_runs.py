"""Many small run folders written directly (run.json and metrics.csv), for listing tests and timings."""

from __future__ import annotations

import json
from pathlib import Path

from fmnist_gui.config import TrainConfig
from fmnist_gui.runs.layout import METRICS_CSV, METRICS_HEADER, RUN_JSON

ROW = "1,6,0.5,80.0,0.6,78.5,0.001,2.5," + ",".join(["78.5"] * 10) + "\n"


def write_tiny_runs(runs_dir: Path, count: int) -> list[Path]:
    """`count` completed one-epoch runs in `runs_dir`, each as `fmnist-gui runs` lists it; their folders."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    config = TrainConfig(model="quickstart-mlp", optimizer="sgd", lr=1e-3, epochs=3).to_dict()
    header = ",".join(METRICS_HEADER) + "\n"
    folders = []
    for number in range(count):
        folder = runs_dir / f"2026-01-01_{number:06d}-quickstart-mlp-0000"
        folder.mkdir()
        run = {"schema": 1, "id": folder.name, "name": f"run {number}", "note": "", "status": "completed",
               "created": f"2026-01-01T{number // 3600:02d}:{number // 60 % 60:02d}:{number % 60:02d}.000+00:00", "config": config,
               "epochs_done": 1, "duration": 2.5}
        (folder / RUN_JSON).write_text(json.dumps(run))
        (folder / METRICS_CSV).write_text(header + ROW)
        folders.append(folder)
    return folders


def add_epoch(folder: Path) -> None:
    """One more finished epoch in a tiny run's metrics.csv: the folder changed."""
    with open(folder / METRICS_CSV, "a", encoding="utf-8") as stream:
        stream.write("2" + ROW[1:].replace(",6,", ",12,", 1))

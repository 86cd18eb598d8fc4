"""Run folders: a recorder callback that writes one per training run, and readers that list and follow them.

Qt-free, so the command line and the window share it.
"""

from __future__ import annotations

from fmnist_gui.runs.follow import FollowUpdate, RunFollower
from fmnist_gui.runs.layout import BATCH_COLUMNS, METRICS_COLUMNS, SCHEMA, default_runs_dir, last_checkpoint, run_folder_of, snapshots
from fmnist_gui.runs.listing import RunListing, find_run, list_runs
from fmnist_gui.runs.manage import RunError, rename_run, restore_run, set_note, trash_run
from fmnist_gui.runs.reader import RunInfo, read_batches, read_changes, read_dynamics, read_metrics, read_run
from fmnist_gui.runs.lock import FolderBusy
from fmnist_gui.runs.recorder import RecordingError, RunRecorder
from fmnist_gui.runs.tables import RunDamaged

__all__ = [
    "BATCH_COLUMNS",
    "METRICS_COLUMNS",
    "SCHEMA",
    "FolderBusy",
    "FollowUpdate",
    "RunDamaged",
    "RunError",
    "RunFollower",
    "RunInfo",
    "RecordingError",
    "RunListing",
    "RunRecorder",
    "default_runs_dir",
    "find_run",
    "last_checkpoint",
    "list_runs",
    "read_batches",
    "read_changes",
    "read_dynamics",
    "read_metrics",
    "read_run",
    "rename_run",
    "restore_run",
    "run_folder_of",
    "set_note",
    "snapshots",
    "trash_run",
]

"""Listing a runs folder, once or again and again as the Runs tab does: a run folder is read again only when a
file its summary comes from changed, and folders that vanished are dropped.

A run that says it is running is asked again each time whether its process still lives, since that changes
with no file changing.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs.layout import BATCHES_CSV, CONFUSION_JSONL, METRICS_CSV, RUN_JSON, SWEEPS, run_folder_of
from fmnist_gui.runs.reader import INTERRUPTED, RunInfo, load_run_json, process_alive, read_run
from fmnist_gui.runs.tables import RunDamaged
from fmnist_gui.safe_text import printable

SUMMARY_FILES = (RUN_JSON, METRICS_CSV, CONFUSION_JSONL, BATCHES_CSV)  # what read_run reads
FIRST_REPORT = 256  # runs read: the first listing is handed out as it grows, each time this many more have doubled
Signature = tuple[Any, ...]


@dataclass(frozen=True)
class _Known:
    """A run as last read: the state of its files then, its summary and where it sorts."""

    signature: Signature
    info: RunInfo
    age: tuple[float, str]
    running: dict[str, Any] | None  # run.json's content while it says "running"


class RunListing:
    """The runs of one folder, newest first; `refresh()` reads only what changed since the last one.

    Not thread-safe: one refresh at a time (the Runs tab never asks for one while another runs).
    """

    def __init__(self, runs_dir: Path) -> None:
        self.runs_dir = Path(runs_dir)
        self._known: dict[str, _Known] = {}  # by the folder's path

    def refresh(self, progress: Callable[[list[RunInfo]], None] | None = None) -> list[RunInfo]:
        """Every run, newest first; a missing or unreadable runs folder has none.

        `progress` gets the runs so far, newest first, each time the folders read since the start have
        doubled in number (from FIRST_REPORT on): a first listing of thousands of runs fills as it goes.
        """
        known: dict[str, _Known] = {}
        read, next_report = 0, FIRST_REPORT
        for folder in _run_folders(self.runs_dir):
            signature = _signature(folder)
            entry = self._known.get(folder)
            if entry is not None and entry.signature == signature:
                entry, fresh = _alive_or_not(entry), False
            else:
                entry, fresh, read = _read(Path(folder), signature), True, read + 1
            if entry is not None:
                known[folder] = entry
            if fresh and progress is not None and read >= next_report:
                progress(_newest_first(known.values()))
                next_report *= 2
        self._known = known
        return _newest_first(known.values())


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run in `runs_dir`, newest first; a missing or unreadable folder gives an empty list."""
    return RunListing(runs_dir).refresh()


def find_run(runs_dir: Path, text: str) -> Path:
    """The run folder `text` names: a path to it, its folder name in `runs_dir`, or the name of one run there."""
    for candidate in (Path(text).expanduser(), Path(runs_dir) / text):
        folder = run_folder_of(candidate)
        if folder is not None:
            return folder
    named = [run.folder.name for run in list_runs(runs_dir) if run.name == text]
    if len(named) == 1:
        return Path(runs_dir) / named[0]
    if named:
        raise UserFacingError(f"{len(named)} runs in {printable(runs_dir)} are named {printable(text)!r}; "
                              f"name one by its folder: {', '.join(printable(name) for name in named)}.")
    raise UserFacingError(f"There is no run {printable(text)!r} in {printable(runs_dir)}: "
                          "give its folder, or its name as `fmnist-gui runs` lists it.")


def _run_folders(runs_dir: Path) -> list[str]:
    """The paths of the folders in `runs_dir` that may be runs (plain strings: thousands are stat'ed each time)."""
    try:
        with os.scandir(runs_dir) as entries:
            return [entry.path for entry in entries
                    if not entry.name.startswith(".") and entry.name != SWEEPS and entry.is_dir()]  # sweeps/: journals
    except OSError:
        return []


def _signature(folder: str) -> Signature:
    """What changes when a file the summary reads is written, replaced, grown or removed."""
    states: list[Any] = []
    for name in SUMMARY_FILES:
        try:
            info = os.stat(os.path.join(folder, name))
        except OSError as exc:
            states.append(exc.errno)
        else:
            states.append((info.st_mode, info.st_ino, info.st_size, info.st_mtime_ns))
    return tuple(states)


def _read(folder: Path, signature: Signature) -> _Known | None:
    """The run read afresh; None for a folder a run is just being created in, or one gone since it was listed."""
    if not isinstance(signature[0], tuple) and _being_created(folder):  # no run.json yet
        return None
    info = read_run(folder)
    if not folder.is_dir():
        return None
    running = None
    if info.status in ("running", INTERRUPTED):
        try:
            running = load_run_json(folder)
        except RunDamaged:
            pass
    return _Known(signature, info, _age(info), running)


def _alive_or_not(entry: _Known) -> _Known:
    """The entry with, for a run that says it is running, the status its process's life gives now."""
    if entry.running is None:
        return entry
    status = "running" if process_alive(entry.running) else INTERRUPTED
    if status == entry.info.status:
        return entry
    return dataclasses.replace(entry, info=dataclasses.replace(entry.info, status=status))


def _newest_first(entries: Any) -> list[RunInfo]:
    return [entry.info for entry in sorted(entries, key=lambda entry: entry.age, reverse=True)]


def _being_created(folder: Path) -> bool:
    """An empty folder, or one holding only the temporary file of its first run.json: a run starting."""
    try:
        return all(entry.name.startswith(".") for entry in folder.iterdir())
    except OSError:
        return False


def _age(run: RunInfo) -> tuple[float, str]:
    try:
        return datetime.fromisoformat(run.created).timestamp(), run.folder.name
    except (ValueError, OverflowError, OSError):
        try:
            return run.folder.stat().st_mtime, run.folder.name
        except OSError:
            return 0.0, run.folder.name

"""Listing a runs folder: every run in it, newest first, and finding one run by its folder or name."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs.layout import run_folder_of
from fmnist_gui.runs.reader import RunInfo, read_run
from fmnist_gui.safe_text import printable


def list_runs(runs_dir: Path) -> list[RunInfo]:
    """Every run in `runs_dir`, newest first; a missing or unreadable folder gives an empty list."""
    try:
        entries = [entry for entry in Path(runs_dir).iterdir() if not entry.name.startswith(".") and entry.is_dir()]
    except OSError:
        return []
    runs = [read_run(entry) for entry in entries if not _being_created(entry)]
    return sorted((run for run in runs if run.folder.is_dir()), key=_age, reverse=True)


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

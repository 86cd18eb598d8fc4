"""Changing run folders as people ask: rename, annotate, move to the trash and back."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from fmnist_gui.errors import UserFacingError
from fmnist_gui.runs.layout import RUN_JSON, TRASH, write_json
from fmnist_gui.runs.lock import run_json_edit
from fmnist_gui.runs.reader import load_run_json, process_alive
from fmnist_gui.runs.tables import RunDamaged
from fmnist_gui.safe_text import printable

MAX_NAME = 200
MAX_NOTE = 10_000


class RunError(UserFacingError):
    """A change to a run folder that cannot be made; the message gives the one-line reason."""


def rename_run(folder: Path, name: str) -> None:
    """Set the run's name in run.json (written atomically)."""
    cleaned = printable(name).strip()
    if not cleaned:
        raise RunError("A run's name cannot be empty.")
    _edit(Path(folder), name=cleaned[:MAX_NAME])


def set_note(folder: Path, note: str) -> None:
    """Set the run's note; it may span lines, but holds no other control characters."""
    _edit(Path(folder), note="\n".join(printable(line) for line in note.splitlines()).strip()[:MAX_NOTE])


def trash_run(folder: Path) -> Path:
    """Move a run folder to RUNS_DIR/.trash/ and return where it went (restore_run undoes it)."""
    folder = Path(folder)
    try:
        raw = load_run_json(folder)
    except RunDamaged:
        raw = {}  # a damaged run can be thrown away like any other
    if raw.get("status") == "running" and process_alive(raw):
        raise RunError(f"{printable(folder.name)} is still being recorded; stop its training first.")
    trash = folder.parent / TRASH
    return _move(folder, _free_name(trash / folder.name), "moved to the trash", make_parent=True)


def restore_run(trashed: Path) -> Path:
    """Move a trashed run back to its runs folder and return where it is."""
    trashed = Path(trashed)
    target = trashed.parent.parent / trashed.name
    if target.exists():
        raise RunError(f"{printable(trashed.name)} cannot be restored: a run folder of that name exists.")
    return _move(trashed, target, "restored", make_parent=False)


def _edit(folder: Path, **changes: Any) -> None:
    """Change fields of run.json under its edit lock: a recorder writing it meanwhile waits, and reads them back."""
    with run_json_edit(folder):
        try:
            content = load_run_json(folder)
        except RunDamaged as exc:
            raise RunError(f"{printable(folder.name)} cannot be changed: {exc}") from None
        content.update(changes)
        try:
            write_json(folder / RUN_JSON, content)
        except UserFacingError as exc:
            raise RunError(str(exc)) from None


def _free_name(path: Path) -> Path:
    """`path`, or `path-2`, `path-3` … when a folder of that name is already there."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}-{number}")
    return candidate


def _move(source: Path, target: Path, what: str, make_parent: bool) -> Path:
    try:
        if make_parent:
            target.parent.mkdir(exist_ok=True)
        os.rename(source, target)
    except OSError as exc:
        raise RunError(f"{printable(source.name)} could not be {what}: {exc.strerror or exc}.") from None
    return target

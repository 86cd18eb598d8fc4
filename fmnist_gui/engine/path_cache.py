"""The measured choice of training path, kept per machine in a small JSON file so that it is measured once.

The file lives in the user's cache folder ($XDG_CACHE_HOME/fmnist-gui/training-paths.json, or the file
$FMNIST_PATH_CACHE names). It is only a cache: a file that cannot be read, or holds anything unexpected,
is ignored (the choice is measured again and the file rewritten), and one that cannot be written costs
a measurement at the next run, never the run itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from fmnist_gui.atomic import write_bytes
from fmnist_gui.errors import UserFacingError

ENV_VARIABLE = "FMNIST_PATH_CACHE"
SCHEMA = 1
MAX_ENTRIES = 200  # models x batch sizes x torch versions: the oldest go first beyond this


def cache_file() -> Path:
    """$FMNIST_PATH_CACHE, else $XDG_CACHE_HOME/fmnist-gui/training-paths.json (~/.cache/…)."""
    named = os.environ.get(ENV_VARIABLE)
    if named:
        return Path(named).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fmnist-gui" / "training-paths.json"


def read_entries(path: Path) -> dict[str, dict[str, Any]]:
    """The file's entries by key; {} for a missing, unreadable or malformed file. Malformed entries are dropped."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError):
        return {}
    if not isinstance(content, dict) or content.get("schema") != SCHEMA or not isinstance(content.get("entries"), dict):
        return {}
    return {key: entry for key, entry in content["entries"].items()
            if isinstance(key, str) and isinstance(entry, dict) and isinstance(entry.get("path"), str)}


def lookup(path: Path, key: str) -> dict[str, Any] | None:
    """The entry stored under `key`, or None."""
    return read_entries(path).get(key)


def store(path: Path, key: str, entry: dict[str, Any]) -> bool:
    """Add or replace `key`'s entry, rewriting the file atomically; False when it cannot be written."""
    entries = read_entries(path)
    entries.pop(key, None)
    entries[key] = entry  # the newest last: the oldest are dropped first
    kept = dict(list(entries.items())[-MAX_ENTRIES:])
    text = json.dumps({"schema": SCHEMA, "entries": kept}, indent=1) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes(path, text.encode("utf-8"))
    except (OSError, UserFacingError):
        return False
    return True

"""Typed access to QSettings; a bad stored value is dropped with a warning, never fatal."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from fmnist_gui.config import TrainConfig
from fmnist_gui.errors import UserFacingError

log = logging.getLogger(__name__)
MAX_RECENT = 8


class Settings:
    def __init__(self, settings: QSettings | None = None) -> None:
        self._settings = settings or QSettings()

    # Window layout
    def geometry(self) -> QByteArray | None:
        return self._bytes("window/geometry")

    def window_state(self) -> QByteArray | None:
        return self._bytes("window/state")

    def save_layout(self, geometry: QByteArray, state: QByteArray) -> None:
        self._settings.setValue("window/geometry", geometry)
        self._settings.setValue("window/state", state)

    # The last hyperparameters
    def train_config(self) -> TrainConfig | None:
        raw = self._settings.value("train/config")
        if not raw:
            return None
        try:
            stored = json.loads(str(raw))
            if not isinstance(stored, dict):
                raise TypeError(f"a {type(stored).__name__}, not a mapping")
            return TrainConfig.from_dict(stored)
        except (ValueError, TypeError, UserFacingError) as exc:
            log.warning("Ignoring the stored hyperparameters: %s", exc)
            self._settings.remove("train/config")
            return None

    def set_train_config(self, config: TrainConfig) -> None:
        self._settings.setValue("train/config", json.dumps(config.to_dict()))

    # Folders and files
    def last_folder(self) -> str:
        folder = str(self._settings.value("files/last_folder", "") or "")
        return folder if folder and Path(folder).is_dir() else str(Path.home())

    def set_last_folder(self, path: str) -> None:
        self._settings.setValue("files/last_folder", str(Path(path).parent))

    def recent_files(self) -> list[str]:
        value = self._settings.value("files/recent", [])
        if isinstance(value, str):  # QSettings returns one string for a one-element list
            value = [value]
        if not isinstance(value, list):
            log.warning("Ignoring the stored recent files")
            return []
        return [str(v) for v in value if v]

    def add_recent_file(self, path: str) -> list[str]:
        recent = [str(Path(path).resolve())] + [p for p in self.recent_files() if p != str(Path(path).resolve())]
        recent = recent[:MAX_RECENT]
        self._settings.setValue("files/recent", recent)
        return recent

    def runs_dir(self) -> str | None:
        value = self._settings.value("runs/folder")
        return str(value) if value else None

    def recovered_runs(self) -> list[str]:
        """Ids of interrupted runs the user was already told about."""
        value = self._settings.value("runs/recovered", [])
        return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []

    def add_recovered_run(self, run_id: str) -> None:
        self._settings.setValue("runs/recovered", (self.recovered_runs() + [run_id])[-50:])

    def reopen_last_model(self) -> bool:
        """Whether the window opens the most recent model again at start (on unless turned off)."""
        value = self._settings.value("files/reopen_last", True)
        return value not in (False, "false", "0", 0)

    def set_reopen_last_model(self, on: bool) -> None:
        self._settings.setValue("files/reopen_last", bool(on))

    def hidden_run_columns(self) -> list[str]:
        """The Runs table's columns the user hid, by title."""
        value = self._settings.value("runs/hidden_columns", [])
        return [value] if isinstance(value, str) else [str(v) for v in value] if isinstance(value, list) else []

    def set_hidden_run_columns(self, titles: list[str]) -> None:
        self._settings.setValue("runs/hidden_columns", list(titles))

    def fix_set(self) -> str:
        """The label fix set under review when the window last closed, by name; "" for none."""
        value = self._settings.value("labels/fix_set", "")
        return value if isinstance(value, str) else ""

    def set_fix_set(self, name: str) -> None:
        self._settings.setValue("labels/fix_set", name)

    def data_dir(self) -> str | None:
        value = self._settings.value("data/folder")
        return str(value) if value else None

    def set_data_dir(self, folder: str) -> None:
        self._settings.setValue("data/folder", folder)

    def _bytes(self, key: str) -> QByteArray | None:
        value: Any = self._settings.value(key)
        if value is None:
            return None
        if not isinstance(value, QByteArray):
            log.warning("Ignoring the stored %s", key)
            self._settings.remove(key)
            return None
        return value

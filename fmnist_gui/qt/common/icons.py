"""The application's icon, from the package's resources."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon


def icon_path() -> Path:
    return Path(str(resources.files("fmnist_gui.resources") / "fmnist-gui.svg"))


def app_icon() -> QIcon:
    return QIcon(str(icon_path()))

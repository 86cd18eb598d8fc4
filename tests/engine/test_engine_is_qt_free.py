"""The engine, the command line and their helpers run without Qt: only fmnist_gui/qt may import it."""

from __future__ import annotations

import re
import subprocess
import tomllib
import sys
from pathlib import Path

import fmnist_gui

QT_PACKAGES = ("PySide6", "shiboken6", "pyqtgraph")
PACKAGE_DIR = Path(fmnist_gui.__file__).parent
QT_IMPORT = re.compile(rf"^\s*(?:import|from)\s+(?:{'|'.join(QT_PACKAGES)})\b", re.MULTILINE)

CHECK = f"""
import sys
import fmnist_gui.engine, fmnist_gui.cli, fmnist_gui.checkpoint, fmnist_gui.data, fmnist_gui.imaging
import fmnist_gui.progress, fmnist_gui.atomic, fmnist_gui.safe_text, fmnist_gui.torch_file, fmnist_gui.signals, fmnist_gui.checks
code = fmnist_gui.cli.main(["devices"])
assert code == 0, code
qt = sorted(m for m in sys.modules if m.split(".")[0] in {QT_PACKAGES!r})
print("QT:" + ",".join(qt))
"""


def test_headless_modules_and_the_devices_command_load_no_qt():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=120, cwd=PACKAGE_DIR.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("cpu ")  # the devices command ran
    assert done.stdout.splitlines()[-1] == "QT:", f"Qt was imported: {done.stdout.splitlines()[-1]}"


def test_no_module_outside_the_qt_package_imports_qt():
    qt_dir = PACKAGE_DIR / "qt"
    offenders = [
        f"{path.relative_to(PACKAGE_DIR.parent)}: {match.group(0).strip()}"
        for path in sorted(PACKAGE_DIR.rglob("*.py"))
        if qt_dir not in path.parents
        for match in QT_IMPORT.finditer(path.read_text(encoding="utf-8"))
    ]
    assert not offenders, "Qt imported outside fmnist_gui/qt:\n" + "\n".join(offenders)


def test_the_qt_free_contract_names_every_module_outside_the_qt_package():
    """A new module outside fmnist_gui/qt must be placed under the import contract that keeps Qt out."""
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in project["tool"]["importlinter"]["contracts"] if c["name"] == "Only fmnist_gui.qt imports Qt")
    outside_qt = {f"fmnist_gui.{path.stem if path.is_file() else path.name}" for path in PACKAGE_DIR.iterdir()
                  if (path.suffix == ".py" or (path / "__init__.py").is_file())
                  and path.stem not in ("__init__", "__main__", "qt", "resources")}
    assert sorted(outside_qt - set(contract["source_modules"])) == []

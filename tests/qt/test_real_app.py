"""The real app in a real window (Xvfb and Qt's xcb plugin), when this machine has them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6 import __file__ as pyside_file

ROOT = Path(__file__).resolve().parents[2]


def _xcb_ready() -> bool:
    plugin = Path(pyside_file).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"
    if not plugin.exists() or shutil.which("ldd") is None:
        return False
    return "not found" not in subprocess.run(["ldd", str(plugin)], capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb is not installed (apt-get install xvfb)")
@pytest.mark.skipif(not _xcb_ready(), reason="Qt's xcb plugin lacks libraries (make run installs them)")
def test_the_real_app_trains_on_a_virtual_screen_and_takes_a_screenshot(tmp_path, synthetic_dir):
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    env["FMNIST_ALLOW_SMALL"] = "1"
    command = [sys.executable, str(ROOT / "packaging" / "screenshot.py"), "--out", str(tmp_path), "--epochs", "1",
               "--preset", "quickstart", "--data-dir", str(synthetic_dir), "--size", "1280x800"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "completed" in done.stdout
    from PySide6.QtGui import QImage

    shot = QImage(str(tmp_path / "screenshot.png"))
    assert (shot.width(), shot.height()) == (1280, 800)
    # A real frame has many colours: curves, images, text; a blank or black window has a few.
    colours = {shot.pixel(x, y) for x in range(0, 1280, 7) for y in range(0, 800, 7)}
    assert len(colours) > 200
    for view in ("inspector", "confusion", "per-class", "mistakes", "browser", "your-image", "draw"):
        assert (tmp_path / f"view-{view}.png").stat().st_size > 2000, view

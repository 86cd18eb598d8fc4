"""Runs a packaging script on a virtual screen (Debian's xvfb) when there is no display."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def needs_virtual_screen() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def rerun_under_xvfb(screen: str) -> int:
    """Start this very script again under xvfb-run, so Qt's real xcb plugin draws the window."""
    if shutil.which("xvfb-run") is None:
        print("No display and no xvfb-run: install xvfb (sudo apt-get install xvfb).", file=sys.stderr)
        return 2
    return subprocess.call(["xvfb-run", "-a", "-s", f"-screen 0 {screen}", sys.executable, *sys.argv])

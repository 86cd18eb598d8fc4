"""How long the app takes to put something on screen, and to show its full window, on a virtual screen.

    python packaging/startup.py                       # `python -m fmnist_gui`, 3 warm runs
    python packaging/startup.py --runs 5 --source /tmp/old-checkout   # another checkout, for a before/after
    python packaging/startup.py --command dist/fmnist-gui/fmnist-gui  # a bundle

Starts its own Xvfb, launches the app and polls `xdotool search --onlyvisible` every 20 ms: the
first window is any visible window of the app (the splash counts), the full window is the main
window (a title without "starting"). One untimed run first warms the disk caches.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLL_S = 0.02
SPLASH_MARK = "starting"  # fmnist_gui.qt.shell.splash.TITLE contains it


def visible_titles(display: str) -> list[str]:
    env = dict(os.environ, DISPLAY=display)
    ids = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "Fashion-MNIST"], env=env,
                         capture_output=True, text=True).stdout.split()
    titles = []
    for window in ids:
        name = subprocess.run(["xdotool", "getwindowname", window], env=env, capture_output=True, text=True).stdout.strip()
        titles.append(name)
    return titles


def measure(command: list[str], display: str, env: dict[str, str], limit_s: float) -> tuple[float | None, float | None]:
    """Seconds from launch to the first visible window and to the main window (None: never, within limit_s)."""
    started = time.monotonic()
    app = subprocess.Popen(command, env=env, cwd=env["STARTUP_SOURCE"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    first = full = None
    try:
        while time.monotonic() - started < limit_s and app.poll() is None:
            titles = visible_titles(display)
            now = time.monotonic() - started
            if titles and first is None:
                first = now
            if any(SPLASH_MARK not in title for title in titles):
                full = now
                break
            time.sleep(POLL_S)
    finally:
        if app.poll() is None:
            os.killpg(app.pid, signal.SIGKILL)
        app.wait()
    if full is None and app.returncode not in (None, -signal.SIGKILL):
        print(f"the app ended with {app.returncode}: {app.stderr.read().decode(errors='replace')[-2000:]}", file=sys.stderr)
    return first, full


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--source", type=Path, help="a checkout to run (default: this one)")
    parser.add_argument("--command", help="what to launch (default: this Python -m fmnist_gui)")
    parser.add_argument("--run-app", action="store_true",
                        help="call fmnist_gui.qt.shell.app.run_app() directly, leaving out the command line's parsing")
    parser.add_argument("--limit", type=float, default=60.0, help="seconds to wait for a window")
    args = parser.parse_args()
    for tool in ("Xvfb", "xdotool"):
        if shutil.which(tool) is None:
            print(f"{tool} is not installed (apt-get install xvfb xdotool).", file=sys.stderr)
            return 2
    source = (args.source or Path(__file__).resolve().parents[1]).resolve()
    command = args.command.split() if args.command else [sys.executable, "-m", "fmnist_gui"]
    if args.run_app:
        command = [sys.executable, "-c", "from fmnist_gui.qt.shell.app import run_app; run_app()"]
    read_end, write_end = os.pipe()  # Xvfb picks a free display and writes its number here
    screen = subprocess.Popen(["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(write_end,))
    os.close(write_end)
    with os.fdopen(read_end) as number:
        display = f":{number.readline().strip()}"
    try:
        with tempfile.TemporaryDirectory() as config:
            env = {k: v for k, v in os.environ.items() if k not in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
            env.update(DISPLAY=display, XDG_CONFIG_HOME=config, STARTUP_SOURCE=str(source),  # a throwaway settings file: a first start
                       PYTHONPATH=os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")])))
            deadline = time.monotonic() + 10
            while subprocess.run(["xdotool", "getdisplaygeometry"], env=env, capture_output=True).returncode:
                if time.monotonic() > deadline:
                    print("Xvfb did not start.", file=sys.stderr)
                    return 2
                time.sleep(0.1)
            print(f"{' '.join(command)}  (source {source})")
            measure(command, display, env, args.limit)  # warms the caches; not counted
            results = [measure(command, display, env, args.limit) for _ in range(args.runs)]
    finally:
        screen.terminate()
        screen.wait()
    for number, (first, full) in enumerate(results, 1):
        print(f"run {number}: first window {_s(first)}, main window {_s(full)}")
    firsts = [f for f, _ in results if f is not None]
    fulls = [f for _, f in results if f is not None]
    print(f"median: first window {_s(statistics.median(firsts) if firsts else None)}, "
          f"main window {_s(statistics.median(fulls) if fulls else None)}")
    return 0 if len(fulls) == len(results) else 1


def _s(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


if __name__ == "__main__":
    sys.exit(main())

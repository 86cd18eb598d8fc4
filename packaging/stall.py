"""How long the window's event loop is blocked while a run trains, and what training in the window costs.

Starts the real app in a real X window (under xvfb-run when there is no display), trains a preset
on the real data with every dock at its default place, and records the gaps between the ticks
of a 5 ms timer: the time the event loop could not answer. It prints the longest gap, the 99th
and 95th percentiles, the handlers of the app that took longest, and then the same run's epoch
times headless (`fmnist-gui train`), side by side. Goals: max <= 50 ms, p99 < 16 ms, the window
costing at most 5% of an epoch.

Usage: python packaging/stall.py [--preset default] [--epochs 3] [--size 1500x920] [--no-headless]
About two minutes for the default preset on 2 CPU cores. A timing, so the machine should be quiet.
"""

from __future__ import annotations

import argparse
import functools
import inspect
import json
import os
import pkgutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from virtual_screen import needs_virtual_screen, rerun_under_xvfb

SCREEN = "1600x1000x24"
TICK_MS = 5
# Methods of the app's Qt classes that run in the GUI thread in answer to a run: timed one by one.
TIMED_PREFIXES = ("_on_", "set_", "add_", "show_", "refresh", "_fill", "_show_", "_redraw", "draw_", "paintEvent", "flush")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--no-headless", action="store_true", help="skip the headless run for comparison")
    return parser.parse_args()


class HandlerTimes:
    """Wraps methods of the app's Qt classes to time each call (wall clock, GUI thread)."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = defaultdict(list)
        self.recording = False

    def instrument(self) -> None:
        import fmnist_gui.qt

        for module_info in pkgutil.walk_packages(fmnist_gui.qt.__path__, "fmnist_gui.qt."):
            module = __import__(module_info.name, fromlist=["_"])
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if cls.__module__ != module.__name__:
                    continue
                for name, function in list(vars(cls).items()):
                    if inspect.isfunction(function) and name.startswith(TIMED_PREFIXES):
                        setattr(cls, name, self._timed(f"{cls.__name__}.{name}", function))

    def _timed(self, label: str, function):  # noqa: ANN001, ANN202 - any method
        code = function.__code__
        # Qt passes a slot only as many of a signal's arguments as its signature takes.
        takes = None if code.co_flags & inspect.CO_VARARGS else code.co_argcount

        @functools.wraps(function)
        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            args = args if takes is None else args[:takes]
            if not self.recording:
                return function(*args, **kwargs)
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.calls[label].append(time.perf_counter() - start)

        return timed

    def slowest(self, count: int = 10) -> list[tuple[str, float, int, float]]:
        rows = [(label, max(times), len(times), sum(times)) for label, times in self.calls.items()]
        return sorted(rows, key=lambda row: row[1], reverse=True)[:count]


def run_window(args: argparse.Namespace) -> dict:
    from PySide6.QtCore import Qt, QTimer

    from fmnist_gui.config import preset
    from fmnist_gui.qt.shell.app import create_app
    from fmnist_gui.qt.shell.gui_gc import collect_garbage_in_gui_thread

    handlers = HandlerTimes()
    handlers.instrument()
    from fmnist_gui.qt.shell.main_window import MainWindow

    app = create_app()
    window = MainWindow(data_dir=args.data_dir)
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    window.activateWindow()
    collect_garbage_in_gui_thread(app).freeze_startup()  # as the app does once its window is up
    config = preset(args.preset).replace(epochs=args.epochs)
    ticks: list[float] = []
    epochs: list[float] = []
    outcome: dict = {}

    timer = QTimer()
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))

    def start() -> None:
        if window.data_source.data is None or window.busy:
            return
        poll.stop()
        window.controls.set_config(config)
        window.controls.train_button.click()

    def run_started(_run: object) -> None:
        handlers.recording = True
        ticks.clear()
        timer.start(TICK_MS)

    def run_finished(result: object) -> None:
        timer.stop()
        handlers.recording = False
        outcome["result"] = result
        window.document.unsaved = False  # a measuring run: nothing to keep, nothing to ask
        QTimer.singleShot(500, window.close)

    window.session.run_started.connect(run_started)
    window.session.epoch_finished.connect(lambda record: epochs.append(record.seconds))
    window.session.run_finished.connect(run_finished)
    poll = QTimer()
    poll.timeout.connect(start)
    poll.start(100)
    app.exec()
    window.shutdown()
    gaps = [1000 * (b - a) - TICK_MS for a, b in zip(ticks, ticks[1:])]
    return {"gaps": gaps, "epochs": epochs, "handlers": handlers.slowest(), "result": outcome.get("result")}


def run_headless(args: argparse.Namespace) -> list[float]:
    out = Path(tempfile.mkdtemp(prefix="fmnist-stall-")) / "headless.pt"
    command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", args.preset, "--epochs", str(args.epochs),
               "--json", "--out", str(out)]
    if args.data_dir:
        command += ["--data-dir", args.data_dir]
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE")  # as the window sets it
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    return [json.loads(line)["seconds"] for line in done.stdout.splitlines() if line.startswith("{")]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else float("nan")


def report(window: dict, headless: list[float] | None) -> None:
    gaps = window["gaps"]
    print(f"run: {window['result']}")
    print(f"event-loop gaps over {len(gaps)} ticks of {TICK_MS} ms: max {max(gaps):.1f} ms, "
          f"p99 {percentile(gaps, 0.99):.1f} ms, p95 {percentile(gaps, 0.95):.1f} ms, "
          f"over 16 ms: {sum(g > 16 for g in gaps)}, over 50 ms: {sum(g > 50 for g in gaps)}")
    print("slowest handlers (max ms, calls, total ms):")
    for label, longest, calls, total in window["handlers"]:
        print(f"  {label:<45} {1000 * longest:7.1f} {calls:6d} {1000 * total:9.1f}")
    print("epoch seconds   window  " + "  ".join(f"{s:6.2f}" for s in window["epochs"]))
    if headless:
        print("                headless" + "  ".join(f"{s:6.2f}" for s in headless))
        ratio = statistics.median(window["epochs"]) / statistics.median(headless)
        print(f"window / headless (median epoch): {ratio:.3f}")


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="fmnist-gui-stall-")  # never the user's layout
    os.environ["FMNIST_RUNS"] = tempfile.mkdtemp(prefix="fmnist-gui-stall-runs-")  # nor the user's runs
    window = run_window(args)
    if not window["gaps"]:
        print("The run did not start: is Fashion-MNIST installed (fmnist-gui data)?", file=sys.stderr)
        return 1
    headless = None if args.no_headless else run_headless(args)
    report(window, headless)
    return 0


if __name__ == "__main__":
    sys.exit(main())

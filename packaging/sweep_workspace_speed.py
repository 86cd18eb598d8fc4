"""How the Sweeps workspace copes with big sweeps, in a real window (under xvfb-run when there is no display).

    python packaging/sweep_workspace_speed.py [--repeat 20]

Makes two synthetic journal sweeps (tests/synthetic_sweep.py: Optuna's create_trial and add_trials; four
hyperparameters, four epochs of intermediate values, pruned and failed trials, the definition the
workspace reads) of 10,000 and of 500 trials, opens the workspace on each at 1600x1000 and prints:
- the time from Open to the 10,000 trials shown (the read and the frame, off the GUI thread, then the
  GUI thread's part: table, parallel coordinates, curves, history, painted);
- at 500 trials, the GUI thread's time for a brush on the parallel coordinates (the table, the curves,
  the slices and the scatter follow it, all painted) and for a full redraw of the parallel coordinates.
The target is at most 50 ms of the GUI thread for a brush or a redraw of 500 trials. A timing: run it on
a quiet machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "packaging"))

from virtual_screen import needs_virtual_screen, rerun_under_xvfb  # noqa: E402

SCREEN = "1600x1000x24"


def settle(app, seconds: float = 0.2) -> None:  # noqa: ANN001
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        app.processEvents()
        time.sleep(0.01)


def open_and_wait(app, window, name: str, count: int) -> tuple[float, float]:  # noqa: ANN001
    """Seconds from Open to every trial shown and painted, and the GUI thread's part of it."""
    controller = window.controller
    gui = [0.0]
    on_read = controller._on_read  # noqa: SLF001 - timed where the answer reaches the GUI thread

    def timed(result) -> None:  # noqa: ANN001
        started = time.perf_counter()
        on_read(result)
        app.processEvents()  # the paints the answer asked for
        gui[0] += time.perf_counter() - started

    controller._on_read = timed  # noqa: SLF001
    started = time.perf_counter()
    controller.open(name)  # the read and the frame on a lane, then the views in the GUI thread
    while window.state.frame is None or len(window.state.frame) != count or len(window.views.table.model.rows) != count:
        app.processEvents()
        time.sleep(0.002)
    app.processEvents()
    total = time.perf_counter() - started
    controller._on_read = on_read  # noqa: SLF001
    return total, gui[0]


def gui_time(app, action) -> tuple[float, float]:  # noqa: ANN001
    """Milliseconds the GUI thread took for `action()` and the paints it asked for: on the clock, and on the
    processor (the thread's own CPU time: on a busy machine the clock also counts other processes' turns)."""
    started, cpu = time.perf_counter(), time.thread_time()
    action()
    app.processEvents()
    return 1000 * (time.perf_counter() - started), 1000 * (time.thread_time() - cpu)


def describe(times: list[tuple[float, float]]) -> str:
    wall, cpu = [t[0] for t in times], [t[1] for t in times]
    return (f"median {statistics.median(wall):.1f} ms (CPU {statistics.median(cpu):.1f} ms), slowest {max(wall):.1f} ms "
            f"(CPU {max(cpu):.1f} ms), {len(times)} times")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--big", type=int, default=10_000)
    parser.add_argument("--small", type=int, default=500)
    args = parser.parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)

    from PySide6.QtWidgets import QApplication

    from fmnist_gui.config import preset
    from fmnist_gui.qt.background.tasks import BackgroundWork
    from fmnist_gui.qt.controllers.sweeps import coordinates
    from fmnist_gui.qt.shell.sweeps_window import SweepsWindow
    from fmnist_gui.sweeps import read_sweep
    from fmnist_gui.sweeps.frame import TrialsFrame
    from tests.synthetic_sweep import make_sweep

    app = QApplication([])
    with tempfile.TemporaryDirectory() as folder:
        runs = Path(folder)
        for name, count in (("big", args.big), ("small", args.small)):
            started = time.perf_counter()
            store = make_sweep(runs, name, count)
            print(f"made {name}: {count} trials in {time.perf_counter() - started:.1f} s "
                  f"(journal {store.journal.stat().st_size / 1e6:.1f} MB)")
        started = time.perf_counter()
        snapshot = read_sweep(store, reap=False)
        read = time.perf_counter() - started
        TrialsFrame.of(snapshot)

        work = BackgroundWork()
        window = SweepsWindow(work=work, runs_dir=lambda: runs, data_dir=lambda: None, form=lambda: preset("quickstart"),
                              open_run=print, follow_run=print, set_form=print)
        window.resize(1600, 1000)
        window.show()
        settle(app, 1.0)

        big = args.big
        total, gui = open_and_wait(app, window, "big", big)
        print(f"{big} trials: Open to shown {total:.2f} s, of which the GUI thread {gui * 1000:.0f} ms "
              "(the read and the frame off it)")
        pc = window.views.coordinates
        brushes = [gui_time(app, lambda i=i: pc.brush("lr", 0.1 + 0.02 * (i % 10), 0.6)) for i in range(5)]
        print(f"{big} trials: a brush {describe(brushes)}")
        pc.clear_brushes()
        settle(app, 0.5)

        small = args.small
        total, gui = open_and_wait(app, window, "small", small)
        print(f"{small} trials: Open to shown {total:.2f} s, of which the GUI thread {gui * 1000:.0f} ms")
        print(f"(read_sweep of {small} trials in this process: {read * 1000:.0f} ms)")
        settle(app, 1.0)
        while window.controller._computing:  # noqa: SLF001 - the importances (in a process of their own) arrive
            settle(app, 0.2)
        frame, listed = window.state.frame, window.state.listed
        for tab in ("Curves", "Slices"):
            window.tabs.setCurrentIndex([window.tabs.tabText(i) for i in range(window.tabs.count())].index(tab))
            settle(app, 0.5)
            brushes = [gui_time(app, lambda i=i: pc.brush("lr", 0.05 * (i % 8), 0.5 + 0.05 * (i % 8)))
                       for i in range(args.repeat)]
            print(f"{small} trials, {tab} tab shown: a brush (parallel coordinates, table, curves, slices, scatter) "
                  f"{describe(brushes)}")
        redraws = [gui_time(app, lambda: pc.set_data(coordinates(frame, listed))) for _ in range(args.repeat)]
        print(f"{small} trials: a full redraw of the parallel coordinates (new data; the views follow) {describe(redraws)}")
        pc.clear_brushes()
        settle(app, 0.3)
        alone = []
        for _ in range(args.repeat):
            pc.blockSignals(True)  # the view alone: its rebuild and paint
            alone.append(gui_time(app, lambda: (pc.set_data(coordinates(frame, listed)), pc.repaint())))
            pc.blockSignals(False)
        print(f"{small} trials: the parallel coordinates alone, rebuilt and painted {describe(alone)}")
        window.shut_down()
        work.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())

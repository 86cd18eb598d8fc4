"""Screenshots of the Sweeps workspace during a real sweep on the real data, and of the runs comparison room.

Opens the real window (under xvfb-run when there is no display) with a throwaway runs folder, opens
Run → Sweeps…, fills New sweep… (lr and weight_decay on log ranges, the quickstart preset) and starts
2 workers from the window; shoots the workspace while they run, then once the sweep is finished: the
parallel coordinates brushed, the importances, the slices; then the best trials side by side in the
comparison room. Each picture is also taken at 1280x800 into --check (not docs) to see that nothing is
clipped there. A few minutes on 2 cores.
Usage: python packaging/screenshot_sweeps.py [--out docs] [--trials 10] [--epochs 2] [--workers 2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, step_through, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"
BIG, SMALL = (1600, 1000), (1280, 800)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--check", default=str(Path(tempfile.gettempdir()) / "sweeps-1280"))
    parser.add_argument("--trials", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--timeout", type=float, default=1200, help="seconds the sweep may take")
    return parser.parse_args()


def shoot(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QWidget

    from fmnist_gui.qt.common import dialogs
    from fmnist_gui.qt.common.sweep_dialogs import NewSweepDialog

    out, check = Path(args.out), Path(args.check)
    for folder in (out, check):
        folder.mkdir(parents=True, exist_ok=True)
    dialogs.confirm = lambda *a, **k: False  # no question over the pictures
    dialogs.stop_or_leave = lambda *a, **k: "stop"
    app, window = open_window("1500x920", args.data_dir)
    steps: list = []
    started = time.monotonic()
    next_step = step_through(app, window, steps, pause_ms=600, ready=lambda: window.data_source.data is not None)

    def picture(widget: QWidget, name: str) -> None:
        """`name`.png in --out at 1600x1000, and the same at 1280x800 in --check."""
        for size, folder in ((SMALL, check), (BIG, out)):
            widget.resize(*size)
            for _ in range(5):
                app.processEvents()
            time.sleep(0.3)
            app.processEvents()
            widget.grab().save(str(folder / f"{name}.png"))
        print(f"  {name}.png at {time.monotonic() - started:.0f} s", flush=True)

    def new_sweep() -> int:
        workspace = window.open_sweeps()
        workspace.resize(*BIG)
        form = window.controls.config().replace(lr=0.01)
        dialog = NewSweepDialog(form, window._data_folder(), workspace)
        rows = {row.name: row for row in dialog.rows}
        rows["lr"].low.setText("1e-3")
        rows["lr"].high.setText("0.3")
        rows["weight_decay"].vary.setChecked(True)
        dialog.name.setText("lr-and-decay")
        dialog.trials.setValue(args.trials)
        dialog.epochs.setValue(args.epochs)
        dialog.workers.setValue(args.workers)
        dialog.show()
        app.processEvents()
        dialog.grab().save(str(out / "sweeps-new.png"))
        request = dialog.request()
        dialog.close()
        workspace.controller.create(request)
        return 3000

    def until(condition, then_wait: int = 500):  # noqa: ANN001, ANN202
        def step() -> int:
            if not condition():
                if time.monotonic() - started > args.timeout:
                    raise SystemExit("the sweep took too long")
                steps.insert(0, step)
                return 2000
            return then_wait
        return step

    def workspace():  # noqa: ANN202
        assert window.sweeps_window is not None
        return window.sweeps_window

    def snapshot():  # noqa: ANN202
        return workspace().state.snapshot

    def live() -> bool:
        shot = snapshot()
        return shot is not None and shot.tally.counted >= max(3, args.trials // 2) and shot.tally.running > 0

    def finished() -> bool:
        shot = snapshot()
        return shot is not None and shot.finished and workspace().workers.running == 0

    def tab(name: str) -> None:
        tabs = workspace().tabs
        tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index(name))

    def brushed() -> None:
        tab("Curves")
        workspace().views.coordinates.brush("value", 0.55, 1.0)  # the better trials: what do they share?

    def best_runs() -> None:
        shot = snapshot()
        complete = sorted((t for t in shot.trials if t.state == "COMPLETE" and t.run), key=lambda t: -(t.value or 0))
        room = window.open_runs_room([trial.run for trial in complete[:4]])
        room.resize(*BIG)

    def room_metric(key: str):  # noqa: ANN202
        return lambda: window.runs_room.view.choose_metric(key)

    steps += [
        new_sweep,
        until(live, 1000),
        lambda: picture(workspace(), "sweeps-live"),
        until(finished, 3000),
        brushed,
        lambda: 1000,
        lambda: picture(workspace(), "sweeps-brushed"),
        lambda: tab("Importance"),
        lambda: picture(workspace(), "sweeps-importance"),
        lambda: tab("Slices"),
        lambda: picture(workspace(), "sweeps-slices"),
        best_runs,
        lambda: 3000,
        room_metric("test_loss"),
        lambda: 2000,
        lambda: picture(window.runs_room, "runs-room"),
        room_metric("class_6"),
        lambda: 1000,
        lambda: picture(window.runs_room, "runs-room-shirt"),
    ]
    next_step()
    app.exec()
    window.shutdown()
    print(f"wrote the pictures in {out}, and at 1280x800 in {check}")
    return 0


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    use_throwaway_settings_and_runs(tempfile.mkdtemp(prefix="fmnist-gui-sweep-runs-"))
    return shoot(args)


if __name__ == "__main__":
    sys.exit(main())

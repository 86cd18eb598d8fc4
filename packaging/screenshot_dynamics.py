"""Screenshots of the training dynamics: the data map (and a hovered point), and the other dynamics docks.

Trains a preset on the real data from the command line into a throwaway runs folder, opens the
real window (under xvfb-run when there is no display) with the run's last checkpoint, waits for
its dynamics and writes docs/view-data-map.png and docs/view-data-map-hover.png; then, for each
of the docks "suspects", "pinned" (after pinning four suspects) and "forgetting" that the window
has, docs/view-<key>.png. A few minutes on 2 cores.
Usage: python packaging/screenshot_dynamics.py [--out docs] [--preset default] [--epochs 3] [--runs FOLDER]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, step_through, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"
OTHER_DOCKS = ("suspects", "pinned", "forgetting")  # shot when the window has them
PINS = 4


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--data-dir")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT")
    parser.add_argument("--runs", help="a runs folder already holding a run: shoot its newest run, train nothing")
    return parser.parse_args()


def newest_checkpoint(runs: Path) -> Path:
    folders = [p for p in runs.iterdir() if p.is_dir() and (p / "run.json").is_file()]
    newest = max(folders, key=lambda p: p.stat().st_mtime)
    return max((newest / "checkpoints").glob("epoch-*.pt"))


def shoot(args: argparse.Namespace, checkpoint: Path) -> int:
    from PySide6.QtCore import QTimer

    from fmnist_gui.qt.common import dialogs
    from fmnist_gui.qt.shell.docks import raise_dock

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dialogs.confirm = lambda *a, **k: False  # no recovery question over the pictures
    app, window = open_window(args.size, args.data_dir)
    written: list[str] = []
    steps = []

    next_step = step_through(app, window, steps, pause_ms=600, ready=lambda: window.data_source.data is not None)

    def save(name: str) -> None:
        path = out / f"{name}.png"
        window.grab().save(str(path))
        written.append(path.name)

    def open_run() -> int:
        window.files.open_path(str(checkpoint))
        raise_dock(window.docks, "data_map")
        return 1500

    def wait_for_map() -> int:
        if window.dynamics_model.summary is None:
            steps.insert(0, wait_for_map)
            return 500
        return 800

    def hover_a_hard_image() -> int:
        view = window.data_map
        summary = window.dynamics_model.summary
        index = summary.suspects[0].index if summary.suspects else int(np.nanargmin(view.y))
        view.hover_at(float(view.x[index]), float(view.y[index]))
        return 400

    def select_hard_corner() -> int:
        from PySide6.QtCore import QRectF

        view = window.data_map
        view.select_rectangle(QRectF(0.0, 0.0, 0.2, 0.3))
        return 800

    def pin_suspects() -> None:
        summary = window.dynamics_model.summary
        # Two suspects (never learned) and two images the model learned, forgot and learned again.
        forgotten = np.flatnonzero(summary.statistics.forgetting > 0)
        relearned = [int(i) for i in forgotten if summary.statistics.correctness[i] > 0.5][: PINS // 2]
        for index in [s.index for s in summary.suspects[: PINS - len(relearned)]] + relearned:
            window.dynamics.pin("train", index)

    def other_docks() -> None:
        for key in OTHER_DOCKS:
            if key in window.docks:
                steps.insert(0, lambda key=key: save(f"view-{key}"))
                steps.insert(0, lambda key=key: (raise_dock(window.docks, key), 1500)[1])

    steps += [open_run, wait_for_map, select_hard_corner, lambda: save("view-data-map"),
              hover_a_hard_image, lambda: save("view-data-map-hover"), pin_suspects, other_docks]
    QTimer.singleShot(500, next_step)
    app.exec()
    window.shutdown()
    print(f"wrote {', '.join(written)} in {out}")
    return 0


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    runs = Path(args.runs) if args.runs else Path(tempfile.mkdtemp(prefix="fmnist-gui-runs-"))
    use_throwaway_settings_and_runs(str(runs))
    if not args.runs:
        command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", args.preset, "--epochs", str(args.epochs),
                   "--runs-dir", str(runs), "--name", f"{args.preset}, {args.epochs} epochs"]
        subprocess.run(command + (["--data-dir", args.data_dir] if args.data_dir else []), check=True, stdout=subprocess.DEVNULL)
    return shoot(args, newest_checkpoint(runs))


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of runs as the unit: the Runs table, three seeds as a band, the epoch timeline, follow mode.

Trains three seeds of a preset from the command line into a throwaway runs folder, opens the real
window on them (under xvfb-run when there is no display), and writes docs/runs-*.png. Then starts
one more run from the command line and shoots the window following it. A few minutes on 2 cores.
Usage: python packaging/screenshot_runs.py [--out docs] [--preset default] [--epochs 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, step_through, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="docs")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--data-dir")
    parser.add_argument("--size", default="1500x920")
    return parser.parse_args()


def train_command(args: argparse.Namespace, seed: int, runs: Path) -> list[str]:
    command = [sys.executable, "-m", "fmnist_gui", "train", "--preset", args.preset, "--epochs", str(args.epochs),
               "--seed", str(seed), "--runs-dir", str(runs), "--name", f"{args.preset} seed {seed}"]
    return command + (["--data-dir", args.data_dir] if args.data_dir else [])


def shoot(args: argparse.Namespace, runs: Path) -> int:
    from PySide6.QtCore import QTimer

    from fmnist_gui.qt.common import dialogs

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    dialogs.confirm = lambda *a, **k: False  # no recovery question over the pictures
    app, window = open_window(args.size, args.data_dir)
    follower: list[subprocess.Popen] = []
    steps = []

    def wait_for_followed_runs() -> None:
        for process in follower:
            process.wait()

    next_step = step_through(app, window, steps, pause_ms=600, ready=lambda: window.data_source.data is not None,
                             at_end=wait_for_followed_runs)

    def select_all_grouped() -> None:
        window.docks["runs"].raise_()
        window.docks["curves"].raise_()
        window.runs_view.group.setChecked(True)
        window.runs_view.table.selectAll()

    def open_first() -> None:
        window.runs_view.table.clearSelection()
        window.runs.open_run(window.runs.runs[-1].folder)

    def timeline() -> int:
        window.docks["timeline"].raise_()
        window.timeline.slider.setValue(0)
        return 1500

    def compare() -> None:
        window.views.samples.tiles[next((i for i, t in enumerate(window.views.samples.tiles) if t.correct is False), 0)].clicked.emit()
        window.timeline.compare.setCurrentIndex(window.timeline.compare.count() - 1)
        window.timeline.compare.activated.emit(window.timeline.compare.currentIndex())

    def start_followed_run() -> int:
        follower.append(subprocess.Popen(train_command(args, 7, runs), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        return 8000

    def follow() -> int:
        newest = max((p for p in runs.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.stat().st_mtime)
        window.document.unsaved = False
        window.following.follow(newest)
        return 1000

    def wait_for_first_epoch() -> int:
        if len(window.plots.test_accuracy.series.x) < 1:
            steps.insert(0, wait_for_first_epoch)
            return 1000
        window.docks["curves"].raise_()
        return 1500

    steps += [
        lambda: window.docks["runs"].raise_(),
        lambda: window.grab().save(str(out / "runs-table.png")),
        select_all_grouped,
        lambda: 1500,
        lambda: window.grab().save(str(out / "runs-seeds-band.png")),
        open_first,
        timeline,
        compare,
        lambda: 1500,
        lambda: window.grab().save(str(out / "runs-timeline.png")),
        start_followed_run,
        follow,
        wait_for_first_epoch,
        lambda: window.grab().save(str(out / "runs-follow.png")),
    ]
    QTimer.singleShot(500, next_step)
    app.exec()
    window.shutdown()
    print(f"wrote {', '.join(sorted(p.name for p in out.glob('runs-*.png')))} in {out}")
    return 0


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(SCREEN)
    runs = Path(tempfile.mkdtemp(prefix="fmnist-gui-runs-"))
    use_throwaway_settings_and_runs(str(runs))
    for seed in (0, 1, 2):
        subprocess.run(train_command(args, seed, runs), check=True, stdout=subprocess.DEVNULL)
    return shoot(args, runs)


if __name__ == "__main__":
    sys.exit(main())

"""How long the window's Compare view takes on the full test set: from File → Compare with… to the verdict and the
matrix, and to the saliency maps of the images listed. Real data, two checkpoints (trained now unless given).

    python packaging/compare_speed.py [--a A.pt --b B.pt] [--out docs]   # --out: also a picture of the view

A timing: run it on a quiet machine. Without a display it starts itself again under xvfb-run.
"""

from __future__ import annotations

import argparse
import sys
import time

from screenshot_presenter import trained
from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, use_throwaway_settings_and_runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--a")
    parser.add_argument("--b")
    parser.add_argument("--out", help="save a picture of the Compare view (view-compare.png) in this folder")
    args = parser.parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb("1600x1000x24")
    use_throwaway_settings_and_runs()
    a = trained(args.a, "small-cnn", ["--preset", "default", "--epochs", "2"])
    b = trained(args.b, "quickstart-mlp", ["--preset", "quickstart", "--optimizer", "adamw", "--epochs", "2"])
    app, window = open_window("1500x920")
    while window.data_source.data is None or window.busy:
        app.processEvents()
    window.files.open_path(a)
    while window.predictions.test is None or window.predictions.test.probabilities is None or window.busy:
        app.processEvents()
    started = time.perf_counter()
    window.compare.compare_with_file(b)
    while window.comparison.result is None:
        app.processEvents()
    shown = time.perf_counter() - started
    view = window.compare_view
    while len(view.tiles.saliency) < len(view.tiles.tiles):
        app.processEvents()
    explained = time.perf_counter() - started
    result = window.comparison.result
    print(f"{result.size:,} test images, {len(result.disagreements):,} disagreements: verdict and matrix after "
          f"{shown:.2f} s (model B read and run on the test set, McNemar, the bootstrap); the saliency maps of the "
          f"{len(view.tiles.tiles)} listed images after {explained:.2f} s.\n{view.verdict.text()}")
    if args.out:
        from pathlib import Path

        cell = result.disagreement_matrix
        window.raise_dock("compare")
        for _ in range(50):
            app.processEvents()
        window.docks["compare"].grab().save(str(Path(args.out) / "view-compare.png"))
        row, column = divmod(int(cell.argmax()), cell.shape[1])
        view.matrix.cellClicked.emit(row, column)
        while len(view.tiles.saliency) < len(view.tiles.tiles):
            app.processEvents()
        window.docks["compare"].grab().save(str(Path(args.out) / "view-compare-cell.png"))
    window.document.unsaved = False
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

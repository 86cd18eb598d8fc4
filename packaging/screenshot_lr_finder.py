"""A screenshot of the learning-rate finder's dialog after a real search on the real data.

Opens the app, clicks the form's Find… with a preset's values and saves the dialog once the
search is over (docs/view-lr-finder.png); with --window, the whole screen too, for a look at
the form. Without a display it starts itself again under xvfb-run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", help="folder for the PNG file")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT (logical pixels)")
    parser.add_argument("--screen", default=SCREEN, help="the virtual screen when there is no display, WxHxDEPTH")
    parser.add_argument("--window", metavar="FILE", help="also save the whole screen, dialog over the window, to FILE")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(args.screen)
    use_throwaway_settings_and_runs()
    return take_screenshot(args)


def take_screenshot(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer

    from fmnist_gui.config import preset

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app, window = open_window(args.size, args.data_dir)
    outcome: dict[str, object] = {}

    def start() -> None:
        if window.data_source.data is None:
            if not window.busy:
                outcome["error"] = "no data: " + window.data_banner.text()
                app.quit()
            return
        poll.stop()
        window.controls.set_config(preset(args.preset))
        window.controls.find_lr.click()

    def finished(result: object) -> None:
        outcome["result"] = result
        QTimer.singleShot(500, shoot)  # let the last repaint land

    def shoot() -> None:
        dialog = window.lr_finding.dialog
        dialog.grab().save(str(out / "view-lr-finder.png"))
        if args.window:
            app.primaryScreen().grabWindow(0).save(args.window)
        dialog.close()
        window.close()
        app.quit()

    window.lr_finding.search_finished.connect(finished)
    poll = QTimer()
    poll.timeout.connect(start)
    poll.start(200)
    app.exec()
    window.shutdown()
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return 1
    result = outcome.get("result")
    print(f"{getattr(result, 'message', result)}\nwrote {out / 'view-lr-finder.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Screenshots of the real app after a real training run: `make screenshot` refreshes docs/.

Runs on the current display; without one it starts itself again under xvfb-run (Debian's
xvfb), so the window is drawn by the real xcb platform plugin.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs", help="folder for the PNG files")
    parser.add_argument("--preset", default="default")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", help="override the preset's model")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT")
    return parser.parse_args()


def needs_virtual_screen() -> bool:
    return not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        if shutil.which("xvfb-run") is None:
            print("No display and no xvfb-run: install xvfb (sudo apt-get install xvfb).", file=sys.stderr)
            return 2
        command = ["xvfb-run", "-a", "-s", f"-screen 0 {SCREEN}", sys.executable, *sys.argv]
        return subprocess.call(command)
    # A throwaway settings folder: the screenshot never depends on, or changes, the user's.
    os.environ["XDG_CONFIG_HOME"] = tempfile.mkdtemp(prefix="fmnist-gui-shot-")
    return take_screenshots(args)


def take_screenshots(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer

    from fmnist_gui.config import preset
    from fmnist_gui.qt.app import create_app
    from fmnist_gui.qt.main_window import MainWindow

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    app = create_app()
    window = MainWindow(data_dir=args.data_dir)
    width, height = (int(v) for v in args.size.split("x"))
    window.resize(width, height)
    window.show()
    config = preset(args.preset).replace(epochs=args.epochs)
    if args.model:
        config = config.replace(model=args.model)
    outcome: dict[str, object] = {}

    def start() -> None:
        if window.data is None:
            if not window.busy:
                outcome["error"] = "no data: " + window.data_banner.text()
                app.quit()
            return
        starter.stop()
        window.controls.set_config(config)
        window.controls.train_button.click()

    def finished(result: object) -> None:
        outcome["result"] = result
        QTimer.singleShot(1500, shoot)  # let the last redraw and the predictions land

    def shoot() -> None:
        window.grab().save(str(out / "screenshot.png"))
        wrong = next((i for i, t in enumerate(window.samples.tiles) if t.correct is False), 0)
        window.samples.tiles[wrong].clicked.emit()
        QTimer.singleShot(500, shoot_detail)

    def shoot_detail() -> None:
        window.detail.grab().save(str(out / "screenshot-sample.png"))
        window.close()
        app.quit()

    window.session.run_finished.connect(finished)
    starter = QTimer()
    starter.timeout.connect(start)
    starter.start(200)
    app.exec()
    window.shutdown()
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return 1
    print(f"{outcome.get('result')}\nwrote {out / 'screenshot.png'} and {out / 'screenshot-sample.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A screenshot of the curves after a real run whose learning rate was changed while paused.

Trains the default preset on the real data, pauses in the first epoch, lowers the one-cycle peak
through the form as a person would, resumes and grabs the curves dock at the end:
docs/view-paused-change.png. Also grabs the form showing a refused value (--form-shot PATH).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from virtual_screen import needs_virtual_screen, open_window, rerun_under_xvfb, use_throwaway_settings_and_runs

SCREEN = "1600x1000x24"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="docs/view-paused-change.png")
    parser.add_argument("--form-shot", help="also save the form with a refused value here")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--pause-at", type=int, default=180, help="pause after this batch of epoch 1")
    parser.add_argument("--new-lr", default="3e-3", help="typed into the learning-rate field while paused")
    parser.add_argument("--data-dir", help="folder with the IDX files (default: where the app finds them)")
    parser.add_argument("--size", default="1500x920", help="window size, WIDTHxHEIGHT (logical pixels)")
    parser.add_argument("--screen", default=SCREEN, help="the virtual screen when there is no display, WxHxDEPTH")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    if needs_virtual_screen():
        return rerun_under_xvfb(args.screen)
    use_throwaway_settings_and_runs()
    return shoot(args)


def shoot(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer

    from fmnist_gui.config import preset
    from fmnist_gui.qt.state.run_state import RunState

    app, window = open_window(args.size, args.data_dir)
    controls = window.controls
    outcome: dict[str, object] = {}

    def start() -> None:
        if window.data_source.data is None:
            if not window.busy:
                outcome["error"] = "no data: " + window.data_banner.text()
                app.quit()
            return
        poll.stop()
        controls.set_config(preset("default").replace(epochs=args.epochs))
        controls.train_button.click()

    def maybe_pause(record) -> None:
        if "paused" not in outcome and record.epoch == 1 and record.batch >= args.pause_at:
            outcome["paused"] = True
            controls.pause_button.click()

    def on_state(state: RunState) -> None:
        if state is RunState.PAUSED:
            QTimer.singleShot(300, edit_and_resume)

    def edit_and_resume() -> None:
        controls.lr.lineEdit().setText("0")  # refused: explained beside the field, Resume waits
        if args.form_shot:
            window.docks["controls"].grab().save(args.form_shot)
        outcome["refused"] = controls.field_problems["lr"].text() if not controls.pause_button.isEnabled() else ""
        controls.lr.lineEdit().setText(args.new_lr)
        controls.pause_button.click()

    def finished(result: object) -> None:
        outcome["result"] = result
        QTimer.singleShot(800, grab)

    def grab() -> None:
        if window.busy:
            QTimer.singleShot(200, grab)
            return
        window.plots.flush()
        window.docks["curves"].raise_()
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        window.docks["curves"].grab().save(args.out)
        window.document.unsaved = False  # a screenshot run: nothing to keep, so nothing to ask
        window.close()
        app.quit()

    window.session.batch_finished.connect(maybe_pause)
    window.session.state_changed.connect(on_state)
    window.session.run_finished.connect(finished)
    poll = QTimer()
    poll.timeout.connect(start)
    poll.start(200)
    app.exec()
    window.shutdown()
    if "error" in outcome:
        print(outcome["error"], file=sys.stderr)
        return 1
    print(f"{outcome.get('result')}\nrefused while paused: {outcome.get('refused')!r}\n"
          f"markers: {window.plots.change_markers.labels()}\nwrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

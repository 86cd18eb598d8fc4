"""The command line: the GUI by default; train, evaluate, predict, devices and data headless."""

from __future__ import annotations

import argparse
import difflib
import errno
import json
import math
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

# Only torch-free modules at the top and in build_parser: `fmnist-gui --help` must answer at once.
from fmnist_gui import __version__
from fmnist_gui.names import JSON_SCHEMA, MODEL_NAMES, OPTIMIZERS, PRESET_NAMES, SCHEDULES

EXIT_FAILURE = 1  # the command ran and failed: a bad file, a missing device, a full disk …
EXIT_USAGE = 2  # the command line itself is wrong, as argparse reports it
EXIT_INTERRUPTED = 130  # 128 + SIGINT; SIGTERM and SIGHUP give 143 and 129
COMMANDS = ("gui", "train", "lr-find", "runs", "datamap", "evaluate", "predict", "devices", "data", "export", "completion",
            "install-desktop", "uninstall-desktop")
SHELLS = ("bash", "zsh")
# What shtab completes a path argument with (shtab.FILE and shtab.DIRECTORY), spelt out so that
# building the parser needs no shtab.
FILE = {"bash": "_shtab_compgen_files", "zsh": "_files"}
FOLDER = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"}

EPILOG = """\
With no command, or with a checkpoint or run folder, the window opens; the commands run headless.

environment:
  FMNIST_DATA         folder holding the Fashion-MNIST IDX files, looked in after --data-dir
  FMNIST_ALLOW_SMALL  set to 1 to accept data sets smaller than Fashion-MNIST (tests, quick trials)
  FMNIST_RUNS         where runs are recorded, after --runs-dir (default ~/.local/share/fmnist-gui/runs)

exit codes:
  0  done;  1  the command failed (a bad file, a missing device, a full disk …);
  2  the command line is wrong;  130, 143, 129  stopped by SIGINT (Ctrl+C), SIGTERM, SIGHUP
"""


class UsageError(Exception):
    """An option value the command cannot use: reported like argparse's own errors, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad option is one line on stderr and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"fmnist-gui: error: {message} (see {self.prog} --help)\n")


def _path(action: argparse.Action, kind: dict[str, str] = FILE) -> argparse.Action:
    """Mark an argument as a file (or folder) for shell completion."""
    action.complete = kind  # type: ignore[attr-defined]  # read by shtab
    return action


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fmnist-gui", description="Train, watch and demo Fashion-MNIST models.", epilog=EPILOG,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fmnist-gui {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    gui = commands.add_parser("gui", help="open the app (the default)")
    _path(gui.add_argument("checkpoint", nargs="?", help="a checkpoint or run folder to open"))

    train = commands.add_parser("train", help="train headless, recorded in a run folder")
    _path(train.add_argument("--out", help="also save the final checkpoint to this file (.pt)"))
    train.add_argument("--preset", choices=PRESET_NAMES, default="default", help="starting values; options below override them")
    train.add_argument("--model", choices=MODEL_NAMES)
    train.add_argument("--optimizer", choices=OPTIMIZERS)
    train.add_argument("--lr", type=float, help="learning rate (the peak rate for one-cycle)")
    train.add_argument("--momentum", type=float, help="SGD momentum")
    train.add_argument("--batch-size", type=int)
    train.add_argument("--epochs", type=int, help="epochs to reach in total (counting a resumed checkpoint's)")
    train.add_argument("--weight-decay", type=float)
    train.add_argument("--schedule", choices=SCHEDULES)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", type=_device_name, help="cpu, cuda, cuda:N or mps (see `fmnist-gui devices`)")
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None, help="random flips and shifts")
    _path(train.add_argument("--resume", metavar="FILE", help="continue from this checkpoint, or from a run folder's last state"))
    train.add_argument("--json", action="store_true", help="print one JSON object per epoch")
    _path(train.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)
    _path(train.add_argument("--runs-dir", help="where runs are recorded (default: $FMNIST_RUNS, else ~/.local/share/fmnist-gui/runs)"), FOLDER)
    train.add_argument("--no-record", action="store_true", help="do not record this run in a run folder")
    train.add_argument("--keep", type=_positive, default=50, metavar="N", help="epoch snapshots a run folder keeps "
                       "at most (the first, the best and the last always; default 50)")
    train.add_argument("--name", help="the run's name in the runs list")

    finder = commands.add_parser("lr-find", help="suggest a learning rate: a short run with a rising rate (Smith's range test)",
                                 description="Train a fresh model for a few hundred batches while the rate rises from 1e-7 "
                                 "to 10, and suggest the rate where the smoothed loss falls fastest. No run is recorded.")
    finder.add_argument("--preset", choices=PRESET_NAMES, default="default", help="starting values; options below override them")
    finder.add_argument("--model", choices=MODEL_NAMES)
    finder.add_argument("--optimizer", choices=OPTIMIZERS)
    finder.add_argument("--batch-size", type=int)
    finder.add_argument("--weight-decay", type=float)
    finder.add_argument("--momentum", type=float, help="SGD momentum")
    finder.add_argument("--seed", type=int)
    finder.add_argument("--device", type=_device_name, help="cpu, cuda, cuda:N or mps (see `fmnist-gui devices`)")
    _path(finder.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)
    finder.add_argument("--json", action="store_true", help="print one JSON object with every point and the suggestion")

    runs = commands.add_parser("runs", help="list the recorded runs, or write their metrics as CSV")
    _path(runs.add_argument("--runs-dir", help="the runs folder (default: $FMNIST_RUNS, else ~/.local/share/fmnist-gui/runs)"), FOLDER)
    output = runs.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print one JSON object with every run")
    _path(output.add_argument("--csv", metavar="FILE", help="write the metrics of the runs named (default: all) to FILE, "
                              "one row per run, epoch and metric"))
    _path(runs.add_argument("names", nargs="*", metavar="RUN", help="with --csv: a run's folder, folder name or name"), FOLDER)

    datamap = commands.add_parser("datamap", help="a run's training images whose labels look wrong, from its training dynamics",
                                  description="The training images a recorded run kept disputing: hard to learn (a low, "
                                  "steady probability of their label) and predicted as one other class in most epochs, "
                                  "most suspicious first. Often mislabelled; worth a look.")
    _path(datamap.add_argument("run", metavar="RUN", help="a run's folder, folder name or name (see `fmnist-gui runs`)"), FOLDER)
    datamap.add_argument("--top", type=_positive, default=20, metavar="K", help="how many suspects to list (default 20)")
    datamap.add_argument("--json", action="store_true", help="print one JSON object")
    _path(datamap.add_argument("--runs-dir", help="the runs folder (default: $FMNIST_RUNS, else ~/.local/share/fmnist-gui/runs)"), FOLDER)

    evaluate = commands.add_parser("evaluate", help="test loss and accuracy of a checkpoint")
    _path(evaluate.add_argument("checkpoint"))
    evaluate.add_argument("--json", action="store_true", help="print one JSON object")
    evaluate.add_argument("--device", type=_device_name, default="cpu")
    _path(evaluate.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)

    predict = commands.add_parser("predict", help="the top 3 classes for image files")
    _path(predict.add_argument("checkpoint"))
    _path(predict.add_argument("images", nargs="+", metavar="IMAGE"))
    predict.add_argument("--json", action="store_true", help="print one JSON object per image")

    devices = commands.add_parser("devices", help="the devices torch can use here")
    devices.add_argument("--json", action="store_true", help="print one JSON object")
    data = commands.add_parser("data", help="where Fashion-MNIST is found, after checking it")
    _path(data.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)

    export = commands.add_parser("export", help="a checkpoint as ONNX (checked against PyTorch) and/or a Markdown model card")
    _path(export.add_argument("checkpoint"))
    _path(export.add_argument("--onnx", metavar="FILE", help="ONNX model to write: [0, 1] pixels in, probabilities out"))
    _path(export.add_argument("--card", metavar="FILE", help="Markdown model card to write, after evaluating on the test set"))
    _path(export.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)
    export.add_argument("--no-check", action="store_true", help="skip running the ONNX model on the test set")

    completion = commands.add_parser("completion", help="print a shell completion script",
                                     description="Print a completion script for bash or zsh. For bash: "
                                     "fmnist-gui completion bash > ~/.local/share/bash-completion/completions/fmnist-gui")
    completion.add_argument("shell", choices=SHELLS)

    install = commands.add_parser("install-desktop", help="add the app, its icon and the checkpoint file type to your desktop")
    _path(install.add_argument("--data-home", help="install under this folder instead of $XDG_DATA_HOME (~/.local/share)"), FOLDER)
    uninstall = commands.add_parser("uninstall-desktop", help="remove what install-desktop added")
    _path(uninstall.add_argument("--data-home", help="the folder install-desktop used"), FOLDER)
    return parser


def _device_name(text: str) -> str:
    """argparse type for --device: a malformed name is a usage error, as a bad number is."""
    from fmnist_gui.devices import check_device_syntax
    from fmnist_gui.errors import UserFacingError

    try:
        check_device_syntax(text)
    except UserFacingError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def _positive(text: str) -> int:
    """argparse type for counts: a whole number from 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, not {text!r}")
    return value


def prefer_sleeping_threads() -> None:
    """Make torch's OpenMP threads sleep, not spin, while they wait for work.

    Spinning threads fight the GUI thread for the cores; on a 2-core machine that made a run
    in the app three times slower. It must be set before torch is first imported.
    """
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def main(argv: Sequence[str] | None = None) -> int:
    """The `fmnist-gui` console command: the window with no command or with a file, else a headless command."""
    from fmnist_gui.errors import UserFacingError

    _give_missing_streams_a_sink()
    parser = build_parser()
    arguments = _with_default_command(list(sys.argv[1:] if argv is None else argv), parser)
    if arguments[0] == "gui":
        prefer_sleeping_threads()
    args = parser.parse_args(arguments)
    handlers = {"train": _train, "lr-find": _lr_find, "runs": _runs, "datamap": _datamap, "evaluate": _evaluate,
                "predict": _predict, "devices": _devices,
                "data": _data, "export": _export, "completion": _completion,
                "install-desktop": _install_desktop, "uninstall-desktop": _uninstall_desktop}
    try:
        if args.command in (None, "gui"):  # None: `fmnist-gui --`
            from fmnist_gui.qt.shell.app import run_app

            return run_app(getattr(args, "checkpoint", None))
        return handlers[args.command](args)
    except UsageError as exc:
        parser.error(str(exc))  # one line, exit code 2
    except UserFacingError as exc:
        say_error(str(exc))
        return EXIT_FAILURE
    except OSError as exc:  # writing the output failed: a full disk, a closed pipe
        if exc.errno == errno.EPIPE:
            return 0  # the reader left early, as `| head` does
        say_error(f"cannot write the output: {exc.strerror or exc}.")
        return EXIT_FAILURE
    except KeyboardInterrupt as exc:  # Ctrl+C outside training, or twice during it: no traceback
        say_error("interrupted; nothing was saved." if args.command == "train" else "interrupted.")
        return 128 + getattr(exc, "signum", signal.SIGINT)
    finally:
        _quiet_closed_stdout()


def main_window(argv: Sequence[str] | None = None) -> int:
    """The `fmnist-gui-window` GUI launcher: always the window, optionally opening one checkpoint or run folder.

    On Windows a GUI launcher starts without a console (sys.stdout and sys.stderr are None), so it
    never runs the headless commands; `fmnist-gui` is their console entry point.
    """
    return main(["gui", *(sys.argv[1:] if argv is None else argv)])


def _with_default_command(arguments: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """The command line with `gui` put first where no command is named.

    `fmnist-gui` alone and `fmnist-gui model.pt` (as a file manager or the .desktop entry runs it)
    open the window; a first word that is neither a command nor an existing file is a usage error,
    so `fmnist-gui devics` names the commands instead of opening a window on a missing file.
    """
    if not arguments:
        return ["gui"]
    first = arguments[0]
    if first.startswith("-") or first in COMMANDS:
        return arguments
    if os.path.exists(first):
        return ["gui", *arguments]
    from fmnist_gui.safe_text import printable

    close = difflib.get_close_matches(first, COMMANDS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    parser.error(f"{printable(first)!r} is neither a command nor an existing file{hint}; the commands are {', '.join(COMMANDS)}")


def _give_missing_streams_a_sink() -> None:
    """A process without a console (a Windows GUI launcher, pythonw) has None for sys.stdout and sys.stderr:
    writes to them go nowhere instead of raising."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives as long as the process


def say_error(message: str, kind: str = "error") -> None:
    """The one line a failure (or, with kind "warning", a warning) prints on stderr, whatever the message holds."""
    from fmnist_gui.safe_text import printable, say

    say(f"fmnist-gui: {kind}: {printable(message)}", sys.stderr)


def _quiet_closed_stdout() -> None:
    """A reader that left early (`| head`) is not an error: send what is still buffered nowhere."""
    try:
        sys.stdout.flush()
    except (OSError, ValueError):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass


def _train_config(args: argparse.Namespace, base: Any) -> Any:
    """The preset's (or resumed checkpoint's) config with every option given on the line applied."""
    overrides = {name: getattr(args, name) for name in base.to_dict() if getattr(args, name, None) is not None}
    return base.replace(**overrides)


def _train(args: argparse.Namespace) -> int:
    from fmnist_gui.checkpoint import check_save_target, load_checkpoint, refuse_to_replace_other_files
    from fmnist_gui.config import ConfigError, preset
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.devices import resolve_device
    from fmnist_gui.engine import FinishReason, Trainer
    from fmnist_gui.progress import ConsoleProgress
    from fmnist_gui.signals import StopOnSignals

    if args.no_record and not args.out:
        raise UsageError("--no-record needs --out FILE, or the trained model is kept nowhere")
    out = Path(args.out).expanduser() if args.out else None
    if out is not None:
        check_save_target(out)  # before training: a run whose result cannot be written is not started
        refuse_to_replace_other_files(out)
    resume_path = _resume_path(args.resume) if args.resume else None
    resume = load_checkpoint(resume_path) if resume_path else None
    try:
        config = _train_config(args, resume.config if resume else preset(args.preset))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    resolve_device(config.device)
    data = load_fashion_mnist(args.data_dir)
    recorder = None if args.no_record else _recorder(args, resume_path)
    # The recorder first: when an epoch's line is printed, the epoch is on disk.
    callbacks = [recorder, ConsoleProgress(json_lines=args.json), _announcer(recorder)] if recorder else [ConsoleProgress(json_lines=args.json)]
    trainer = Trainer(config, data, callbacks, resume_from=resume)
    with StopOnSignals(trainer.stop, sys.stderr) as signals:
        result = trainer.fit()
        checkpoint = trainer.checkpoint()
        saved = True
        if out is not None and checkpoint is not None and result.reason is not FinishReason.FAILED:
            with signals.saving():
                saved = _save_or_fall_back(checkpoint, out)
    if result.reason in (FinishReason.FAILED, FinishReason.DIVERGED):
        say_error(result.message)
        return EXIT_FAILURE
    if not saved:
        return EXIT_FAILURE
    if signals.exit_code is not None:
        return signals.exit_code
    return EXIT_INTERRUPTED if result.reason is FinishReason.STOPPED else 0


def _lr_find(args: argparse.Namespace) -> int:
    """`lr-find`: the finder's curve, a row a decade, and its suggestion; exit code 1 when it has none."""
    from fmnist_gui.config import ConfigError, preset
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.devices import resolve_device
    from fmnist_gui.engine.lr_finder import find_learning_rate

    try:
        config = _train_config(args, preset(args.preset))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    resolve_device(config.device)
    data = load_fashion_mnist(args.data_dir)
    result = find_learning_rate(config, data)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "model": config.model, "optimizer": config.optimizer,
                          "batch_size": config.batch_size, "weight_decay": config.weight_decay,
                          "momentum": config.momentum, "seed": config.seed, "device": config.device,
                          "suggestion": result.suggestion, "message": result.message, "exploded": result.exploded,
                          "seconds": result.seconds, "lrs": _finite_or_null(result.lrs),
                          "losses": _finite_or_null(result.losses), "smoothed": _finite_or_null(result.smoothed)}))
    else:
        _print_finder(config, result)
    if result.suggestion is None:
        say_error(result.message)
        return EXIT_FAILURE
    return 0


def _finite_or_null(values: Any) -> list[float | None]:
    return [float(v) if math.isfinite(v) else None for v in values]


def _print_finder(config: Any, result: Any) -> None:
    """One row per decade of the rates tried, the suggestion's row marked, then the verdict."""
    import numpy as np

    print(f"Learning-rate finder: {config.model}, {config.optimizer}, batch {config.batch_size}, "
          f"weight decay {config.weight_decay:g}" + (f", momentum {config.momentum:g}" if config.optimizer == "sgd" else "")
          + f", seed {config.seed}, on {config.device} ({result.seconds:.1f} s)")
    if len(result.lrs):
        logs = np.log10(result.lrs)
        rows = {int(np.argmin(np.abs(logs - decade))) for decade in range(math.ceil(logs[0]), math.floor(logs[-1]) + 1)}
        suggested = None if result.suggestion is None else int(np.argmin(np.abs(result.lrs - result.suggestion)))
        print(f"  {'rate':>9}  {'loss':>9}  {'smoothed':>9}")
        for row in sorted(rows | ({suggested} if suggested is not None else set())):
            mark = "  <- suggested" if row == suggested else ""
            print(f"  {result.lrs[row]:9.2e}  {result.losses[row]:9.4f}  {result.smoothed[row]:9.4f}{mark}")
    if result.suggestion is not None:
        print(result.message)


def _resume_path(text: str) -> Path:
    """--resume's checkpoint: the file given, or the last.pt of the run folder given."""
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.runs import last_checkpoint
    from fmnist_gui.safe_text import printable

    path = Path(text).expanduser()
    if not path.is_dir():
        return path
    last = last_checkpoint(path)
    if last is None:
        raise UserFacingError(f"{printable(path)} holds no checkpoints/last.pt to resume from.")
    return last


def _recorder(args: argparse.Namespace, resume: Path | None) -> Any:
    """The run recorder of `train`; its warnings go to stderr, each once."""
    from fmnist_gui.runs import RunRecorder, default_runs_dir

    return RunRecorder(default_runs_dir(args.runs_dir), name=args.name, resume=resume, keep=args.keep,
                       on_warning=lambda message: say_error(message, "warning"))


def _announcer(recorder: Any) -> Any:
    """A callback that says where the run is recorded, once the recorder made its folder."""
    from fmnist_gui.engine import Callback
    from fmnist_gui.safe_text import printable, say

    class Announce(Callback):
        def on_fit_start(self, run: Any) -> None:
            if recorder.folder is not None:
                say(f"Recording the run in {printable(recorder.folder)}", sys.stderr)

    return Announce()


def _runs(args: argparse.Namespace) -> int:
    from fmnist_gui.runs import SCHEMA, default_runs_dir, list_runs

    if args.csv:
        return _runs_csv(args)
    if args.names:
        raise UsageError("naming runs needs --csv FILE")
    runs_dir = _readable_folder(default_runs_dir(args.runs_dir))
    runs = list_runs(runs_dir)
    if args.json:
        print(json.dumps({"schema": SCHEMA, "runs_dir": str(runs_dir), "runs": [_run_entry(run) for run in runs]}))
    else:
        _print_runs(runs, runs_dir)
    return 0


def _runs_csv(args: argparse.Namespace) -> int:
    """`runs --csv FILE [RUN ...]`: the named runs' metrics, or every run's, in one long table; damaged runs are skipped."""
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.export import write_metrics_csv
    from fmnist_gui.export.common import check_target
    from fmnist_gui.runs import RunDamaged, default_runs_dir, find_run, list_runs, read_metrics, read_run
    from fmnist_gui.safe_text import printable

    check_target(args.csv)
    runs_dir = default_runs_dir(args.runs_dir)
    if args.names:
        folders = [find_run(runs_dir, name) for name in args.names]
    else:
        folders = [run.folder for run in list_runs(_readable_folder(runs_dir))]
    if not folders:
        raise UserFacingError(f"There are no runs in {printable(runs_dir)}, so {printable(args.csv)} was not written.")
    runs = []
    for folder in dict.fromkeys(folders):  # a run named twice is written once
        try:
            damage = read_run(folder).damage
            if damage is None:
                runs.append((folder.name, read_metrics(folder)))
        except RunDamaged as exc:  # damaged since read_run looked
            damage = str(exc)
        if damage is not None:
            say_error(f"{folder.name} is skipped: {damage}", "warning")
    if not runs:
        raise UserFacingError(f"No run could be read, so {printable(args.csv)} was not written.")
    path = write_metrics_csv(runs, args.csv)
    epochs = sum(len(history) for _, history in runs)
    print(f"Wrote {printable(path.name)}: {len(runs)} run{'s' if len(runs) != 1 else ''}, "
          f"{epochs} epoch{'s' if epochs != 1 else ''}.")
    return 0


def _datamap(args: argparse.Namespace) -> int:
    """`datamap RUN`: the likely mislabelled training images of a recorded run, from its dynamics.npz."""
    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.dynamics import example_statistics, likely_mislabelled
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.runs import default_runs_dir, find_run, read_dynamics
    from fmnist_gui.safe_text import printable

    folder = find_run(default_runs_dir(args.runs_dir), args.run)
    dynamics = read_dynamics(folder)
    if dynamics is None or not dynamics.epoch_count:
        raise UserFacingError(f"Run {printable(folder.name)} has no training dynamics: it finished no epoch, "
                              "or was recorded by a version that did not keep them.")
    stats = example_statistics(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels)
    suspects = likely_mislabelled(dynamics.train_probability, dynamics.train_predicted, dynamics.train_labels,
                                  stats, top=args.top)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "run": str(folder), "epochs": dynamics.epoch_count,
                          "train_size": dynamics.train_size, "suspects": [
                              {"index": s.index, "given": CLASS_NAMES[s.given], "predicted": CLASS_NAMES[s.predicted],
                               "confidence": round(s.confidence, 4), "variability": round(s.variability, 4),
                               "forgetting": s.forgetting, "agreement": round(s.agreement, 4), "score": round(s.score, 4)}
                              for s in suspects]}))
        return 0
    print(f"{printable(folder.name)}: {len(suspects)} likely mislabelled training image{'s' if len(suspects) != 1 else ''} "
          f"of {dynamics.train_size:,}, from {dynamics.epoch_count} epoch{'s' if dynamics.epoch_count != 1 else ''}")
    if not suspects:
        return 0
    rows = [("INDEX", "GIVEN", "PREDICTED", "CONFIDENCE", "VARIABILITY", "FORGOTTEN")]
    rows += [(str(s.index), CLASS_NAMES[s.given], CLASS_NAMES[s.predicted], f"{s.confidence:.3f}", f"{s.variability:.3f}",
              str(s.forgetting)) for s in suspects]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    return 0


def _readable_folder(path: Path) -> Path:
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.safe_text import printable

    if not path.exists():
        raise UserFacingError(f"There is no runs folder at {printable(path)}: no run was recorded there.")
    if not path.is_dir():
        raise UserFacingError(f"{printable(path)} is not a folder, so it cannot hold runs.")
    if not os.access(path, os.R_OK | os.X_OK):
        raise UserFacingError(f"The runs folder {printable(path)} cannot be read: permission denied.")
    return path


def _run_entry(run: Any) -> dict[str, Any]:
    fields = ("id", "name", "created", "status", "model", "optimizer", "lr", "epochs_done", "epochs_asked", "best_accuracy",
              "best_epoch", "duration", "message", "note", "device", "seed", "damage")
    entry = {name: getattr(run, name) for name in fields}
    entry["lr"] = None if math.isnan(run.lr) else run.lr
    return {"folder": str(run.folder), **entry}


def _print_runs(runs: list[Any], runs_dir: Path) -> None:
    from fmnist_gui.formats import format_duration
    from fmnist_gui.safe_text import printable, say

    if not runs:
        say(f"No runs in {printable(runs_dir)}.", sys.stderr)
        return
    rows = [("NAME", "CREATED", "MODEL", "OPTIMIZER", "LR", "EPOCHS", "BEST", "TIME", "STATUS")]
    for run in runs:
        best = f"{run.best_accuracy:.2f}% @{run.best_epoch}" if run.best_accuracy is not None else "-"
        status = f"{run.status}: {run.damage}" if run.damage else run.status
        rows.append((_clip(run.name, 32), run.created[:16].replace("T", " "), run.model or "?", run.optimizer or "?",
                     "?" if math.isnan(run.lr) else f"{run.lr:g}", f"{run.epochs_done}/{run.epochs_asked}", best,
                     format_duration(run.duration), status))  # status last: a damaged run's reason is long
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[-1])


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _save_or_fall_back(checkpoint: Any, out: Path) -> bool:
    """Save to `out`; if that fails, save to a spare file and say where, so the run is never lost."""
    from fmnist_gui.checkpoint import CheckpointError, save_checkpoint
    from fmnist_gui.safe_text import printable, say

    try:
        save_checkpoint(checkpoint, out)
    except CheckpointError as failure:
        try:
            spare = save_checkpoint(checkpoint, fallback_path(out))
        except CheckpointError as second:
            say_error(f"{failure} The trained model could not be saved elsewhere either: {second}")
        else:
            say_error(f"{failure} The trained model was saved to {spare} instead.")
        return False
    say(f"Saved {printable(out)} (epoch {checkpoint.epoch}).", sys.stderr)
    return True


def fallback_path(out: Path) -> Path:
    """Where a model goes when its --out cannot be written: the user's cache folder, else the temp folder."""
    import tempfile
    import time

    name = f"{out.stem or 'model'}-unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.pt"
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fmnist-gui" / "unsaved"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK | os.X_OK):
            return cache / name
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / name


def _evaluate(args: argparse.Namespace) -> int:
    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.devices import resolve_device
    from fmnist_gui.engine.evaluation import evaluate
    from fmnist_gui.progress import per_class_mapping
    from fmnist_gui.safe_text import printable

    checkpoint = load_checkpoint(args.checkpoint)
    device = resolve_device(args.device)
    data = load_fashion_mnist(args.data_dir, device)
    model = checkpoint.build_model(device)
    result = evaluate(model, data.test_images, data.test_labels, checkpoint.spec.mean, checkpoint.spec.std)
    per_class = per_class_mapping(checkpoint.class_names, result.per_class_accuracy)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "model": checkpoint.config.model, "epoch": checkpoint.epoch,
                          "test_loss": result.loss, "test_accuracy": result.accuracy, "per_class_accuracy": per_class}))
        return 0
    print(f"{printable(Path(args.checkpoint).name)}: {checkpoint.config.model}, epoch {checkpoint.epoch}")
    print(f"test loss {result.loss:.4f}   test accuracy {result.accuracy:.2f}%   ({len(data.test_labels)} images)")
    for name, value in per_class.items():
        print(f"  {name:<12} {'—' if value is None else f'{value:6.2f}%'}")
    return 0


def _predict(args: argparse.Namespace) -> int:
    import numpy as np
    import torch

    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.engine.evaluation import predict_probabilities
    from fmnist_gui.imaging import load_as_fashion_mnist
    from fmnist_gui.safe_text import printable

    checkpoint = load_checkpoint(args.checkpoint)
    images = [load_as_fashion_mnist(path) for path in args.images]  # all checked before any output
    model = checkpoint.build_model("cpu")
    probabilities = predict_probabilities(model, torch.from_numpy(np.stack(images)), checkpoint.spec.mean, checkpoint.spec.std)
    for path, probs in zip(args.images, probabilities):
        top = torch.topk(probs, 3)
        ranked = [(checkpoint.class_names[int(i)], float(p)) for p, i in zip(top.values, top.indices)]
        if args.json:
            print(json.dumps({"schema": JSON_SCHEMA, "image": path, "top3": [{"class": c, "probability": p} for c, p in ranked]}))
        else:
            print(f"{printable(path)}: " + ", ".join(f"{c} {100 * p:.1f}%" for c, p in ranked))
    return 0


def _devices(args: argparse.Namespace) -> int:
    from fmnist_gui.devices import available_devices

    devices = available_devices()
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "devices": [{"name": d.name, "description": d.description} for d in devices]}))
        return 0
    for info in devices:
        print(f"{info.name:<8} {info.description}")
    return 0


def _completion(args: argparse.Namespace) -> int:
    """`completion bash|zsh`: the shell's completion script, generated from the parser itself."""
    from fmnist_gui.errors import UserFacingError

    try:
        import shtab
    except ImportError:
        raise UserFacingError("Shell completion needs the shtab package: pip install shtab.") from None
    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def _install_desktop(args: argparse.Namespace) -> int:
    from fmnist_gui.desktop import install_desktop

    home = Path(args.data_home).expanduser() if args.data_home else None
    for path in install_desktop(home, say=lambda message: say_error(message, "note")):
        print(f"Installed {path}")
    return 0


def _uninstall_desktop(args: argparse.Namespace) -> int:
    from fmnist_gui.desktop import uninstall_desktop

    home = Path(args.data_home).expanduser() if args.data_home else None
    removed = uninstall_desktop(home, say=lambda message: say_error(message, "note"))
    for path in removed:
        print(f"Removed {path}")
    if not removed:
        print("Nothing to remove: the desktop entry was not installed.")
    return 0


def _data(args: argparse.Namespace) -> int:
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.safe_text import printable

    data = load_fashion_mnist(args.data_dir)
    print(f"Fashion-MNIST in {printable(data.source)}: {len(data.train_labels)} training and {len(data.test_labels)} test images.")
    return 0


def _export(args: argparse.Namespace) -> int:
    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.engine.evaluation import evaluate
    from fmnist_gui.export import export_onnx, write_model_card
    from fmnist_gui.export.common import check_target
    from fmnist_gui.export.onnx import require_extra
    from fmnist_gui.safe_text import printable

    if not (args.onnx or args.card):
        raise UsageError("export needs --onnx FILE, --card FILE or both")
    if args.onnx and args.card and Path(args.onnx).expanduser().resolve() == Path(args.card).expanduser().resolve():
        raise UsageError("--onnx and --card name the same file")
    if args.onnx:
        require_extra()
    for target in filter(None, (args.onnx, args.card)):
        check_target(target)  # before the slow part: an export that cannot be written is not made
    checkpoint = load_checkpoint(args.checkpoint)
    data = load_fashion_mnist(args.data_dir) if args.card or not args.no_check else None
    if args.onnx:
        print(export_onnx(checkpoint, Path(args.onnx), None if args.no_check else data).describe())
    if args.card:
        assert data is not None
        result = evaluate(checkpoint.build_model("cpu"), data.test_images, data.test_labels, checkpoint.spec.mean, checkpoint.spec.std)
        write_model_card(checkpoint, Path(args.card), result)
        print(f"Wrote {printable(Path(args.card).name)}: {checkpoint.config.model}, test accuracy {result.accuracy:.2f}% on {len(data.test_labels):,} images.")
    return 0

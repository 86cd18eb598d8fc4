"""`train`: a headless run, recorded in a run folder, optionally saved to --out; Ctrl+C stops it and still saves."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import (complete_as, config_from, data_folder, device_option, json_output, labels_folder, positive,
                                    runs_folder, training_config, whole_run_config)
from fmnist_gui.cli.status import EXIT_FAILURE, EXIT_INTERRUPTED, UsageError, say_error
from fmnist_gui.names import PRECISIONS

if TYPE_CHECKING:
    from fmnist_gui.checkpoint import Checkpoint
    from fmnist_gui.config import TrainConfig
    from fmnist_gui.data import FashionMNIST
    from fmnist_gui.engine import Callback
    from fmnist_gui.runs import RunRecorder

PARENTS = (training_config(), whole_run_config(), device_option(), json_output("print one JSON object per epoch"),
           data_folder(), runs_folder("where runs are recorded"), labels_folder())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the run starts from and where its result goes."""
    complete_as(parser.add_argument("--out", help="also save the final checkpoint to this file (.pt)"))
    complete_as(parser.add_argument("--resume", metavar="FILE", help="continue from this checkpoint, or from a run folder's last state"))
    parser.add_argument("--no-record", action="store_true", help="do not record this run in a run folder")
    parser.add_argument("--keep", type=positive, default=50, metavar="N", help="epoch snapshots a run folder keeps "
                        "at most (the first, the best and the last always; default 50)")
    parser.add_argument("--name", help="the run's name in the runs list")
    parser.add_argument("--precision", choices=PRECISIONS, help="auto (the default): the fastest path measured on this "
                        "machine, once per model and batch size; fp32: the plain path; bf16: bf16 autocast (a CPU with AMX "
                        "or AVX512-BF16, or a GPU). A resumed run keeps its own unless this is given")
    complete_as(parser.add_argument(
        "--labels", dest="fix_set", metavar="NAME|FILE",
        help="train with this label fix set (see `fmnist-gui labels`): relabelled images train with their new label, "
             "set-aside images are never drawn into a batch. The test set is never changed by a fix set. A resumed run "
             "goes on with the fix set it trained with, unchanged, unless this names one"))


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.data import ReadAhead

    if args.no_record and not args.out:
        raise UsageError("--no-record needs --out FILE, or the trained model is kept nowhere")
    reading = ReadAhead(args.data_dir)  # the files are read and checked while torch is imported
    import_what_the_first_step_needs()

    from fmnist_gui.checkpoint import check_save_target, load_checkpoint, refuse_to_replace_other_files
    from fmnist_gui.config import ConfigError, preset
    from fmnist_gui.engine import FinishReason, Trainer
    from fmnist_gui.progress import ConsoleProgress
    from fmnist_gui.signals import StopOnSignals

    out = Path(args.out).expanduser() if args.out else None
    if out is not None:
        check_save_target(out)  # before training: a run whose result cannot be written is not started
        refuse_to_replace_other_files(out)
    resume_path = _resume_path(args.resume) if args.resume else None
    resume = load_checkpoint(resume_path) if resume_path else None
    try:
        config = config_from(args, resume.config if resume else preset(args.preset))
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    _check_precision(config)
    data = reading.result()
    config, data = _with_label_fixes(args, config, data)
    recorder = None if args.no_record else _recorder(args, resume_path)
    # The recorder first: when an epoch's line is printed, the epoch is on disk.
    callbacks = [recorder, ConsoleProgress(json_lines=args.json), _announcer(recorder)] if recorder else [ConsoleProgress(json_lines=args.json)]
    trainer = Trainer(config, data, callbacks, resume_from=resume)
    if recorder is not None and not _take_run_folder(recorder, config, resume, data, out):
        trainer.callbacks.callbacks.remove(recorder)
    with StopOnSignals(trainer.stop, sys.stderr) as signals:
        result = trainer.fit()
        checkpoint = trainer.checkpoint()
        saved = True
        if checkpoint is not None and result.reason is not FinishReason.FAILED:
            with signals.saving():
                if out is not None:
                    saved = _save_or_fall_back(checkpoint, out)
                elif checkpoint.trained and recorder is not None and not recorder.final_model_saved:
                    saved = _keep_elsewhere(checkpoint, recorder)
    if result.reason in (FinishReason.FAILED, FinishReason.DIVERGED):
        say_error(result.message)
        return EXIT_FAILURE
    if not saved:
        return EXIT_FAILURE
    if signals.exit_code is not None:
        return signals.exit_code
    return EXIT_INTERRUPTED if result.reason is FinishReason.STOPPED else 0


def import_what_the_first_step_needs() -> None:
    """torch, and torch._dynamo, which the optimizer imports at its first step (about as long again as torch):
    here, while the data is read, rather than after it."""
    import torch  # noqa: F401
    import torch._dynamo  # noqa: F401


def _check_precision(config: TrainConfig) -> None:
    """The device exists and can compute as asked: refused now, in one line, rather than after loading the data."""
    from fmnist_gui.devices import resolve_device
    from fmnist_gui.engine.paths import bf16_problem
    from fmnist_gui.errors import UserFacingError

    device = resolve_device(config.device)
    problem = bf16_problem(device) if config.precision == "bf16" else None
    if problem:
        raise UserFacingError(problem)


def _with_label_fixes(args: argparse.Namespace, config: TrainConfig, data: FashionMNIST) -> tuple[TrainConfig, FashionMNIST]:
    """The config and data with the fix set --labels names applied, or the one a resumed run trained with."""
    from fmnist_gui.cli.labels.common import name_as_usage_error
    from fmnist_gui.labels import default_labels_dir
    from fmnist_gui.labels.training import data_for_run, training_fix_set, with_fixes

    labels_dir = default_labels_dir(args.labels_dir)
    if args.fix_set is None:
        return config, data_for_run(config.labels, data, labels_dir)
    with name_as_usage_error():
        fix_set = training_fix_set(args.fix_set, labels_dir, data)
    return config.replace(labels=fix_set.identity), with_fixes(data, fix_set)


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


def _recorder(args: argparse.Namespace, resume: Path | None) -> RunRecorder:
    """The run's recorder; its warnings go to stderr, each once."""
    from fmnist_gui.runs import RunRecorder, default_runs_dir

    return RunRecorder(default_runs_dir(args.runs_dir), name=args.name, resume=resume, keep=args.keep,
                       on_warning=lambda message: say_error(message, "warning"))


def _take_run_folder(recorder: RunRecorder, config: TrainConfig, resume: Checkpoint | None, data: FashionMNIST,
                     out: Path | None) -> bool:
    """Take the run folder before training. A folder another process records into is refused; a runs
    folder that cannot be written is refused too, unless --out keeps the model (then: a warning, False)."""
    from fmnist_gui.errors import UserFacingError
    from fmnist_gui.runs import RecordingError
    from fmnist_gui.safe_text import printable

    try:
        recorder.prepare(config, resume, data, when_busy="refuse")
    except RecordingError as exc:
        if out is None:
            raise UserFacingError(f"{exc} Nothing would keep the trained model: give --out FILE or another --runs-dir.") from None
        say_error(f"{exc} This run is not recorded; the model is saved to {printable(out)}.", "warning")
        return False
    return True


def _keep_elsewhere(checkpoint: Checkpoint, recorder: RunRecorder) -> bool:
    """The run folder could not keep the model the run ended with: save it where unsaved models go, and say where."""
    from fmnist_gui.checkpoint import CheckpointError
    from fmnist_gui.safe_text import printable
    from fmnist_gui.unsaved import keep_unsaved

    folder = recorder.folder.name if recorder.folder is not None else "the run folder"
    problem = f"The trained model could not be written into {printable(folder)}"
    try:
        spare = keep_unsaved(checkpoint)
    except CheckpointError as failure:
        say_error(f"{problem}, nor elsewhere: {failure}")
    else:
        say_error(f"{problem}; it was saved to {printable(spare)} instead.")
    return False


def _announcer(recorder: RunRecorder) -> Callback:
    """A callback that says where the run is recorded, once the recorder made its folder."""
    from fmnist_gui.engine import Callback, RunStarted
    from fmnist_gui.safe_text import printable, say

    class Announce(Callback):
        def on_fit_start(self, run: RunStarted) -> None:
            if recorder.folder is not None:
                say(f"Recording the run in {printable(recorder.folder)}", sys.stderr)

    return Announce()


def _save_or_fall_back(checkpoint: Checkpoint, out: Path) -> bool:
    """Save to `out`; if that fails, save to a spare file and say where, so the run is never lost."""
    from fmnist_gui.checkpoint import CheckpointError, save_checkpoint
    from fmnist_gui.safe_text import printable, say
    from fmnist_gui.unsaved import keep_unsaved

    try:
        save_checkpoint(checkpoint, out)
    except CheckpointError as failure:
        try:
            spare = keep_unsaved(checkpoint, out.stem)
        except CheckpointError as second:
            say_error(f"{failure} The trained model could not be saved elsewhere either: {second}")
        else:
            say_error(f"{failure} The trained model was saved to {spare} instead.")
        return False
    say(f"Saved {printable(out)} (epoch {checkpoint.epoch}).", sys.stderr)
    return True

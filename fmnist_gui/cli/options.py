"""Options several commands share, as argparse parents, and the argument types and completion marks they use.

Only torch-free imports at the top: building the parser reads this, and `fmnist-gui --help` must answer at once.
Each group is a function, so every command gets its own copy and can word its help for what it does.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from fmnist_gui.names import MODEL_NAMES, OPTIMIZERS, PRESET_NAMES, SCHEDULES

if TYPE_CHECKING:
    from argparse import _ActionsContainer

    from fmnist_gui.config import TrainConfig

# What shtab completes a path argument with (shtab.FILE and shtab.DIRECTORY), spelt out so that
# building the parser needs no shtab.
FILE = {"bash": "_shtab_compgen_files", "zsh": "_files"}
FOLDER = {"bash": "_shtab_compgen_dirs", "zsh": "_files -/"}
DEVICE_HELP = "cpu, cuda, cuda:N or mps (see `fmnist-gui devices`)"
RUNS_DIR_DEFAULT = "(default: $FMNIST_RUNS, else ~/.local/share/fmnist-gui/runs)"
LABELS_DIR_DEFAULT = "(default: $FMNIST_LABELS, else labels/ beside the runs folder, ~/.local/share/fmnist-gui/labels)"


def complete_as(action: argparse.Action, kind: dict[str, str] = FILE) -> argparse.Action:
    """Mark an argument as a file (or folder) for shell completion."""
    action.complete = kind  # type: ignore[attr-defined]  # read by shtab
    return action


def device_name(text: str) -> str:
    """argparse type for --device: a malformed name is a usage error, as a bad number is."""
    from fmnist_gui.devices import check_device_syntax
    from fmnist_gui.errors import UserFacingError

    try:
        check_device_syntax(text)
    except UserFacingError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def positive(text: str) -> int:
    """argparse type for counts: a whole number from 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number from 1, not {text!r}")
    return value


def data_folder() -> argparse.ArgumentParser:
    """--data-dir, for the commands that read Fashion-MNIST."""
    group = _group()
    complete_as(group.add_argument("--data-dir", help="folder holding the Fashion-MNIST IDX files"), FOLDER)
    return group


def runs_folder(what: str) -> argparse.ArgumentParser:
    """--runs-dir, described as `what` it is to the command, followed by where it is by default."""
    group = _group()
    complete_as(group.add_argument("--runs-dir", help=f"{what} {RUNS_DIR_DEFAULT}"), FOLDER)
    return group


def labels_folder() -> argparse.ArgumentParser:
    """--labels-dir, for the commands that read or write label fix sets."""
    group = _group()
    complete_as(group.add_argument("--labels-dir", help=f"where fix sets are kept {LABELS_DIR_DEFAULT}"), FOLDER)
    return group


def csv_option(parser: argparse.ArgumentParser) -> None:
    """--csv FILE, required: the commands that write a table somewhere."""
    complete_as(parser.add_argument("--csv", metavar="FILE", required=True, help="the CSV file to write"))


def json_output(what: str) -> argparse.ArgumentParser:
    """--json, with `what` the command prints then."""
    group = _group()
    add_json(group, what)
    return group


def add_json(container: _ActionsContainer, what: str) -> argparse.Action:
    """--json on a parser or group; `runs` needs it in a group beside --csv, where a parent cannot go."""
    return container.add_argument("--json", action="store_true", help=what)


def device_option(default: str | None = None, what: str | None = DEVICE_HELP) -> argparse.ArgumentParser:
    """--device; the training commands leave it unset, so the preset's (or the resumed checkpoint's) holds."""
    group = _group()
    group.add_argument("--device", type=device_name, default=default, help=what)
    return group


def training_config() -> argparse.ArgumentParser:
    """The TrainConfig options that train and lr-find share."""
    group = _group()
    group.add_argument("--preset", choices=PRESET_NAMES, default="default", help="starting values; options below override them")
    group.add_argument("--model", choices=MODEL_NAMES)
    group.add_argument("--optimizer", choices=OPTIMIZERS)
    group.add_argument("--batch-size", type=int)
    group.add_argument("--weight-decay", type=float)
    group.add_argument("--momentum", type=float, help="SGD momentum")
    group.add_argument("--seed", type=int)
    return group


def whole_run_config(epochs: str = "epochs to reach in total (counting a resumed checkpoint's)") -> argparse.ArgumentParser:
    """The TrainConfig options only whole runs take (train, a sweep's trials): lr-find sweeps the rate itself,
    for a few hundred batches. `epochs` is what --epochs means to the command."""
    group = _group()
    group.add_argument("--lr", type=float, help="learning rate (the peak rate for one-cycle)")
    group.add_argument("--epochs", type=int, help=epochs)
    group.add_argument("--schedule", choices=SCHEDULES)
    group.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None, help="random flips and shifts")
    return group


def config_from(args: argparse.Namespace, base: TrainConfig) -> TrainConfig:
    """The preset's (or resumed checkpoint's) config with every option given on the line applied."""
    overrides = {name: getattr(args, name) for name in base.to_dict()
                 if name != "preset" and getattr(args, name, None) is not None}  # --preset chose the base
    return base.replace(**overrides)


def _group() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(add_help=False)  # a parent: the command's own parser adds --help

"""`labels apply NAME --from-datamap RUN --top K` and `labels fix NAME INDEX …`: changing a fix set, saved by
merging with whatever another window or script saved meanwhile (fmnist_gui.labels.fixset)."""

from __future__ import annotations

import argparse

from fmnist_gui.cli.labels.common import add_name, add_test_split, data_labels, describe, open_fix_set, split_of
from fmnist_gui.cli.options import FOLDER, complete_as, data_folder, labels_folder, positive, runs_folder
from fmnist_gui.cli.status import UsageError


class Apply:
    """Accept the mislabel finder's top K suspects of a run: each becomes a relabel to the class the model
    predicted most, or (--action exclude) is set aside. Images the fix set already has are left as they are."""

    PARENTS = (labels_folder(), runs_folder("the runs folder RUN is in"), data_folder())

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)
        complete_as(parser.add_argument("--from-datamap", metavar="RUN", required=True,
                                        help="the run whose training dynamics name the suspects (see `fmnist-gui datamap`)"), FOLDER)
        parser.add_argument("--top", type=positive, required=True, metavar="K", help="how many of the most suspicious to accept")
        parser.add_argument("--action", choices=("relabel", "exclude"), default="relabel",
                            help="relabel each to the model's class (default), or set each aside")

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        import numpy as np

        from fmnist_gui.cli.datamap import recorded_dynamics
        from fmnist_gui.labels import Action, LabelsError, accept, suggestions_from
        from fmnist_gui.runs import read_run
        from fmnist_gui.safe_text import printable

        given = data_labels(args, "train")
        fix_set = open_fix_set(args, given, must_exist=False)
        folder, dynamics = recorded_dynamics(args.runs_dir, args.from_datamap)
        run = printable(folder.name)
        if dynamics.train_size != len(given):
            raise LabelsError(f"Run {run} trained on {dynamics.train_size:,} images; the data here has {len(given):,}.")
        config = read_run(folder).config
        differ = int(np.count_nonzero(dynamics.train_labels != given))
        if differ and (config is None or not config.labels):  # a run with fixes trained on other labels on purpose
            raise LabelsError(f"Run {run} was trained on other data: its labels differ from the data's at {differ:,} images.")
        result = accept(fix_set, suggestions_from(dynamics, args.top, folder.name), Action(args.action))
        fix_set.save()
        what = "relabelled to the model's class" if args.action == "relabel" else "set aside"
        print(f"Accepted {result.accepted:,} of the top {args.top:,} suspects of {run} ({what}); "
              f"{result.already_reviewed:,} already reviewed were left as they were.")
        print(describe(fix_set))
        return 0


class FixOne:
    """Decide about one image: relabel it, set it aside, keep its label (reviewed), or forget the decision."""

    PARENTS = (labels_folder(), data_folder())

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)
        parser.add_argument("index", type=int, metavar="INDEX", help="the image's position in the set (as `datamap` lists it)")
        decision = parser.add_mutually_exclusive_group(required=True)
        decision.add_argument("--relabel", metavar="CLASS", help="train it as this class: a name ('Ankle boot') or number (0-9)")
        decision.add_argument("--exclude", action="store_true", help="set it aside: never drawn into a batch")
        decision.add_argument("--keep", action="store_true", help="reviewed: its label is right as it is")
        decision.add_argument("--forget", action="store_true", help="drop the decision: the image is unreviewed again")
        parser.add_argument("--note", default="", help="a remark kept in the file's note column")
        add_test_split(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.data import CLASS_NAMES

        label = _class_number(args.relabel, CLASS_NAMES) if args.relabel is not None else None
        fix_set = open_fix_set(args, data_labels(args, split_of(args)), must_exist=False)
        if label is not None:
            fix_set.relabel(args.index, label, args.note)
        elif args.exclude:
            fix_set.exclude(args.index, args.note)
        elif args.keep:
            fix_set.keep(args.index, args.note)
        else:
            fix_set.forget(args.index)
        fix_set.save()
        print(describe(fix_set))
        return 0


def _class_number(text: str, names: tuple[str, ...]) -> int:
    """A class given by name (any case) or number; a usage error otherwise."""
    by_name = {name.casefold(): number for number, name in enumerate(names)}
    if text.strip().casefold() in by_name:
        return by_name[text.strip().casefold()]
    if text.strip().isdigit() and int(text) < len(names):
        return int(text)
    from fmnist_gui.safe_text import printable

    raise UsageError(f"{printable(text)!r} is not a class; the classes are {', '.join(names)} (or their numbers, 0 to {len(names) - 1})")

"""`compare A B`: two checkpoints on the same test images; which is better, and is the difference real?"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from fmnist_gui.cli.options import complete_as, data_folder, device_option, json_output, positive
from fmnist_gui.cli.table import print_table
from fmnist_gui.names import JSON_SCHEMA

if TYPE_CHECKING:
    from fmnist_gui.checkpoint import Checkpoint
    from fmnist_gui.compare import Comparison

PARENTS = (json_output("print one JSON object"), device_option(default="cpu", what=None), data_folder())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Two checkpoints on the same test images: each one's accuracy, where they disagree, McNemar's "
                          "exact test and a bootstrap interval of the difference, and a verdict: is one really better?")
    complete_as(parser.add_argument("checkpoint_a", metavar="A", help="the first checkpoint"))
    complete_as(parser.add_argument("checkpoint_b", metavar="B", help="the second checkpoint"))
    parser.add_argument("--top", type=positive, default=20, metavar="K",
                        help="how many disagreements to list, most lopsided first (default 20)")


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.checkpoint import load_checkpoint
    from fmnist_gui.compare.models import compare_models
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.devices import resolve_device

    checkpoints = (load_checkpoint(args.checkpoint_a), load_checkpoint(args.checkpoint_b))  # both checked before the data
    device = resolve_device(args.device)
    data = load_fashion_mnist(args.data_dir, device)
    comparison = compare_models(*checkpoints, data.test_images, data.test_labels, device, top=args.top)
    if args.json:
        print(json.dumps(_json_object(args, checkpoints, comparison)))
    else:
        _print_report(args, checkpoints, comparison)
    return 0


def _json_object(args: argparse.Namespace, checkpoints: tuple[Checkpoint, Checkpoint], comparison: Comparison) -> dict[str, Any]:
    """Classes are named as in the rest of the CLI's JSON: the label by the data set, each prediction by its checkpoint."""
    from fmnist_gui.data import CLASS_NAMES

    names_a, names_b = (checkpoint.class_names for checkpoint in checkpoints)
    models = {side: {"path": path, "model": checkpoint.config.model, "accuracy": answers.accuracy}
              for side, path, checkpoint, answers in zip("ab", (args.checkpoint_a, args.checkpoint_b), checkpoints,
                                                         (comparison.a, comparison.b))}
    return {"schema": JSON_SCHEMA, **models, "agreement": comparison.agreement, "both_right": comparison.both_right,
            "only_a_right": comparison.only_a_right, "only_b_right": comparison.only_b_right,
            "both_wrong": comparison.both_wrong, "mcnemar_p": comparison.mcnemar_p,
            "difference_ci": list(comparison.difference_ci),
            "disagreements": [{"index": d.index, "label": CLASS_NAMES[d.label], "a": names_a[d.a], "b": names_b[d.b],
                               "pa": d.pa, "pb": d.pb} for d in comparison.disagreements]}


def _print_report(args: argparse.Namespace, checkpoints: tuple[Checkpoint, Checkpoint], comparison: Comparison) -> None:
    from fmnist_gui.compare import format_p
    from fmnist_gui.data import CLASS_NAMES
    from fmnist_gui.safe_text import printable

    for side, path, checkpoint, answers in zip("AB", (args.checkpoint_a, args.checkpoint_b), checkpoints,
                                               (comparison.a, comparison.b)):
        print(f"{side}: {printable(path)}: {checkpoint.config.model}, {checkpoint.position}, "
              f"test accuracy {answers.accuracy:.2f}%")
    for note in _notes(args, checkpoints):
        print(note)
    low, high = comparison.difference_ci
    print(f"They agree on {100 * comparison.agreement:.2f}% of {comparison.size:,} test images.")
    print(f"Both right {comparison.both_right:,}, only A right {comparison.only_a_right:,}, "
          f"only B right {comparison.only_b_right:,}, both wrong {comparison.both_wrong:,}.")
    print(f"B − A: {comparison.difference:+.2f} points, 95% interval [{low:+.2f}, {high:+.2f}] (paired bootstrap); "
          f"McNemar's exact test {format_p(comparison.mcnemar_p)}.")
    print(comparison.verdict())
    if not comparison.disagreements:
        return
    names_a, names_b = (checkpoint.class_names for checkpoint in checkpoints)
    print(f"\nWhere they disagree, the most lopsided first ({len(comparison.disagreements)} of "
          f"{int(comparison.disagreement_matrix.sum()):,}):")
    rows = [("INDEX", "LABEL", "A", "P(A)", "B", "P(B)")]
    rows += [(str(d.index), CLASS_NAMES[d.label], printable(names_a[d.a]), f"{d.pa:.3f}", printable(names_b[d.b]),
              f"{d.pb:.3f}") for d in comparison.disagreements]
    print_table(rows)


def _notes(args: argparse.Namespace, checkpoints: tuple[Checkpoint, Checkpoint]) -> list[str]:
    """What a reader should know before reading the numbers: comparing a file with itself, or classes named apart."""
    notes = []
    if _same_file(args.checkpoint_a, args.checkpoint_b):
        notes.append("A and B are the same file: they agree everywhere.")
    if checkpoints[0].class_names != checkpoints[1].class_names:
        notes.append("A and B name their classes differently; their predictions are compared by class number.")
    return notes


def _same_file(path_a: str, path_b: str) -> bool:
    try:
        return os.path.samefile(path_a, path_b)
    except OSError:
        return False

"""`evaluate CHECKPOINT`: test loss, accuracy and per-class accuracy of a checkpoint; with --labels NAME, on the
test set with that fix set's test-label fixes instead, said as such and never mixed with the plain test accuracy."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from fmnist_gui.cli.options import complete_as, data_folder, device_option, json_output, labels_folder
from fmnist_gui.formats import format_loss
from fmnist_gui.names import JSON_SCHEMA

if TYPE_CHECKING:
    import torch

    from fmnist_gui.data import FashionMNIST

PARENTS = (json_output("print one JSON object"), device_option(default="cpu", what=None), data_folder(), labels_folder())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("checkpoint"))
    parser.add_argument("--labels", dest="fix_set", metavar="NAME",
                        help="evaluate on the test set with this test-label fix set's fixes (labels/test/NAME.csv, made with "
                             "`fmnist-gui labels fix NAME INDEX … --test`) instead: a separate measurement, printed as "
                             "'test set with N labels fixed (NAME)'")


def run(args: argparse.Namespace) -> int:
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
    images, labels, keys = data.test_images, data.test_labels, ("test_loss", "test_accuracy", "per_class_accuracy")
    fixed: dict[str, str] = {}  # with --labels: test_set (how to say it) and labels (NAME@HASH)
    if args.fix_set is not None:
        images, labels, fixed = _fixed_test_set(args, data)
        keys = ("fixed_test_loss", "fixed_test_accuracy", "fixed_per_class_accuracy")  # a script reading test_accuracy finds none
    result = evaluate(model, images, labels, checkpoint.spec.mean, checkpoint.spec.std)
    per_class = per_class_mapping(checkpoint.class_names, result.per_class_accuracy)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "model": checkpoint.config.model, "epoch": checkpoint.epoch, **fixed,
                          **dict(zip(keys, (result.loss, result.accuracy, per_class)))}))
        return 0
    print(f"{printable(Path(args.checkpoint).name)}: {checkpoint.config.model}, epoch {checkpoint.epoch}")
    if fixed:
        print(f"{fixed['test_set']}: loss {format_loss(result.loss)}   accuracy {result.accuracy:.2f}%   ({len(labels)} images)")
    else:
        print(f"test loss {format_loss(result.loss)}   test accuracy {result.accuracy:.2f}%   ({len(labels)} images)")
    for name, value in per_class.items():
        print(f"  {name:<12} {'—' if value is None else f'{value:6.2f}%'}")
    return 0


def _fixed_test_set(args: argparse.Namespace, data: FashionMNIST) -> tuple[torch.Tensor, torch.Tensor, dict[str, str]]:
    """The test images and labels with the test-label fix set applied, and how to say which they are."""
    import torch

    from fmnist_gui.cli.labels.common import name_as_usage_error
    from fmnist_gui.labels import FixSet, LabelsError, default_labels_dir, fix_set_path

    labels_dir = default_labels_dir(args.labels_dir)
    with name_as_usage_error():
        path = fix_set_path(labels_dir, args.fix_set, "test")
    if not path.exists() and fix_set_path(labels_dir, args.fix_set, "train").exists():
        raise LabelsError(f"{args.fix_set} is a training fix set (train --labels {args.fix_set}); evaluate takes a fix set "
                          f"of test labels, {path}, made with `fmnist-gui labels fix {args.fix_set} INDEX … --test`.")
    fix_set = FixSet.open(path, "test", data.test_labels.cpu().numpy(), must_exist=True)
    labels, keep_mask = fix_set.apply_fixes(data.test_labels.cpu().numpy())
    keep = torch.from_numpy(keep_mask).to(data.test_labels.device)
    test_set = f"test set with {fix_set.counts.changed:,} labels fixed ({fix_set.name})"
    return (data.test_images[keep], torch.from_numpy(labels).to(data.test_labels.device)[keep],
            {"test_set": test_set, "labels": fix_set.identity})

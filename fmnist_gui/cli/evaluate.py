"""`evaluate CHECKPOINT`: test loss, accuracy and per-class accuracy of a checkpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from fmnist_gui.cli.options import complete_as, data_folder, device_option, json_output
from fmnist_gui.formats import format_loss
from fmnist_gui.names import JSON_SCHEMA

PARENTS = (json_output("print one JSON object"), device_option(default="cpu", what=None), data_folder())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("checkpoint"))


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
    result = evaluate(model, data.test_images, data.test_labels, checkpoint.spec.mean, checkpoint.spec.std)
    per_class = per_class_mapping(checkpoint.class_names, result.per_class_accuracy)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "model": checkpoint.config.model, "epoch": checkpoint.epoch,
                          "test_loss": result.loss, "test_accuracy": result.accuracy, "per_class_accuracy": per_class}))
        return 0
    print(f"{printable(Path(args.checkpoint).name)}: {checkpoint.config.model}, epoch {checkpoint.epoch}")
    print(f"test loss {format_loss(result.loss)}   test accuracy {result.accuracy:.2f}%   ({len(data.test_labels)} images)")
    for name, value in per_class.items():
        print(f"  {name:<12} {'—' if value is None else f'{value:6.2f}%'}")
    return 0

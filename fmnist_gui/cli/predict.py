"""`predict CHECKPOINT IMAGE...`: the top 3 classes for any image files."""

from __future__ import annotations

import argparse
import json

from fmnist_gui.cli.options import complete_as, json_output
from fmnist_gui.names import JSON_SCHEMA

PARENTS = (json_output("print one JSON object per image"),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("checkpoint"))
    complete_as(parser.add_argument("images", nargs="+", metavar="IMAGE"))


def run(args: argparse.Namespace) -> int:
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

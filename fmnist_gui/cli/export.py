"""`export CHECKPOINT --onnx FILE --card FILE`: an ONNX model checked against PyTorch, a Markdown model card."""

from __future__ import annotations

import argparse
from pathlib import Path

from fmnist_gui.cli.options import complete_as, data_folder
from fmnist_gui.cli.status import UsageError

PARENTS = (data_folder(),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    complete_as(parser.add_argument("checkpoint"))
    complete_as(parser.add_argument("--onnx", metavar="FILE", help="ONNX model to write: [0, 1] pixels in, probabilities out"))
    complete_as(parser.add_argument("--card", metavar="FILE", help="Markdown model card to write, after evaluating on the test set"))
    parser.add_argument("--no-check", action="store_true", help="skip running the ONNX model on the test set")


def run(args: argparse.Namespace) -> int:
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

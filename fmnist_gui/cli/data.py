"""`data`: where Fashion-MNIST is found, after checking every file."""

from __future__ import annotations

import argparse

from fmnist_gui.cli.options import data_folder

PARENTS = (data_folder(),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Only the shared --data-dir."""


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.data import load_fashion_mnist
    from fmnist_gui.safe_text import printable

    data = load_fashion_mnist(args.data_dir)
    print(f"Fashion-MNIST in {printable(data.source)}: {len(data.train_labels)} training and {len(data.test_labels)} test images.")
    return 0

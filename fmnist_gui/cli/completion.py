"""`completion bash|zsh`: the shell's completion script, generated from the parser itself by shtab."""

from __future__ import annotations

import argparse

from fmnist_gui.cli.parser import build_parser

PARENTS: tuple[argparse.ArgumentParser, ...] = ()
SHELLS = ("bash", "zsh")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Print a completion script for bash or zsh. For bash: "
                          "fmnist-gui completion bash > ~/.local/share/bash-completion/completions/fmnist-gui")
    parser.add_argument("shell", choices=SHELLS)


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.errors import UserFacingError

    try:
        import shtab
    except ImportError:
        raise UserFacingError("Shell completion needs the shtab package: pip install shtab.") from None
    print(shtab.complete(build_parser(), shell=args.shell))
    return 0

"""`devices`: the devices torch can use here, one a line or as JSON."""

from __future__ import annotations

import argparse
import json

from fmnist_gui.cli.options import json_output
from fmnist_gui.names import JSON_SCHEMA

PARENTS = (json_output("print one JSON object"),)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Only the shared --json."""


def run(args: argparse.Namespace) -> int:
    from fmnist_gui.devices import available_devices

    devices = available_devices()
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "devices": [{"name": d.name, "description": d.description} for d in devices]}))
        return 0
    for info in devices:
        print(f"{info.name:<8} {info.description}")
    return 0

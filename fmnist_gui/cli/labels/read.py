"""`labels list`, `labels show NAME`, `labels export NAME --csv FILE`: reading fix sets, never changing them."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from fmnist_gui.cli.labels.common import add_name, add_test_split, describe, open_fix_set
from fmnist_gui.cli.options import csv_option, json_output, labels_folder
from fmnist_gui.cli.table import print_table

if TYPE_CHECKING:
    from fmnist_gui.labels import FixCounts, FixSet


class List:
    """`labels list`: every fix set, training ones first, with its counts and content hash."""

    PARENTS = (json_output("print one JSON object: schema, labels_dir, fix_sets"), labels_folder())

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        pass

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.labels import FixSet, LabelsError, default_labels_dir, list_fix_sets
        from fmnist_gui.names import JSON_SCHEMA
        from fmnist_gui.safe_text import printable, say

        labels_dir = default_labels_dir(args.labels_dir)
        entries: list[dict[str, Any]] = []
        for found in list_fix_sets(labels_dir):
            entry: dict[str, Any] = {"name": found.name, "split": found.split, "path": str(found.path)}
            try:
                fix_set = FixSet.open(found.path, found.split, must_exist=True)
            except LabelsError as exc:
                entry["damage"] = str(exc)
            else:
                entry |= {"hash": fix_set.content_hash, **_counts(fix_set.counts)}
            entries.append(entry)
        if args.json:
            print(json.dumps({"schema": JSON_SCHEMA, "labels_dir": str(labels_dir), "fix_sets": entries}))
            return 0
        if not entries:
            say(f"No fix sets in {printable(labels_dir)}; `fmnist-gui labels apply NAME --from-datamap RUN --top K` "
                "makes one from a run's likely mislabelled images.", sys.stderr)
            return 0
        rows = [("NAME", "SET", "REVIEWED", "RELABELLED", "SET ASIDE", "CONTENT")]
        for entry in entries:
            split = "test" if entry["split"] == "test" else "training"
            if "damage" in entry:
                rows.append((entry["name"], split, "-", "-", "-", f"cannot be read: {entry['damage']}"))
            else:
                rows.append((entry["name"], split, f"{entry['reviewed']:,}", f"{entry['relabelled']:,}",
                             f"{entry['set_aside']:,}", entry["hash"]))
        print_table(rows)
        return 0


class Show:
    """`labels show NAME`: the fix set's counts, then one row per reviewed image."""

    PARENTS = (json_output("print one JSON object: schema, name, split, hash, counts and fixes"), labels_folder())

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)
        add_test_split(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.data import CLASS_NAMES
        from fmnist_gui.labels import HEADER
        from fmnist_gui.names import JSON_SCHEMA

        fix_set = open_fix_set(args)
        rows = [(str(fix.index), CLASS_NAMES[fix.given], fix.action.value, CLASS_NAMES[fix.label] if fix.label is not None else "",
                 fix.note) for fix in fix_set.fixes]  # as the file has them
        if args.json:
            fixes = [{"index": int(row[0]), **dict(zip(HEADER[1:], row[1:]))} for row in rows]
            print(json.dumps({"schema": JSON_SCHEMA, "name": fix_set.name, "split": fix_set.split, "path": str(fix_set.path),
                              "hash": fix_set.content_hash, "identity": fix_set.identity, **_counts(fix_set.counts),
                              "fixes": fixes}))
            return 0
        print(describe(fix_set))
        if rows:
            print_table([tuple(name.upper() for name in HEADER), *rows])
        return 0


class Export:
    """`labels export NAME --csv FILE`: the fix set, checked and in its normal form, written elsewhere."""

    PARENTS = (labels_folder(),)

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        add_name(parser)
        add_test_split(parser)
        csv_option(parser)

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from fmnist_gui.export.common import check_target, save_bytes
        from fmnist_gui.labels.fileformat import fix_file_bytes
        from fmnist_gui.safe_text import printable

        check_target(args.csv)  # before reading: a file that cannot be written is said at once
        fix_set = open_fix_set(args)
        path = save_bytes(args.csv, fix_file_bytes(fix_set.fixes))
        print(f"Wrote {printable(path)}: {describe(fix_set)}.")
        return 0


def _counts(counts: FixCounts) -> dict[str, int]:
    return {"reviewed": counts.reviewed, "relabelled": counts.relabelled, "set_aside": counts.set_aside}

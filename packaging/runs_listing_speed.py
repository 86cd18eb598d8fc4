"""How long listing a runs folder takes, as the Runs tab does it: first, then again with nothing or one run changed.

Makes N small runs (run.json and metrics.csv, as `tests/tiny_runs.py` writes them) in a temporary folder
and times one listing of them, a refresh with nothing changed and a refresh after one run finished an
epoch, for each N asked (default 1,000 and 10,000).

    python packaging/runs_listing_speed.py [--runs 1000 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests' run writer

from fmnist_gui.runs import RunListing  # noqa: E402
from tests.tiny_runs import add_epoch, write_tiny_runs  # noqa: E402


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def measure(count: int, repeat: int) -> dict[str, float]:
    """Median seconds of each kind of listing over `repeat` fresh folders of `count` runs."""
    times: dict[str, list[float]] = {"first": [], "unchanged": [], "one changed": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as temporary:
            folders = write_tiny_runs(Path(temporary) / "runs", count)
            listing = RunListing(Path(temporary) / "runs")
            times["first"].append(timed(listing.refresh))
            times["unchanged"].append(timed(listing.refresh))
            add_epoch(folders[count // 2])
            times["one changed"].append(timed(listing.refresh))
    return {kind: statistics.median(values) for kind, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{'runs':>7}  {'first':>8}  {'unchanged':>9}  {'one changed':>11}  (median of {args.repeat}, seconds)")
    for count in args.runs:
        result = measure(count, args.repeat)
        print(f"{count:>7,}  {result['first']:>8.3f}  {result['unchanged']:>9.3f}  {result['one changed']:>11.3f}")


if __name__ == "__main__":
    main()

"""How long `fmnist-gui train` takes from launch to its first training batch, against importing torch alone.

    python packaging/train_startup.py [--runs 5] [--source CHECKOUT] [--preset quickstart] [--data-dir DIR]

Each run launches `fmnist-gui train --preset P --epochs 1` (its `main`) in a throwaway runs folder, with
torch's backward pass patched as torch is imported so that its second call prints the wall-clock time and ends
the process; the time from launch to that line is "to the first batch" done, its optimizer step included (the
first step imports torch._dynamo). The quickstart preset measures no training path first. `python -c "import torch"`, launched the same way,
gives what importing torch costs by itself. Runs alternate between the two, and medians are printed, with
the difference: the start-up that is the app's own (the goal is at most 1 s). `--source` measures another
checkout (for a before/after). A timing: run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# Runs in the child: once torch is imported (by the app, when it chooses to), the second backward pass says
# when it came and ends the process: the first batch, with its optimizer step, is done. The quickstart preset
# measures no training path first, so those are the run's own batches.
FIRST_BATCH = """
import importlib.abc, importlib.machinery, os, sys, time

def patch(torch):
    backward, calls = torch.Tensor.backward, []
    def second(*args, **kwargs):  # the first batch, its optimizer step included, is done
        calls.append(1)
        if len(calls) == 2:
            print(f"FIRST-BATCH {time.time():.6f}", flush=True)
            os._exit(0)
        return backward(*args, **kwargs)
    torch.Tensor.backward = second

class AfterTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name != "torch":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        run = spec.loader.exec_module
        def exec_module(module):
            run(module)
            patch(module)
        spec.loader.exec_module = exec_module
        return spec

sys.meta_path.insert(0, AfterTorch())
from fmnist_gui.cli import main
sys.exit(main(sys.argv[1:]))
"""


def launch(command: list[str], env: dict[str, str], marker: str | None) -> float:
    """Seconds from launch to `marker`'s line (to the process's end when None)."""
    started = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    if marker is None:
        if done.returncode != 0:
            raise SystemExit(done.stderr[-2000:])
        return time.time() - started
    for line in done.stdout.splitlines():
        if line.startswith(marker):
            return float(line.split()[1]) - started
    raise SystemExit(f"no first batch: exit code {done.returncode}\n{done.stderr[-2000:]}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--source", default=str(REPO), help="the checkout to measure (default: this one)")
    parser.add_argument("--preset", default="quickstart")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    source = str(Path(args.source).resolve())
    with tempfile.TemporaryDirectory(prefix="fmnist-gui-startup-") as runs:
        env = dict(os.environ, PYTHONPATH=source, FMNIST_RUNS=runs, OMP_WAIT_POLICY="PASSIVE")
        train = [sys.executable, "-c", FIRST_BATCH, "train", "--preset", args.preset, "--epochs", "1"]
        train += ["--data-dir", args.data_dir] if args.data_dir else []
        torch_only = [sys.executable, "-c", "import torch"]
        launch(torch_only, env, None)  # warm the disk caches
        launch(train, env, "FIRST-BATCH")
        to_batch, to_torch = [], []
        for _ in range(args.runs):
            to_torch.append(launch(torch_only, env, None))
            to_batch.append(launch(train, env, "FIRST-BATCH"))
    batch, torch_alone = statistics.median(to_batch), statistics.median(to_torch)
    print(f"{sys.executable} -m fmnist_gui train --preset {args.preset}  (source {source})")
    print(f"launch to the first batch: median {batch:.2f} s ({', '.join(f'{t:.2f}' for t in to_batch)})")
    print(f"python -c 'import torch':  median {torch_alone:.2f} s ({', '.join(f'{t:.2f}' for t in to_torch)})")
    print(f"the app's own start-up: {batch - torch_alone:.2f} s beyond importing torch")
    return 0


if __name__ == "__main__":
    sys.exit(main())

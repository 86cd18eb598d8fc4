"""How much faster fmnist-gui feeds and trains than the PyTorch quickstart, measured side by side.

(a) the input pipeline alone, one epoch of training images, no model:
    fmnist-gui keeps the uint8 images resident on the device and, per batch, indexes a shuffled
    permutation and normalises (engine/trainer.py _train_epoch, engine/evaluation.to_input);
    the quickstart wraps each image in a PIL image and converts it with ToTensor inside a
    DataLoader (torchvision.datasets.FashionMNIST's own __getitem__, batch 64, shuffle).
(b) one training epoch of the quickstart MLP plus its test pass, both ways: fmnist-gui's Trainer
    with preset('quickstart') and epochs=1, and the tutorial's train()/test() loops. The epoch is
    cut to its first 300 batches by default (--batches 938 for all of it) to keep the run short.
(c) evaluating the 10,000 test images with the default small CNN: as the engine does it
    (batch norm folded into the convolutions, channels-last) against the plain module.
(d) training steps of the small CNN (AdamW, batch 128), channels-last against contiguous.

(e) the quickstart configuration as a user runs it, whole processes: `fmnist-gui train --preset
    quickstart --epochs 2` against the tutorial's own script (packaging/quickstart_tutorial.py) for 2
    epochs, each timed from start to exit, with the seconds of each epoch as each prints them.
(f) each training path per preset (default: small CNN, batch 128; quickstart: MLP, batch 64; gpu: wide
    CNN, batch 256, here on the CPU): the median milliseconds of a training step (forward, backward,
    optimizer) in fp32, fp32 channels-last, bf16 autocast (where the CPU computes in bf16 itself) and
    torch.compile (its compile time too, and after how many steps it pays), the GFLOP/s each reaches
    against the CPU's estimated peak, and the path precision auto picks on this machine.

Contenders are interleaved, each repetition alternating which goes first, and medians are
reported: the machine may be busy. Usage: python packaging/benchmark.py [--quick] [--repeats N]
[--batches N] [--threads N] [--device D] [--sections abcdef] [--no-compile]; (a)-(d) take about a
minute on 2 CPU cores, (e) about two, (f) about five (most of it compiling; --quick leaves out the
wide CNN).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

INHERITED_ENVIRONMENT = dict(os.environ)  # what (e)'s processes start with, as from the user's shell
# As the app sets it before torch loads (fmnist_gui.cli): OpenMP threads that spin between parallel regions take
# the cores from whatever runs next, and torch.compile's kernels bring a second pool of them.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets
from torchvision.transforms import ToTensor

from fmnist_gui.config import preset
from fmnist_gui.data import DataError, FashionMNIST, load_fashion_mnist
from fmnist_gui.devices import DeviceError, resolve_device
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.engine.evaluation import evaluate, to_input
from fmnist_gui.engine.cpu import cpu_info
from fmnist_gui.architectures import QuickstartMLP
from fmnist_gui.models import get_model_spec

from benchmark_cpu import describe_cpu, estimate_peak, preset_names, preset_paths, whole_processes

TUTORIAL_BATCH = 64  # the quickstart's batch size, and preset('quickstart')'s


class TutorialDataset(datasets.FashionMNIST):
    """torchvision's FashionMNIST, its __getitem__ (PIL image, then ToTensor) unchanged, over loaded tensors.

    torchvision's own constructor wants the uncompressed IDX files under root/FashionMNIST/raw;
    this skips only the file reading, so the per-image work is exactly the tutorial's.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor) -> None:
        datasets.VisionDataset.__init__(self, root="", transform=ToTensor())
        self.train = True
        self.data, self.targets = images.cpu(), labels.cpu()


@dataclass
class Contender:
    name: str
    run: Callable[[], int]  # does the work once; returns the number of images it went through
    rates: list[float] = field(default_factory=list)

    def measure(self, sync: Callable[[], None]) -> float:
        sync()
        started = time.perf_counter()
        images = self.run()
        sync()
        rate = images / (time.perf_counter() - started)
        self.rates.append(rate)
        return rate


# (a) the input pipelines


def resident_pipeline(data: FashionMNIST, batch_size: int, mean: float, std: float) -> Callable[[], int]:
    """What _train_epoch does for its input: index a shuffled permutation, then to_input, per batch."""
    count = len(data.train_labels)
    seed = [0]

    def run() -> int:
        seed[0] += 1
        generator = torch.Generator().manual_seed(seed[0])
        order = torch.randperm(count, generator=generator).to(data.train_images.device)
        for start in range(0, count, batch_size):
            index = order[start : start + batch_size]
            labels = data.train_labels[index]
            inputs = to_input(data.train_images[index], mean, std)
        del labels, inputs
        return count

    return run


def dataloader_pipeline(dataset: TutorialDataset, device: torch.device) -> Callable[[], int]:
    """The quickstart's: `for X, y in DataLoader(training_data, batch_size=64, shuffle=True): X.to(device)`."""
    loader = DataLoader(dataset, batch_size=TUTORIAL_BATCH, shuffle=True)

    def run() -> int:
        for inputs, labels in loader:
            inputs, labels = inputs.to(device), labels.to(device)
        return len(dataset)

    return run


# (b) a training epoch and its test pass


def trainer_epoch(data: FashionMNIST, device: torch.device) -> Callable[[], int]:
    config = preset("quickstart").replace(epochs=1, device=str(device))  # resolve_device gives cuda:N, never cuda

    def run() -> int:
        result = Trainer(config, data).fit()
        if result.reason is not FinishReason.COMPLETED:
            raise SystemExit(f"benchmark: the fmnist-gui run ended {result.reason.value}: {result.message}")
        return len(data.train_labels) + len(data.test_labels)

    return run


def tutorial_epoch(train: TutorialDataset, test: TutorialDataset, device: torch.device) -> Callable[[], int]:
    """The quickstart's train() and test() loops, minus the printing."""
    train_loader = DataLoader(train, batch_size=TUTORIAL_BATCH, shuffle=True)
    test_loader = DataLoader(test, batch_size=TUTORIAL_BATCH)

    def run() -> int:
        torch.manual_seed(0)
        model = QuickstartMLP().to(device)
        loss_fn = nn.CrossEntropyLoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        model.train()
        for batch, (X, y) in enumerate(train_loader):
            X, y = X.to(device), y.to(device)
            loss = loss_fn(model(X), y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            if batch % 100 == 0:
                loss.item()
        model.eval()
        test_loss, correct = 0.0, 0.0
        with torch.no_grad():
            for X, y in test_loader:
                X, y = X.to(device), y.to(device)
                pred = model(X)
                test_loss += F.cross_entropy(pred, y).item()
                correct += (pred.argmax(1) == y).type(torch.float).sum().item()
        return len(train) + len(test)

    return run


# (c) and (d): the small CNN's memory layout and folded batch norm


def cnn_evaluation(data: FashionMNIST, device: torch.device, engine_way: bool) -> Callable[[], int]:
    spec = get_model_spec("small-cnn")
    model = spec.create(device) if engine_way else spec.build().to(device)

    def run() -> int:
        if engine_way:
            evaluate(model, data.test_images, data.test_labels, spec.mean, spec.std)
        else:
            with torch.no_grad():
                model.eval()
                for start in range(0, len(data.test_labels), 500):
                    F.softmax(model(to_input(data.test_images[start : start + 500], spec.mean, spec.std)), dim=1)
        return len(data.test_labels)

    return run


def cnn_training_steps(data: FashionMNIST, device: torch.device, channels_last: bool, steps: int) -> Callable[[], int]:
    spec = get_model_spec("small-cnn")
    torch.manual_seed(0)
    model = spec.create(device) if channels_last else spec.build().to(device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    generator = torch.Generator().manual_seed(0)

    def run() -> int:
        for _ in range(steps):
            index = torch.randint(0, len(data.train_labels), (128,), generator=generator).to(device)
            x = to_input(data.train_images[index], spec.mean, spec.std, channels_last)
            loss = F.cross_entropy(model(x), data.train_labels[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        return steps * 128

    return run


def first(data: FashionMNIST, count: int) -> FashionMNIST:
    """The first `count` training images; the test set stays whole."""
    return FashionMNIST(data.train_images[:count], data.train_labels[:count], data.test_images, data.test_labels, data.source)


def compare(title: str, ours: Contender, theirs: Contender, repeats: int, sync: Callable[[], None]) -> None:
    print(f"\n{title}", flush=True)
    ratios = []
    for repetition in range(repeats):
        pair = (ours, theirs) if repetition % 2 == 0 else (theirs, ours)
        for contender in pair:
            contender.measure(sync)
        ratios.append(ours.rates[-1] / theirs.rates[-1])
        print(f"  run {repetition + 1}/{repeats}: {ours.rates[-1]:>12,.0f} vs {theirs.rates[-1]:>10,.0f} images/s", flush=True)
    width = max(len(ours.name), len(theirs.name))
    print(f"  {'contender':<{width}}  {'median images/s':>15}  {'range':>23}  {'ratio':>7}")
    for contender, ratio in ((ours, statistics.median(ratios)), (theirs, 1.0)):
        low, high = min(contender.rates), max(contender.rates)
        span = f"{low:,.0f}-{high:,.0f}"
        print(f"  {contender.name:<{width}}  {statistics.median(contender.rates):>15,.0f}  {span:>23}  {ratio:>6.1f}x")
    print(f"  (ratio: the median of the {repeats} paired ratios, each pair measured back to back)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="measurements of each contender (default 3; 2 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, and (b) on the first 100 batches")
    parser.add_argument("--batches", type=int, help="(b) on this many training batches of 64 (default 300; 938 is the whole epoch)")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or mps (default cpu)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice); 1 is steadier on a busy machine")
    parser.add_argument("--sections", default="abcdef", help="the sections to run, by letter (default abcdef)")
    parser.add_argument("--no-compile", action="store_true", help="(f) without torch.compile (compiling takes minutes)")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick and args.repeats == 3 else args.repeats
    batches = args.batches or (100 if args.quick else 300)
    if repeats < 1 or batches < 1 or (args.threads is not None and args.threads < 1):
        parser.error("--repeats, --batches and --threads must be at least 1")
    if not args.sections or set(args.sections) - set("abcdef"):
        parser.error("--sections takes letters from abcdef")
    if args.threads:
        torch.set_num_threads(args.threads)
    describe_cpu()
    if set(args.sections) & set("abcd"):
        status = pipeline_sections(args, repeats, batches)
        if status:
            return status
    if "e" in args.sections:
        whole_processes(repeats, args.device, INHERITED_ENVIRONMENT)
    if "f" in args.sections:
        if args.device != "cpu":
            print("\n(f) compares CPU paths: left out for --device " + args.device)
        else:
            preset_paths(preset_names(args.quick), repeats, not args.no_compile, estimate_peak(cpu_info(), torch.get_num_threads()))
    return 0


def pipeline_sections(args: argparse.Namespace, repeats: int, batches: int) -> int:
    """(a) to (d), those of them args.sections names, on the loaded data; an exit status."""
    try:
        device = resolve_device(args.device)
        data = load_fashion_mnist(device=device)
    except (DataError, DeviceError) as exc:
        print(f"benchmark: {exc}", file=sys.stderr)
        return 1
    if len(data.train_labels) != 60_000:
        print("benchmark: this needs the full Fashion-MNIST (60000 training images), not a small set.", file=sys.stderr)
        return 1
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    train_set = TutorialDataset(data.train_images, data.train_labels)
    test_set = TutorialDataset(data.test_images, data.test_labels)
    spec = get_model_spec("quickstart-mlp")  # mean 0, std 1: ToTensor's [0, 1], as the tutorial feeds it
    print(
        f"Fashion-MNIST from {data.source}; torch {torch.__version__} on {device}, {torch.get_num_threads()} threads, "
        f"{os.cpu_count()} CPUs; median of {repeats}, contenders interleaved"
    )

    if "a" in args.sections:
        _pipelines(data, train_set, spec.mean, spec.std, device, repeats, sync)
    if "b" in args.sections:
        _epochs(data, test_set, batches, device, repeats, sync)
    if "c" in args.sections:
        evaluation_ours = Contender("fmnist-gui: folded batch norm, channels-last", cnn_evaluation(data, device, True))
        evaluation_plain = Contender("plain module, contiguous", cnn_evaluation(data, device, False))
        evaluation_ours.run(), evaluation_plain.run()
        compare(f"(c) evaluating the small CNN on {len(data.test_labels)} test images", evaluation_ours, evaluation_plain, repeats, sync)
    if "d" in args.sections:
        steps = 40 if args.quick else 100
        training_ours = Contender("fmnist-gui: channels-last", cnn_training_steps(data, device, True, steps))
        training_plain = Contender("contiguous", cnn_training_steps(data, device, False, steps))
        training_ours.run(), training_plain.run()
        compare(f"(d) {steps} training steps of the small CNN, AdamW, batch 128", training_ours, training_plain, repeats, sync)
    return 0


def _pipelines(data: FashionMNIST, train_set: TutorialDataset, mean: float, std: float, device: torch.device, repeats: int,
               sync: Callable[[], None]) -> None:
    pipeline_ours = Contender("fmnist-gui: resident uint8, index + normalise", resident_pipeline(data, TUTORIAL_BATCH, mean, std))
    pipeline_theirs = Contender("quickstart: DataLoader + ToTensor per image", dataloader_pipeline(train_set, device))
    pipeline_ours.run(), pipeline_theirs.run()  # warm-up, not counted
    compare(f"(a) input pipeline, {len(train_set)} training images in batches of {TUTORIAL_BATCH}, no model",
            pipeline_ours, pipeline_theirs, repeats, sync)


def _epochs(data: FashionMNIST, test_set: TutorialDataset, batches: int, device: torch.device, repeats: int,
            sync: Callable[[], None]) -> None:
    subset = first(data, batches * TUTORIAL_BATCH)
    train_subset = TutorialDataset(subset.train_images, subset.train_labels)
    epoch_ours = Contender("fmnist-gui: Trainer, preset quickstart", trainer_epoch(subset, device))
    epoch_theirs = Contender("quickstart: train() + test() with DataLoader", tutorial_epoch(train_subset, test_set, device))
    warm = first(data, 20 * TUTORIAL_BATCH)  # a short warm-up of both loops, not counted
    trainer_epoch(warm, device)()
    tutorial_epoch(TutorialDataset(warm.train_images, warm.train_labels), test_set, device)()
    extent = "the whole epoch" if len(train_subset) == len(data.train_labels) else f"the first {batches} batches"
    compare(f"(b) training the quickstart MLP, SGD lr 1e-3, batch {TUTORIAL_BATCH}: {extent} "
            f"({len(train_subset)} images) and the test pass ({len(test_set)}), both counted in images/s",
            epoch_ours, epoch_theirs, repeats, sync)


if __name__ == "__main__":
    sys.exit(main())

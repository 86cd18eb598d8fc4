"""The model as ONNX: [0, 1] pixels in, probabilities out, checked against PyTorch before it is written.

onnx, onnxscript and onnxruntime are an optional extra (`pip install 'fmnist-gui[onnx]'`): they are
imported only here, only when an export is asked for.
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from fmnist_gui.data import IMAGE_SIDE
from fmnist_gui.engine.evaluation import predict_probabilities
from fmnist_gui.export.common import ExportError, PathLike, check_target, save_bytes
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.checkpoint import Checkpoint
    from fmnist_gui.data import FashionMNIST

OPSET = 18
INPUT_NAME, OUTPUT_NAME = "image", "probabilities"
MIN_AGREEMENT = 0.999  # fraction of test images the ONNX model must give the same class as PyTorch
MAX_DIFFERENCE = 1e-4  # largest allowed |probability difference| on any image and class
CHECK_BATCH = 1000
EXTRA_PACKAGES = ("onnx", "onnxscript", "onnxruntime")
MISSING_EXTRA = "ONNX export needs the optional packages onnx, onnxscript and onnxruntime: pip install 'fmnist-gui[onnx]'."


@dataclass(frozen=True)
class OnnxReport:
    """What was written, and how closely it matched PyTorch (None when no check was asked for)."""

    path: Path
    opset: int
    images: int  # test images compared; 0 when not checked
    agreement: float | None  # fraction of them given the same class, 0..1
    max_difference: float | None  # largest |probability difference|

    @property
    def checked(self) -> bool:
        return self.agreement is not None

    def describe(self) -> str:
        """One line for people, e.g. 'Wrote model.onnx: 10,000 test images, same class on 100.00%, …'."""
        name = printable(self.path.name or self.path)
        if self.agreement is None or self.max_difference is None:
            return f"Wrote {name} (opset {self.opset}); not checked against PyTorch."
        return (
            f"Wrote {name}: {self.images:,} test images, same class on {percent(self.agreement)}, "
            f"largest probability difference {self.max_difference:.1e} (opset {self.opset})."
        )


class ProbabilityModel(nn.Module):
    """The graph that is exported: normalisation, the model, softmax, so a user feeds ToTensor() output."""

    def __init__(self, model: nn.Module, mean: float, std: float) -> None:
        super().__init__()
        self.model = model
        self.mean = mean
        self.std = std

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        if self.mean != 0.0 or self.std != 1.0:
            image = (image - self.mean) / self.std
        return torch.softmax(self.model(image), dim=1)


def export_onnx(checkpoint: Checkpoint, path: PathLike, data: FashionMNIST | None = None) -> OnnxReport:
    """Write the checkpoint's model as ONNX to `path`, atomically.

    With `data`, the ONNX model is first run with onnxruntime on the whole test set and compared
    with PyTorch; unless the same class comes out on >= 99.9% of images and no probability differs
    by more than 1e-4, ExportError is raised and nothing is written.
    """
    require_extra()
    target = Path(path).expanduser()
    check_target(target)
    model_bytes, opset = onnx_bytes(checkpoint)
    images, agreement, difference = 0, None, None
    if data is not None:
        images = len(data.test_images)
        agreement, difference = parity(checkpoint, model_bytes, data.test_images)
        if not (agreement >= MIN_AGREEMENT and difference <= MAX_DIFFERENCE):  # NaN refuses too
            raise ExportError(
                f"The ONNX model disagrees with PyTorch, so {printable(target.name)} was not written: "
                f"same class on {percent(agreement)} of {images:,} test images, largest probability "
                f"difference {difference:.1e} (needed: {100 * MIN_AGREEMENT:g}% and {MAX_DIFFERENCE:.0e})."
            )
    save_bytes(target, model_bytes)
    return OnnxReport(target, opset, images, agreement, difference)


def require_extra() -> None:
    """ExportError with the install command unless the optional ONNX packages import."""
    for name in EXTRA_PACKAGES:
        try:
            importlib.import_module(name)
        except ImportError:
            raise ExportError(MISSING_EXTRA) from None


def onnx_bytes(checkpoint: Checkpoint) -> tuple[bytes, int]:
    """The serialised ONNX model with a dynamic batch dimension, and its opset."""
    model = checkpoint.spec.build()  # contiguous, not channels-last: the graph a user gets is the plain one
    model.load_state_dict(checkpoint.model_state)
    wrapped = ProbabilityModel(model.eval(), checkpoint.spec.mean, checkpoint.spec.std).eval()
    example = torch.rand(2, 1, IMAGE_SIDE, IMAGE_SIDE)  # 2, not 1: an example batch of 1 is specialised
    try:
        program = torch.onnx.export(
            wrapped,
            (example,),
            input_names=[INPUT_NAME],
            output_names=[OUTPUT_NAME],
            dynamic_shapes={INPUT_NAME: {0: torch.export.Dim("batch", min=1)}},
            opset_version=OPSET,
            dynamo=True,
            verbose=False,
        )
        assert program is not None  # with dynamo=True the exporter returns the program, never None
        proto = program.model_proto
        payload = proto.SerializeToString()
    except Exception as exc:  # noqa: BLE001 - the exporter's failures are many and deep; the user gets one line
        raise ExportError(f"The model could not be converted to ONNX: {first_line(exc)}.") from None
    opset = next((entry.version for entry in proto.opset_import if entry.domain in ("", "ai.onnx")), OPSET)
    return payload, int(opset)


def parity(checkpoint: Checkpoint, model_bytes: bytes, images: torch.Tensor) -> tuple[float, float]:
    """(fraction of images given the same class, largest |probability difference|): ONNX vs PyTorch."""
    if len(images) == 0:
        raise ExportError("The ONNX model cannot be checked: the test set holds no images.")
    images = images.cpu()
    expected = predict_probabilities(checkpoint.build_model("cpu"), images, checkpoint.spec.mean, checkpoint.spec.std).numpy()
    actual = onnx_probabilities(model_bytes, images)
    if actual.shape != expected.shape:
        raise ExportError(f"The ONNX model gives results of shape {list(actual.shape)}, not {list(expected.shape)}.")
    agreement = float(np.mean(actual.argmax(axis=1) == expected.argmax(axis=1)))
    difference = float(np.max(np.abs(actual.astype(np.float64) - expected)))
    return agreement, difference


def onnx_probabilities(model_bytes: bytes, images: torch.Tensor) -> np.ndarray:
    """Run the ONNX model with onnxruntime on uint8 images (N, 28, 28), fed as ToTensor() would: /255."""
    onnxruntime = importlib.import_module("onnxruntime")
    try:
        session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        chunks = [
            session.run([OUTPUT_NAME], {INPUT_NAME: unit_pixels(images[start : start + CHECK_BATCH])})[0]
            for start in range(0, len(images), CHECK_BATCH)
        ]
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own exception types
        raise ExportError(f"onnxruntime could not run the exported model: {first_line(exc)}.") from None
    return np.concatenate(chunks).astype(np.float32, copy=False)


def unit_pixels(images: torch.Tensor) -> np.ndarray:
    """uint8 (N, 28, 28) -> float32 (N, 1, 28, 28) in [0, 1], what torchvision's ToTensor() gives."""
    return images.cpu().unsqueeze(1).float().div(255.0).numpy()


def percent(fraction: float) -> str:
    """A fraction as a percentage, rounded down, so that 100.00% means every single one."""
    if math.isnan(fraction):
        return "nan%"
    return f"{math.floor(round(fraction * 10000, 6)) / 100:.2f}%"  # round first: 0.9999 * 10000 is 9998.99…


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return printable(text.splitlines()[0]).rstrip(".") if text else type(exc).__name__

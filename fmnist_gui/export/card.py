"""A Markdown model card: what the model is, how it was trained, how well it does, per class."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from fmnist_gui.data import FULL_COUNTS, IMAGE_SIDE
from fmnist_gui.export.common import PathLike, save_text
from fmnist_gui.formats import format_loss
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.checkpoint import Checkpoint
    from fmnist_gui.engine.evaluation import Evaluation


@dataclass(frozen=True)
class _Results:
    """Test results from a fresh evaluation or, failing that, the last finished epoch."""

    accuracy: float  # percent
    loss: float
    per_class: np.ndarray  # percent, NaN for a class without images
    confusion: np.ndarray | None  # rows are true classes
    source: str


def write_model_card(checkpoint: Checkpoint, path: PathLike, evaluation: Evaluation | None = None) -> Path:
    """Write the model card for `checkpoint` to `path` atomically; results from `evaluation` if given."""
    return save_text(path, model_card(checkpoint, evaluation))


def model_card(checkpoint: Checkpoint, evaluation: Evaluation | None = None) -> str:
    """The card's Markdown. Every text that came from the file is made printable and table-safe."""
    spec = checkpoint.spec
    names = checkpoint.class_names
    results = _results(checkpoint, evaluation)
    lines = [f"# Model card: {cell(spec.name)}", "", "A Fashion-MNIST classifier trained with fmnist-gui.", ""]
    lines += ["## Model", ""]
    lines += table(
        ("", "this model"),
        [
            ("architecture", f"{cell(spec.name)}: {cell(spec.description)}"),
            ("parameters", f"{spec.parameter_count:,}"),
            ("input", f"1×{IMAGE_SIDE}×{IMAGE_SIDE} grey image, pixels scaled to [0, 1]" + _normalisation(spec.mean, spec.std)),
            ("output", f"probabilities of the {len(names)} classes"),
            ("trained to", f"{checkpoint.position} ({checkpoint.step:,} batches)"),
            ("origin", cell(checkpoint.origin)),
        ],
    )
    lines += ["## Data", ""]
    lines += [
        f"Fashion-MNIST (Zalando Research): {IMAGE_SIDE}×{IMAGE_SIDE} grey pictures of clothing, "
        f"{FULL_COUNTS['train']:,} for training and {FULL_COUNTS['test']:,} for testing.",
        "",
        "Classes, in label order: " + ", ".join(f"{index} {cell(name)}" for index, name in enumerate(names)) + ".",
        "",
        *_label_fixes(checkpoint.config.labels),
    ]
    lines += ["## Training configuration", ""]
    lines += table(("setting", "value"), [(cell(key), cell(_value(value))) for key, value in checkpoint.config.to_dict().items()])
    lines += ["## Results", ""]
    lines += _results_section(results, names)
    lines += ["## Training time and device", ""]
    lines += [f"{_duration(sum(entry.seconds for entry in checkpoint.history))} over {len(checkpoint.history)} "
              f"finished epoch{'s' if len(checkpoint.history) != 1 else ''} (evaluation included), "
              f"on the device set for training: {cell(checkpoint.config.device)}.", ""]
    lines += ["## Library versions", ""]
    versions = checkpoint.versions or {"unknown": "the file does not say"}
    lines += table(("library", "version"), [(cell(name), cell(version)) for name, version in versions.items()])
    return "\n".join(lines)


def _results(checkpoint: Checkpoint, evaluation: Evaluation | None) -> _Results | None:
    if evaluation is not None:
        images = int(np.asarray(evaluation.confusion).sum())
        return _Results(evaluation.accuracy, evaluation.loss, np.asarray(evaluation.per_class_accuracy, dtype=np.float64),
                        np.asarray(evaluation.confusion), f"evaluated on {images:,} test images when this card was written")
    if not checkpoint.history:
        return None
    last = checkpoint.history[-1]
    confusion = None if last.confusion is None else np.array(last.confusion, dtype=np.int64)
    return _Results(last.test_accuracy, last.test_loss, last.per_class_array(), confusion,
                    f"as measured on the test set at the end of epoch {last.epoch}")


def _results_section(results: _Results | None, names: Sequence[str]) -> list[str]:
    if results is None:
        return ["Not evaluated: the checkpoint holds no finished epoch and no evaluation was given.", ""]
    lines = [f"Test accuracy **{results.accuracy:.2f}%**, test loss {format_loss(results.loss)} ({results.source}).", ""]
    lines += ["### Per-class accuracy", ""]
    lines += table(("class", "accuracy"), [(cell(name), _percent(value)) for name, value in zip(names, results.per_class)])
    lines += ["### Confusion matrix", ""]
    if results.confusion is None:
        return lines + ["Not kept in this checkpoint.", ""]
    lines += ["Rows are the true classes, columns the predicted ones; the diagonal counts the right answers.", ""]
    header = ("true \\ predicted", *(cell(name) for name in names))
    rows = [(cell(name), *(f"{int(count):,}" for count in row)) for name, row in zip(names, results.confusion)]
    return lines + table(header, rows, numeric=True)


def table(header: Sequence[str], rows: Iterable[Sequence[str]], numeric: bool = False) -> list[str]:
    """A Markdown table (cells already escaped) and the blank line after it; numbers right-aligned."""
    rule = ["---"] + ["---:" if numeric else "---"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(rule) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines + [""]


# What Markdown or HTML could read as markup in text a checkpoint supplies: backslash-escaped, or as entities.
_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()#!|~:")
_HTML = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;"}


def cell(text: object) -> str:
    """Text from a file as one printable line that is only ever text: it cannot end a table cell, open a tag
    or a comment (<img onerror=…>, <script>, <!--), make a link or an image (![](http://…)) or an autolink
    (javascript:, http://); the reader sees the same characters."""
    return "".join(_HTML.get(char) or (f"\\{char}" if char in _MARKDOWN_PUNCTUATION else char) for char in printable(text))


def _label_fixes(identity: str) -> list[str]:
    """What the card says of the label fix set the model trained with (NAME@HASH), if any."""
    if not identity:
        return ["Trained on the training labels as the data files hold them.", ""]
    name, _, content = identity.partition("@")
    return [f"Trained with the label fix set **{cell(name)}** (content hash {cell(content)}): some training images were "
            "relabelled or set aside before training, in memory; the data files were not changed. The test set, and "
            "every result below, is Fashion-MNIST's own.", ""]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _normalisation(mean: float, std: float) -> str:
    if mean == 0.0 and std == 1.0:
        return ", not standardised"
    return f", then standardised with mean {mean:.4f} and std {std:.4f} (the ONNX export does this in its graph)"


def _percent(value: float) -> str:
    return "—" if math.isnan(value) else f"{value:.2f}%"


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {rest} s" if minutes else f"{seconds:.1f} s"

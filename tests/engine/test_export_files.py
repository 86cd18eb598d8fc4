"""Model cards and CSV tables: what they hold, that hostile text stays in its cell, atomic writing."""

from __future__ import annotations

import csv
import math
import re

import numpy as np
import pytest

from fmnist_gui.data import CLASS_NAMES
from fmnist_gui.engine.evaluation import evaluate
from fmnist_gui.engine.events import EpochSummary
from fmnist_gui.export import ExportError, model_card, write_confusion_csv, write_metrics_csv, write_model_card
from fmnist_gui.export.tables import CONFUSION_CORNER, EPOCH_METRICS, METRICS_HEADER
from tests.engine.export_helpers import fresh_checkpoint

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def summary(epoch: int, accuracy: float = 80.0, seconds: float = 12.5, confusion=None) -> EpochSummary:
    per_class = tuple(float(accuracy + k) for k in range(9)) + (math.nan,)
    return EpochSummary(epoch=epoch, step=100 * epoch, train_loss=0.5 / epoch, train_accuracy=accuracy - 1, test_loss=0.4 / epoch,
                        test_accuracy=accuracy, per_class_accuracy=per_class, confusion=confusion, lr=0.01 / epoch, seconds=seconds)


def table_after(text: str, heading: str) -> list[list[str]]:
    """The cells of the Markdown table that follows `heading`, split on unescaped pipes."""
    lines = text[text.index(heading):].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in UNESCAPED_PIPE.split(line)[1:-1]])
    return rows


@pytest.fixture(scope="module")
def evaluated(synthetic_data):
    checkpoint = fresh_checkpoint("small-cnn")
    result = evaluate(checkpoint.build_model("cpu"), synthetic_data.test_images, synthetic_data.test_labels,
                      checkpoint.spec.mean, checkpoint.spec.std)
    return checkpoint, result


# the model card


def test_the_card_holds_the_accuracy_per_class_and_a_10_by_10_confusion_table(evaluated, tmp_path):
    checkpoint, result = evaluated
    path = write_model_card(checkpoint, tmp_path / "card.md", result)
    text = path.read_text(encoding="utf-8")
    assert f"Test accuracy **{result.accuracy:.2f}%**" in text
    assert "evaluated on 200 test images" in text
    for heading in ("## Model", "## Data", "## Training configuration", "## Results", "## Training time and device", "## Library versions"):
        assert f"\n{heading}\n" in text
    confusion = table_after(text, "### Confusion matrix")
    assert len(confusion) == 2 + 10 and all(len(row) == 11 for row in confusion)
    assert confusion[0][1:] == list(CLASS_NAMES) and [row[0] for row in confusion[2:]] == list(CLASS_NAMES)
    counts = np.array([[int(n.replace(",", "")) for n in row[1:]] for row in confusion[2:]])
    np.testing.assert_array_equal(counts, result.confusion)
    per_class = table_after(text, "### Per-class accuracy")[2:]
    assert [row[1] for row in per_class] == [f"{value:.2f}%" for value in result.per_class_accuracy]
    assert f"| parameters | {checkpoint.spec.parameter_count:,} |" in text


def test_without_an_evaluation_the_card_uses_the_last_epoch_and_sums_the_training_time():
    confusion = tuple(tuple(7 if row == col else 0 for col in range(10)) for row in range(10))
    checkpoint = fresh_checkpoint("quickstart-mlp", history=(summary(1, 70.0, 65.0), summary(2, 81.25, 70.0, confusion)), epoch=2, step=200)
    text = model_card(checkpoint)
    assert "Test accuracy **81.25%**" in text and "end of epoch 2" in text
    assert "2 min 15 s over 2 finished epochs" in text  # 65 s + 70 s
    assert "| Ankle boot | — |" in text  # a class without test images
    assert "not standardised" in text  # the MLP takes [0, 1] pixels as they are
    assert len(table_after(text, "### Confusion matrix")) == 12


def test_a_checkpoint_never_evaluated_says_so():
    text = model_card(fresh_checkpoint("small-cnn"))
    assert "Not evaluated" in text and "### Confusion matrix" not in text


def test_text_from_the_file_cannot_break_a_table_or_the_terminal(evaluated):
    checkpoint, result = evaluated
    names = ("Bag|Tote", "Shirt\x1b]0;pwned\x07", "Top\nline", *CLASS_NAMES[3:])
    hostile = fresh_checkpoint("small-cnn", class_names=names, versions={"torch|x": "2.0\x1b[31m"})
    text = model_card(hostile, result)
    assert "\x1b" not in text and "\x07" not in text
    assert "Bag\\|Tote" in text and "| Top line |" in text
    confusion = table_after(text, "### Confusion matrix")
    assert all(len(row) == 11 for row in confusion) and confusion[0][1] == "Bag\\|Tote"
    assert table_after(text, "## Library versions")[2] == ["torch\\|x", "2.0"]


HOSTILE = ("<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "![](http://evil.test/p.png)",
           "[click](javascript:alert(1))", "<!-- hide", "<javascript:alert(1)>", "**bold** _it_ `code`")


def test_markup_from_the_file_reaches_the_card_as_text_only(evaluated):
    """Class names, versions and origin holding HTML or Markdown: escaped, so a renderer shows them as written."""
    checkpoint, result = evaluated
    names = (*HOSTILE, *CLASS_NAMES[len(HOSTILE):])
    hostile = fresh_checkpoint("small-cnn", class_names=names, versions={"torch": "<script>x</script>"},
                               origin="![](http://evil.test/o.png)")
    text = model_card(hostile, result)
    for markup in ("<img", "<script", "![", "](", "<!--", "<javascript", "http://", "**bold**", "`code`"):
        assert markup not in text, markup
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in text  # the same characters, shown as text
    try:
        import markdown
    except ImportError:
        return  # (the optional tensorboard extra brings it)
    html = markdown.markdown(text, extensions=["tables"])
    assert "<img" not in html and "<script" not in html and "<a " not in html and "<!--" not in html
    assert "<strong>bold</strong>" not in html and "<code>" not in html


def test_a_card_aimed_at_a_folder_is_refused_in_one_line(evaluated, tmp_path):
    checkpoint, result = evaluated
    folder = tmp_path / "card.md"
    folder.mkdir()
    with pytest.raises(ExportError, match="it is a folder"):
        write_model_card(checkpoint, folder, result)


# CSV tables


def test_metrics_of_several_runs_round_trip_in_long_format(tmp_path):
    runs = [("baseline", [summary(1), summary(2, 85.5)]), ("seed 2", [summary(1, 79.0)])]
    path = write_metrics_csv(runs, tmp_path / "metrics.csv")
    with path.open(newline="", encoding="utf-8") as stream:
        reader = csv.reader(stream)
        assert tuple(next(reader)) == METRICS_HEADER
        rows = list(reader)
    metrics = [*EPOCH_METRICS, *(f"accuracy_{name}" for name in CLASS_NAMES)]
    assert len(rows) == 3 * len(metrics) == 3 * 16
    expected = []
    for run, history in runs:
        for entry in history:
            values = [getattr(entry, m) for m in EPOCH_METRICS] + list(entry.per_class_accuracy)
            expected += [[run, str(entry.epoch), metric, "" if math.isnan(v) else v] for metric, v in zip(metrics, values)]
    read = [[run, epoch, metric, value if value == "" else float(value)] for run, epoch, metric, value in rows]
    assert read == expected  # exact floats, NaN as an empty value
    assert ["seed 2", "1", "accuracy_T-shirt/top", 79.0] in read


def test_a_run_name_a_spreadsheet_would_run_as_a_formula_is_kept_as_text(tmp_path):
    path = write_metrics_csv([("=HYPERLINK(\"x\")", [summary(1)]), ("bad\x1b[2Jname", [summary(1)])], tmp_path / "m.csv")
    with path.open(newline="", encoding="utf-8") as stream:
        runs = {row["run"] for row in csv.DictReader(stream)}
    assert runs == {"'=HYPERLINK(\"x\")", "badname"}  # and no terminal escape


def test_the_confusion_csv_has_predicted_classes_across_and_true_classes_down(tmp_path):
    matrix = np.arange(100, dtype=np.int64).reshape(10, 10)
    path = write_confusion_csv(matrix, CLASS_NAMES, tmp_path / "confusion.csv")
    with path.open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    assert rows[0] == [CONFUSION_CORNER, *CLASS_NAMES]
    assert [row[0] for row in rows[1:]] == list(CLASS_NAMES)
    np.testing.assert_array_equal(np.array([[int(n) for n in row[1:]] for row in rows[1:]]), matrix)


def test_a_csv_that_cannot_be_written_leaves_the_old_one(tmp_path, monkeypatch):
    path = tmp_path / "metrics.csv"
    path.write_text("old\n")
    import fmnist_gui.atomic as atomic

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full_disk)
    with pytest.raises(ExportError, match="No space left on device"):
        write_metrics_csv([("run", [summary(1)])], path)
    assert path.read_text() == "old\n" and sorted(p.name for p in tmp_path.iterdir()) == ["metrics.csv"]

"""docs/checkpoint.md: its loading example runs on a real checkpoint, and its key table is complete."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest
import torch
from tests.pictures import save_picture

from fmnist_gui.checkpoint import _payload, load_checkpoint, save_checkpoint
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.engine.evaluation import predict_probabilities

DOC = Path(__file__).resolve().parents[2] / "docs" / "checkpoint.md"


def example_code() -> str:
    """The Python block of the section "Loading one without the app"."""
    section = DOC.read_text(encoding="utf-8").split("## Loading one without the app", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)


@pytest.fixture(scope="module")
def small_cnn_file(synthetic_data, tmp_path_factory) -> Path:
    """A small-cnn (so the normalisation is not the identity) after one epoch on the synthetic data."""
    from fmnist_gui.config import TrainConfig

    trainer = Trainer(TrainConfig(model="small-cnn", epochs=1, batch_size=100), synthetic_data, [])
    assert trainer.fit().reason is FinishReason.COMPLETED
    return save_checkpoint(trainer.checkpoint(), tmp_path_factory.mktemp("doc") / "model.pt")


def test_the_loading_example_classifies_like_the_app(small_cnn_file, synthetic_data, tmp_path, monkeypatch):
    image = synthetic_data.test_images[3]
    save_picture(image, tmp_path / "item.png")
    (tmp_path / "model.pt").write_bytes(small_cnn_file.read_bytes())
    monkeypatch.chdir(tmp_path)
    code = example_code()
    assert len([line for line in code.splitlines() if line and not line.startswith(("import", "from"))]) <= 10
    printed = io.StringIO()
    namespace: dict[str, object] = {}
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(DOC), "exec"), namespace)  # noqa: S102 - the documentation's own example

    checkpoint = load_checkpoint(small_cnn_file)
    expected = predict_probabilities(checkpoint.build_model(), image[None], checkpoint.spec.mean, checkpoint.spec.std)[0]
    assert torch.allclose(namespace["probabilities"], expected, atol=1e-5)
    best = int(expected.argmax())
    assert printed.getvalue() == f"{checkpoint.class_names[best]} {float(expected[best]):.1%}\n"


def test_every_key_of_the_file_is_documented(small_cnn_file):
    table = DOC.read_text(encoding="utf-8").split("## Keys", 1)[1].split("###", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE)
    assert documented == list(_payload(load_checkpoint(small_cnn_file)))
    assert documented == list(torch.load(small_cnn_file, weights_only=True))


def test_config_and_history_fields_are_documented():
    from dataclasses import fields

    from fmnist_gui.config import TrainConfig
    from fmnist_gui.engine.events import EpochSummary

    text = DOC.read_text(encoding="utf-8")
    config = text.split("### `config`", 1)[1].split("###", 1)[0]
    assert all(f"`{f.name}`" in config for f in fields(TrainConfig))
    history = text.split("### `history` entries", 1)[1].split("##", 1)[0]
    rows = re.findall(r"^\| (`.*?) \|", history, re.MULTILINE)
    documented = [name for row in rows for name in re.findall(r"`(\w+)`", row)]
    assert sorted(documented) == sorted(f.name for f in fields(EpochSummary))

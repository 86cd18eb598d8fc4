"""Damaged and crafted checkpoint files: every one is refused with one CheckpointError line, nothing else."""

from __future__ import annotations

import copy
import os
import zipfile
from pathlib import Path

import pytest
import torch

from fmnist_gui import torch_file
from fmnist_gui.checkpoint import Checkpoint, CheckpointError, load_checkpoint, save_checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.models import MODELS

NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def good_file(synthetic_data, tmp_path_factory) -> Path:
    """A real one-epoch AdamW/one-cycle checkpoint: history, batch history, optimizer and schedule state."""
    trainer = Trainer(TrainConfig(model="quickstart-mlp", batch_size=100, epochs=1, lr=1e-3), synthetic_data, report_interval=0.0)
    assert trainer.fit().reason is FinishReason.COMPLETED
    return save_checkpoint(trainer.checkpoint(), tmp_path_factory.mktemp("good") / "good.pt")


@pytest.fixture
def payload(good_file) -> dict:
    """The good file's content as a fresh dict to corrupt."""
    return torch.load(good_file, weights_only=True)


def refused(path: Path, match: str | None = None) -> str:
    """The one-line CheckpointError that loading `path` raises."""
    with pytest.raises(CheckpointError, match=match) as caught:
        load_checkpoint(path)
    message = str(caught.value)
    assert message and "\n" not in message and "\x1b" not in message
    return message


def with_data_pkl(path: Path, data_pkl: bytes, extra: dict[str, bytes] | None = None, method: int = zipfile.ZIP_STORED) -> Path:
    """A small torch zip file whose pickle is `data_pkl`, with `extra` entries added."""
    torch.save({}, path)
    with zipfile.ZipFile(path) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w", method) as target:
        for entry, content in entries.items():
            target.writestr(entry, data_pkl if entry.endswith("/data.pkl") else content)
        for entry, content in (extra or {}).items():
            target.writestr(f"{path.stem}/{entry}", content)
    return path


def test_the_good_file_loads(good_file):
    loaded = load_checkpoint(good_file)
    assert loaded.epoch == 1 and len(loaded.history) == 1 and loaded.batch_history["step"]


def _weights(payload: dict, change) -> dict:
    state = dict(payload["model_state"])
    first = next(iter(state))
    state[first] = change(state[first])
    return state


CORRUPTIONS = {
    "format_version": [None, "1", 1.5, INF, NAN, 0, -1, True],
    "config": [None, "x", [], {"model": "resnet"}, {"lr": NAN}, {"lr": INF}, {"model": ["x"]}, {"batch_size": "big"}],
    "model_state": [None, "x", {}, [1, 2], {"w": 1.0}],
    "optimizer_state": ["x", 5, [], {"state": None, "param_groups": []}, {"state": {}, "param_groups": "x"}, {"state": {}, "param_groups": [3]}],
    "scheduler_state": ["x", [], 3.0, NAN],
    "epoch": [None, -1, 1.5, INF, NAN, "3", True, 10**30],
    "step": [None, -5, 2.5, INF, NAN, "7", False],
    "history": [None, "x", {}, [{}], [None], [1.0]],
    "batch_history": [None, "x", [], {"step": [1]}, {"step": [1], "loss": [0.5, 0.4], "lr": [0.1]},
                      {"step": [1], "loss": [NAN], "lr": [0.1]}, {"step": [1], "loss": [INF], "lr": [0.1]},
                      {"step": ["1"], "loss": [0.5], "lr": [0.1]}, {"step": [1.5], "loss": [0.5], "lr": [0.1]},
                      {"step": [1], "loss": [-0.5], "lr": [0.1]}, {"step": [10**400], "loss": [0.5], "lr": [0.1]}],
    "class_names": [None, "x", ["a"] * 9, [1] * 10, ["\x1b[31mred"] + ["b"] * 9, ["x" * 100] + ["b"] * 9, [""] * 10, ["a\nb"] * 10],
    "versions": [None, "x", {"torch": 2}, {"torch": "\x1b]0;owned\x07"}],
    "origin": [None, 5, "", "two\nlines"],
}
OPTIONAL = {"versions", "origin"}  # files may lack them


def _cases():
    for key, values in CORRUPTIONS.items():
        for index, value in enumerate(values):
            yield pytest.param(key, value, id=f"{key}-{index}-{type(value).__name__}")
        if key not in OPTIONAL:
            yield pytest.param(key, KeyError, id=f"{key}-missing")


@pytest.mark.parametrize(("key", "value"), list(_cases()))
def test_every_field_corrupted_every_way_is_one_checkpoint_error(tmp_path, payload, key, value):
    if value is KeyError:
        del payload[key]
    else:
        payload[key] = value
    torch.save(payload, tmp_path / "bad.pt")
    refused(tmp_path / "bad.pt")


def _history_entry_corruptions():
    for field, value in [("epoch", INF), ("test_accuracy", NAN), ("per_class_accuracy", [1.0]), ("confusion", "x"), ("lr", None)]:
        yield pytest.param(field, value, id=f"history-{field}")


@pytest.mark.parametrize(("field", "value"), list(_history_entry_corruptions()))
def test_a_bad_history_entry_is_named(tmp_path, payload, field, value):
    payload["history"] = copy.deepcopy(payload["history"])
    payload["history"][0][field] = value
    torch.save(payload, tmp_path / "bad.pt")
    assert f"history entry 1 is wrong: {field}" in refused(tmp_path / "bad.pt")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: torch.full_like(t, NAN), "holds NaN or infinite weights"),
        (lambda t: torch.full_like(t, INF), "holds NaN or infinite weights"),
        (lambda t: t[:, :10].clone(), "another shape than quickstart-mlp"),
        (lambda t: t.to(torch.complex64), "not as real-valued weights"),
        (lambda t: t.to(torch.int32), "not as real-valued weights"),
        (lambda t: t.to_sparse(), "sparse"),
    ],
)
def test_bad_weights_are_refused(tmp_path, payload, change, message):
    payload["model_state"] = _weights(payload, change)
    torch.save(payload, tmp_path / "bad.pt")
    refused(tmp_path / "bad.pt", message)


def test_weights_named_by_numbers_are_refused_in_both_formats(tmp_path, payload):
    numbered = {index: tensor for index, tensor in enumerate(payload["model_state"].values())}
    torch.save(numbered, tmp_path / "bare.pt")
    refused(tmp_path / "bare.pt", "a weight is named 0")
    payload["model_state"] = numbered
    torch.save(payload, tmp_path / "ours.pt")
    refused(tmp_path / "ours.pt", "a weight is named 0")


def test_nan_in_a_bare_state_dict_is_refused(tmp_path, payload):
    torch.save(_weights(payload, lambda t: torch.full_like(t, NAN)), tmp_path / "bare.pt")
    refused(tmp_path / "bare.pt", "holds NaN or infinite weights")


def test_nan_in_the_optimizer_state_is_refused(tmp_path, payload):
    state = payload["optimizer_state"]["state"]
    first = next(iter(state))
    state[first] = {k: torch.full_like(v, NAN) if v.is_floating_point() and v.dim() else v for k, v in state[first].items()}
    torch.save(payload, tmp_path / "bad.pt")
    refused(tmp_path / "bad.pt", "optimizer state holds NaN")


def test_a_5000_deep_structure_is_one_line_not_a_recursion_error(tmp_path):
    # EMPTY_LIST 5000 times, then APPEND 4999 times: each list inside the one before it.
    deep = b"\x80\x02" + b"]" * 5000 + b"a" * 4999 + b"."
    refused(with_data_pkl(tmp_path / "deep.pt", deep), "nested too deeply")


def test_a_structure_that_contains_itself_is_one_line(tmp_path, payload):
    loop: list = []
    loop.append(loop)
    payload["history"] = loop
    torch.save(payload, tmp_path / "loop.pt")
    refused(tmp_path / "loop.pt", "contains itself")


def test_many_shared_references_hit_the_value_budget(tmp_path, payload, monkeypatch):
    level = [0.5] * 100
    for _ in range(3):
        level = [level] * 100  # 100 million values, a few kilobytes on disk
    payload["extra"] = level
    torch.save(payload, tmp_path / "wide.pt")
    monkeypatch.setattr(torch_file, "MAX_ITEMS", 100_000)
    refused(tmp_path / "wide.pt", "too many values")


def test_a_torchscript_file_is_one_line_and_torch_says_nothing(tmp_path, recwarn):
    with pytest.warns(Warning):  # torch's deprecation notes on making the file
        torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "script.pt")
    recwarn.clear()
    refused(tmp_path / "script.pt", "TorchScript program, not a checkpoint")
    assert not recwarn.list


def test_a_zip_that_declares_more_than_any_checkpoint_holds_is_refused(tmp_path):
    bomb = tmp_path / "bomb.pt"
    with_data_pkl(bomb, b"\x80\x02}q\x00.")
    raw = bytearray(bomb.read_bytes())
    central = raw.index(b"PK\x01\x02")  # the first entry's central directory record
    raw[central + 24 : central + 28] = (0xFFFFFFF0).to_bytes(4, "little")  # its uncompressed size: 4 GiB
    bomb.write_bytes(bytes(raw))
    assert bomb.stat().st_size < 10_000
    refused(bomb, r"unpacks to 4,\d{3} MiB, more than a checkpoint")


def test_a_deflated_zip_of_zeros_is_refused_before_torch_inflates_it(tmp_path, monkeypatch):
    monkeypatch.setattr(torch_file, "max_unpacked_bytes", lambda: 4 * 2**20)
    bomb = with_data_pkl(tmp_path / "zeros.pt", b"\x80\x02}q\x00.", {"data/99": bytes(8 * 2**20)}, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 100_000
    monkeypatch.setattr(torch, "load", lambda *a, **k: pytest.fail("torch.load was reached"))
    refused(bomb, "unpacks to 8 MiB")


def test_the_size_limit_fits_real_checkpoints_of_the_largest_model(tmp_path):
    limit = torch_file.max_unpacked_bytes()
    assert 64 * 2**20 < limit < 1024 * 2**20
    wide = MODELS["wide-cnn"].build()
    optimizer = torch.optim.AdamW(wide.parameters())
    wide(torch.zeros(2, 1, 28, 28)).sum().backward()
    optimizer.step()
    path = save_checkpoint(
        Checkpoint(TrainConfig(model="wide-cnn"), wide.state_dict(), optimizer_state=optimizer.state_dict()), tmp_path / "w.pt"
    )
    assert load_checkpoint(path).config.model == "wide-cnn" and path.stat().st_size < limit


@pytest.mark.parametrize("kind", ["fifo", "device", "loop", "nul"])
def test_what_is_not_a_regular_file_is_refused_without_opening_it(tmp_path, kind):
    path = tmp_path / "odd.pt"
    if kind == "fifo":
        os.mkfifo(path)  # opening it would wait forever for a writer
    elif kind == "device":
        path = Path("/dev/null")
    elif kind == "loop":
        path.symlink_to(tmp_path / "odd2.pt")
        (tmp_path / "odd2.pt").symlink_to(path)
    else:
        path = Path(f"{tmp_path}/bad\0name.pt")
    message = refused(path)
    assert {"fifo": "not a regular file", "device": "not a regular file", "loop": "symbolic links", "nul": "cannot be opened"}[kind] in message


def test_control_characters_in_a_file_name_never_reach_the_message(tmp_path):
    path = tmp_path / "\x1b[2Jevil\rname.pt"
    path.write_bytes(b"not a checkpoint")
    assert refused(path).startswith("evil name.pt is not a PyTorch checkpoint")


def test_a_tiny_tensor_posing_as_a_huge_one_is_refused_before_any_check_expands_it(tmp_path, payload):
    huge_view = torch.zeros(1).expand(10**6, 10**6)  # 4 bytes stored, a terabyte claimed
    state = payload["optimizer_state"]["state"]
    state[next(iter(state))]["exp_avg"] = huge_view
    torch.save(payload, tmp_path / "bad.pt")
    assert (tmp_path / "bad.pt").stat().st_size < 20 * 2**20
    refused(tmp_path / "bad.pt", "a tensor claims more values than the file holds")

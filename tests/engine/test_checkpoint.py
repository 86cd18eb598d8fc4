from __future__ import annotations

import dataclasses
import os
import pickle
import zipfile

import pytest
import torch
from torch import nn

from fmnist_gui.checkpoint import ORIGIN_STATE_DICT, CheckpointError, load_checkpoint, save_checkpoint
from fmnist_gui.engine import FinishReason, Trainer
from tests.engine.recorder import Recorder


class TutorialNetwork(nn.Module):
    """The PyTorch quickstart's NeuralNetwork, as the tutorial writes it (final ReLU included)."""

    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(), nn.Linear(512, 10), nn.ReLU()
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


@pytest.fixture
def trained(synthetic_data, fast_config):
    trainer = Trainer(fast_config.replace(epochs=1), synthetic_data)
    assert trainer.fit().reason is FinishReason.COMPLETED
    return trainer.checkpoint()


def test_round_trip_keeps_everything(tmp_path, trained):
    path = save_checkpoint(trained, tmp_path / "model.pt")
    loaded = load_checkpoint(path)
    assert loaded.config == trained.config and loaded.epoch == 1 and loaded.step == trained.step
    assert loaded.history == trained.history and loaded.batch_history == trained.batch_history
    assert all(torch.equal(loaded.model_state[k], v) for k, v in trained.model_state.items())
    assert loaded.optimizer_state["state"].keys() == trained.optimizer_state["state"].keys()
    assert loaded.versions["torch"] == str(torch.__version__)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not the temporary file's private mode
    path.chmod(0o640)
    save_checkpoint(trained, path)
    assert path.stat().st_mode & 0o777 == 0o640  # overwriting keeps the file's mode


def test_resume_continues_epochs_optimizer_and_history_exactly(tmp_path, synthetic_data, fast_config):
    config = fast_config.replace(model="small-cnn", optimizer="adamw", schedule="one-cycle", lr=0.01, epochs=2)
    straight = Trainer(config, synthetic_data, report_interval=0.0)
    straight.fit()
    class StopAfterEpochOne(Recorder):
        def on_epoch_end(self, record):
            halves.stop()
    halves = Trainer(config, synthetic_data, [StopAfterEpochOne()], report_interval=0.0)
    assert halves.fit().reason is FinishReason.STOPPED
    path = save_checkpoint(halves.checkpoint(), tmp_path / "half.pt")
    recorder = Recorder()
    resumed = Trainer(config, synthetic_data, [recorder], resume_from=load_checkpoint(path), report_interval=0.0)
    assert resumed.fit().reason is FinishReason.COMPLETED
    assert recorder.started[0].start_epoch == 1 and [e.epoch for e in recorder.epochs] == [2]
    assert [h.epoch for h in resumed.history] == [1, 2]
    assert resumed.history[1].train_loss == pytest.approx(straight.history[1].train_loss, rel=1e-5)
    assert resumed.history[1].test_accuracy == pytest.approx(straight.history[1].test_accuracy)
    assert resumed.batch_history["step"] == straight.batch_history["step"]


def test_the_tutorial_state_dict_loads_as_the_quickstart_model(tmp_path, synthetic_data):
    tutorial = TutorialNetwork()
    torch.save(tutorial.state_dict(), tmp_path / "model.pth")
    loaded = load_checkpoint(tmp_path / "model.pth")
    assert loaded.origin == ORIGIN_STATE_DICT and loaded.config.model == "quickstart-mlp"
    assert loaded.config.optimizer == "sgd" and loaded.config.batch_size == 64
    model = loaded.build_model()
    x = synthetic_data.test_images[:8].float().div(255).unsqueeze(1)
    with torch.no_grad():  # the tutorial's final ReLU only clips the logits: the ranking of positives agrees
        ours, theirs = model(x), tutorial(x)
    assert torch.allclose(ours.clamp_min(0), theirs)


def _malicious_payload(marker):
    class Exploit:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    return {"model_state": Exploit()}


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("empty", "is empty"),
        ("truncated", "truncated or damaged"),
        ("random", "not a PyTorch checkpoint"),
        ("text", "not a PyTorch checkpoint"),
        ("no-weights", "holds no model weights"),
        ("other-shape", r"another shape than quickstart-mlp: linear_relu_stack.0.weight is \[256, 784\]"),
        ("unknown-layers", "unknown model"),
        ("folder", "is a folder"),
        ("missing", "does not exist"),
    ],
)
def test_bad_files_give_one_line_reasons(tmp_path, trained, kind, message):
    path = tmp_path / "bad.pt"
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "truncated":
        save_checkpoint(trained, path)
        path.write_bytes(path.read_bytes()[:5000])
    elif kind == "random":
        path.write_bytes(os.urandom(4096))
    elif kind == "text":
        path.write_text("hello, I am not a model\n")
    elif kind == "no-weights":
        torch.save({"epoch": 3, "notes": "nothing here"}, path)
    elif kind == "other-shape":
        mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 10))
        torch.save({f"linear_relu_stack.{k}": v for k, v in mlp.state_dict().items()}, path)
    elif kind == "unknown-layers":
        torch.save(nn.Linear(3, 4).state_dict(), path)
    elif kind == "folder":
        path.mkdir()
    with pytest.raises(CheckpointError, match=message) as caught:
        load_checkpoint(path)
    assert "\n" not in str(caught.value)


def test_a_pickle_that_runs_code_is_refused_and_its_payload_never_runs(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    torch.save(_malicious_payload(marker), path)
    with pytest.raises(CheckpointError, match="could run code"):
        load_checkpoint(path)
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps(_malicious_payload(marker)))
    with pytest.raises(CheckpointError):
        load_checkpoint(raw)
    assert not marker.exists()


def test_saving_into_a_missing_folder_is_refused(tmp_path, trained):
    with pytest.raises(CheckpointError, match="does not exist"):
        save_checkpoint(trained, tmp_path / "no" / "such" / "model.pt")


def _claim_device(path, device: bytes) -> None:
    """Rewrite a CPU checkpoint so that every storage says it was saved on `device`, as a GPU save does."""
    with zipfile.ZipFile(path) as source:
        entries = {info.filename: source.read(info) for info in source.infolist()}
    with zipfile.ZipFile(path, "w") as target:
        for name, content in entries.items():
            if name.endswith("/data.pkl"):  # protocol 2: BINUNICODE, a 4-byte length, the text; no frames
                assert b"X\x03\x00\x00\x00cpu" in content
                content = content.replace(b"X\x03\x00\x00\x00cpu", b"X" + len(device).to_bytes(4, "little") + device)
            target.writestr(name, content)


def test_a_checkpoint_whose_tensors_claim_cuda_opens_on_a_machine_without_it(tmp_path, trained, monkeypatch):
    path = save_checkpoint(trained, tmp_path / "m.pt")
    _claim_device(path, b"cuda:0")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="CUDA device"):  # what a load without map_location would do
        torch.load(path, weights_only=True)
    loaded = load_checkpoint(path)
    assert all(v.device.type == "cpu" and torch.equal(v, trained.model_state[k]) for k, v in loaded.model_state.items())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU to save from")
def test_a_checkpoint_saved_on_a_gpu_opens_with_the_gpu_hidden(tmp_path, synthetic_data, fast_config, monkeypatch):
    trainer = Trainer(fast_config.replace(epochs=1, device="cuda"), synthetic_data)
    assert trainer.fit().reason is FinishReason.COMPLETED
    on_gpu = trainer.checkpoint()
    gpu_state = {k: v.to("cuda") for k, v in on_gpu.model_state.items()}
    path = save_checkpoint(dataclasses.replace(on_gpu, model_state=gpu_state), tmp_path / "gpu.pt")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    loaded = load_checkpoint(path)
    assert all(v.device.type == "cpu" and torch.equal(v, on_gpu.model_state[k]) for k, v in loaded.model_state.items())

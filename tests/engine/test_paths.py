"""The training path (fp32, channels-last, bf16 autocast): forced on any CPU, measured and cached on this one, recorded."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest
import torch

from fmnist_gui.checkpoint import load_checkpoint
from fmnist_gui.cli import EXIT_FAILURE, EXIT_USAGE, main
from fmnist_gui.config import TrainConfig
from fmnist_gui.engine import Callback, FinishReason, RunStarted, Trainer, cpu, path_cache, paths
from fmnist_gui.engine.cpu import CpuInfo, read_cpu_info
from fmnist_gui.engine.paths import BF16, BF16_CHANNELS_LAST, FP32, FP32_CHANNELS_LAST, pick
from fmnist_gui.engine.step import train_step
from fmnist_gui.errors import UserFacingError
from fmnist_gui.models import get_model_spec
from fmnist_gui.progress import ConsoleProgress
from fmnist_gui.runs import RunRecorder

CPU = torch.device("cpu")
SMALL_CNN = TrainConfig(model="small-cnn", epochs=1, batch_size=100)
WITH_BF16 = CpuInfo("Test CPU with AMX", frozenset({"avx2", "fma", "avx512f", "avx512_bf16", "amx_tile", "amx_bf16"}), 2)
WITHOUT_BF16 = CpuInfo("Test CPU, AVX2 only", frozenset({"avx2", "fma"}), 2)


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A cache file of this test's own, so that the first choice is always measured."""
    path = tmp_path / "training-paths.json"
    monkeypatch.setenv(path_cache.ENV_VARIABLE, str(path))
    return path


@pytest.fixture
def calibrations(monkeypatch) -> list[str]:
    """The models measured so far in this test: paths.calibrate, counted."""
    calls: list[str] = []
    real = paths.calibrate

    def counted(config, options, device):
        calls.append(config.model)
        return real(config, options, device)

    monkeypatch.setattr(paths, "calibrate", counted)
    return calls


def simulate(monkeypatch, info: CpuInfo) -> None:
    monkeypatch.setattr(cpu, "cpu_info", lambda: info)


def run(*argv: object) -> int:
    try:
        return main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


# Forced paths, on any CPU


@pytest.mark.parametrize("info", [WITH_BF16, WITHOUT_BF16], ids=["bf16-cpu", "avx2-cpu"])
def test_fp32_forced_is_the_plain_path_and_measures_nothing(info, monkeypatch, cache, calibrations):
    simulate(monkeypatch, info)
    assert paths.choose_path(SMALL_CNN.replace(precision="fp32"), CPU).path == FP32_CHANNELS_LAST
    assert paths.choose_path(SMALL_CNN.replace(model="quickstart-mlp", precision="fp32"), CPU).path == FP32
    assert calibrations == [] and not cache.exists()


@pytest.mark.parametrize("model", ["small-cnn", "quickstart-mlp"])
@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_a_forced_path_trains_a_model_that_learns(model, precision, monkeypatch, synthetic_data, cache, calibrations):
    simulate(monkeypatch, WITH_BF16)  # bf16 computes (emulated, slower) on any CPU torch runs on
    config = TrainConfig(model=model, epochs=1, batch_size=100, precision=precision)
    started = []
    trainer = Trainer(config, synthetic_data, [_Starts(started)])
    result = trainer.fit()
    assert result.reason is FinishReason.COMPLETED, result.message
    expected = {"fp32": paths.plain_path(model), "bf16": paths.bf16_path(model)}[precision]
    assert started[0].execution == expected.label and started[0].execution_chosen == "asked for"
    assert trainer.history[-1].test_accuracy > 50  # the synthetic classes are learned in an epoch
    assert calibrations == []
    channels_last = next(p for p in trainer.model.parameters() if p.dim() == 4).is_contiguous(
        memory_format=torch.channels_last) if model == "small-cnn" else None
    assert channels_last in (None, expected.channels_last)


def test_the_bf16_step_computes_in_bf16_and_keeps_fp32_weights():
    torch.manual_seed(0)
    model = paths.BF16_CHANNELS_LAST.arrange(get_model_spec("small-cnn").build())
    optimizer = torch.optim.AdamW(model.parameters())
    inputs = torch.rand(8, 1, 28, 28).contiguous(memory_format=torch.channels_last)
    labels = torch.arange(8)
    logits, loss = train_step(model, optimizer, inputs, labels, bf16=True)
    assert logits.dtype == torch.bfloat16 and loss.dtype == torch.float32
    assert all(p.dtype == torch.float32 and p.grad.dtype == torch.float32 for p in model.parameters())
    logits, _ = train_step(model, optimizer, inputs, labels, bf16=False)
    assert logits.dtype == torch.float32


# bf16 where the CPU cannot


def test_bf16_is_refused_in_one_line_on_a_cpu_without_it(monkeypatch, synthetic_data, cache, calibrations):
    simulate(monkeypatch, WITHOUT_BF16)
    with pytest.raises(UserFacingError, match=r"AMX or AVX512-BF16, and this one \(Test CPU, AVX2 only\) has neither"):
        paths.choose_path(SMALL_CNN.replace(precision="bf16"), CPU)
    result = Trainer(SMALL_CNN.replace(precision="bf16"), synthetic_data).fit()
    assert result.reason is FinishReason.FAILED and "AMX or AVX512-BF16" in result.message
    assert paths.candidates("small-cnn", CPU) == (FP32_CHANNELS_LAST, FP32)  # auto never tries it there
    assert calibrations == []


def test_train_precision_bf16_without_support_is_one_error_line(monkeypatch, synthetic_dir, tmp_path, capsys):
    simulate(monkeypatch, WITHOUT_BF16)
    assert run("train", "--precision", "bf16", "--epochs", "1", "--data-dir", synthetic_dir, "--out", tmp_path / "m.pt") == EXIT_FAILURE
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fmnist-gui: error: bf16 needs a CPU with AMX or AVX512-BF16")
    assert not (tmp_path / "m.pt").exists()


def test_precision_is_one_of_three_choices(synthetic_dir, capsys):
    assert run("train", "--precision", "fp16", "--data-dir", synthetic_dir) == EXIT_USAGE
    assert "invalid choice: 'fp16'" in capsys.readouterr().err
    with pytest.raises(UserFacingError, match="Unknown precision 'fp16'"):
        TrainConfig(precision="fp16")


# auto: measured once on the CPU that runs the tests, then read from the cache


def test_auto_chooses_an_allowed_path_measures_it_once_and_reuses_it(cache, calibrations):
    config = SMALL_CNN.replace(precision="auto")
    first = paths.choose_path(config, CPU)
    allowed = paths.candidates("small-cnn", CPU)
    assert first.path in allowed and first.how == "measured on this CPU"
    assert set(first.calibration.milliseconds) == {path.key for path in allowed}
    assert all(ms > 0 for ms in first.calibration.milliseconds.values())
    assert calibrations == ["small-cnn"]
    stored = json.loads(cache.read_text())["entries"]
    assert [entry["path"] for entry in stored.values()] == [first.path.key]

    second = paths.choose_path(config, CPU)
    assert (second.path, second.how) == (first.path, "measured earlier on this CPU")
    assert calibrations == ["small-cnn"]  # the second choice measured nothing
    paths.choose_path(config.replace(batch_size=50), CPU)  # another batch size is another measurement
    assert calibrations == ["small-cnn", "small-cnn"]


def test_bf16_is_a_candidate_only_for_cnns_on_a_cpu_with_it(monkeypatch):
    simulate(monkeypatch, WITH_BF16)
    assert paths.candidates("small-cnn", CPU) == (FP32_CHANNELS_LAST, FP32, BF16_CHANNELS_LAST)
    assert paths.candidates("wide-cnn", CPU) == (FP32_CHANNELS_LAST, FP32, BF16_CHANNELS_LAST)
    assert paths.candidates("quickstart-mlp", CPU) == (FP32,)  # the tutorial's numbers stay the tutorial's


def test_the_quickstart_mlp_is_never_measured(cache, calibrations):
    choice = paths.choose_path(TrainConfig(model="quickstart-mlp", precision="auto"), CPU)
    assert choice.path == FP32 and calibrations == [] and not cache.exists()


def test_the_cache_is_per_cpu(monkeypatch, cache, calibrations):
    simulate(monkeypatch, WITH_BF16)
    paths.choose_path(SMALL_CNN, CPU)
    simulate(monkeypatch, WITHOUT_BF16)
    paths.choose_path(SMALL_CNN, CPU)
    assert calibrations == ["small-cnn", "small-cnn"] and len(json.loads(cache.read_text())["entries"]) == 2


@pytest.mark.parametrize("content", [b"{not json", b"\xff\xfe", b"[]", b'{"schema": 1, "entries": []}',
                                     b'{"schema": 99, "entries": {}}'], ids=["broken", "binary", "list", "entries", "schema"])
def test_a_corrupt_cache_is_ignored_and_rewritten(content, cache, calibrations):
    cache.write_bytes(content)
    choice = paths.choose_path(SMALL_CNN, CPU)
    assert calibrations == ["small-cnn"] and choice.how == "measured on this CPU"
    assert [entry["path"] for entry in json.loads(cache.read_text())["entries"].values()] == [choice.path.key]


def test_a_cached_path_that_is_no_candidate_is_measured_again(cache, calibrations):
    paths.choose_path(SMALL_CNN, CPU)
    content = json.loads(cache.read_text())
    for entry in content["entries"].values():
        entry["path"] = "bf16-everything"
    cache.write_text(json.dumps(content))
    paths.choose_path(SMALL_CNN, CPU)
    assert calibrations == ["small-cnn", "small-cnn"]


def test_a_cache_that_cannot_be_written_costs_a_measurement_not_the_run(tmp_path, monkeypatch, calibrations, synthetic_data):
    (tmp_path / "folder").mkdir()
    monkeypatch.setenv(path_cache.ENV_VARIABLE, str(tmp_path / "folder"))  # a folder, not a file
    assert Trainer(SMALL_CNN, synthetic_data).fit().reason is FinishReason.COMPLETED
    assert calibrations == ["small-cnn"]


def test_measuring_leaves_the_random_state_alone(cache):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    paths.calibrate(SMALL_CNN, paths.candidates("small-cnn", CPU), CPU)
    assert torch.equal(torch.get_rng_state(), before)


# The choice rule, on given timings


@pytest.mark.parametrize(("milliseconds", "expected"), [
    ({"fp32-channels-last": 17.0, "fp32": 25.0, "bf16-channels-last": 11.5}, BF16_CHANNELS_LAST),  # 1.48x: bf16
    ({"fp32-channels-last": 17.0, "fp32": 25.0, "bf16-channels-last": 15.0}, FP32_CHANNELS_LAST),  # 1.13x: not worth it
    ({"fp32-channels-last": 17.0, "fp32": 16.5, "bf16-channels-last": 30.0}, FP32_CHANNELS_LAST),  # 3% is noise
    ({"fp32-channels-last": 17.0, "fp32": 12.0, "bf16-channels-last": 11.0}, FP32),  # bf16 must beat the faster fp32
    ({"fp32": 12.0, "bf16-channels-last": 9.0}, BF16_CHANNELS_LAST),  # the plain path's step failed
    ({}, FP32_CHANNELS_LAST),
])
def test_pick(milliseconds, expected):
    assert pick((FP32_CHANNELS_LAST, FP32, BF16_CHANNELS_LAST), milliseconds) == expected


def test_the_labels_say_what_runs():
    assert [p.label for p in (FP32, FP32_CHANNELS_LAST, BF16, BF16_CHANNELS_LAST)] == [
        "fp32", "fp32, channels-last", "bf16 autocast", "bf16 autocast, channels-last"]


# What the run says


def test_run_json_and_the_log_say_which_path_ran(synthetic_data, tmp_path, cache):
    err = io.StringIO()
    recorder = RunRecorder(tmp_path)
    started = []
    trainer = Trainer(SMALL_CNN, synthetic_data, [recorder, ConsoleProgress(out=io.StringIO(), err=err), _Starts(started)])
    assert trainer.fit().reason is FinishReason.COMPLETED
    execution = started[0].execution
    assert execution in {path.label for path in paths.candidates("small-cnn", CPU)}
    assert json.loads((recorder.folder / "run.json").read_text())["execution"] == execution
    first_line = err.getvalue().splitlines()[0]
    assert first_line.startswith("Training small-cnn (") and f", {execution} (measured on this CPU): adamw" in first_line


def test_train_precision_is_kept_in_the_checkpoint_and_a_resumed_run_keeps_it(synthetic_dir, tmp_path, cache):
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert run("train", "--precision", "fp32", "--epochs", "1", "--batch-size", "100", "--data-dir", synthetic_dir,
                   "--runs-dir", tmp_path / "runs", "--name", "forced") == 0
        folder = next((tmp_path / "runs").iterdir())
        assert json.loads((folder / "run.json").read_text())["execution"] == "fp32, channels-last"
        assert load_checkpoint(folder / "checkpoints" / "last.pt").config.precision == "fp32"
        assert run("train", "--resume", folder, "--epochs", "2", "--data-dir", synthetic_dir) == 0
    meta = json.loads((folder / "run.json").read_text())
    assert (meta["epochs_done"], meta["config"]["precision"], meta["execution"]) == (2, "fp32", "fp32, channels-last")


def test_files_of_earlier_versions_mean_auto():
    stored = TrainConfig().to_dict()
    del stored["precision"]
    assert TrainConfig.from_stored(stored, complete=True).precision == "auto"


# Reading the CPU


def test_read_cpu_info(tmp_path):
    text = ("processor\t: 0\nmodel name\t: Example Xeon\nflags\t\t: fpu avx2 avx512f avx512_bf16 amx_tile amx_bf16\n\n"
            "processor\t: 1\nmodel name\t: Example Xeon\nflags\t\t: fpu avx2\n")
    (tmp_path / "cpuinfo").write_text(text)
    info = read_cpu_info(tmp_path / "cpuinfo")
    assert (info.model, info.logical_cpus, info.native_bf16) == ("Example Xeon", 2, "AMX")
    assert info.identity == "Example Xeon [avx2 avx512f avx512_bf16 amx_tile amx_bf16]"
    missing = read_cpu_info(tmp_path / "absent")
    assert missing.flags == frozenset() and missing.native_bf16 is None and missing.model


class _Starts(Callback):
    """Keeps the RunStarted records."""

    def __init__(self, into: list[RunStarted]) -> None:
        self.into = into

    def on_fit_start(self, run: RunStarted) -> None:
        self.into.append(run)

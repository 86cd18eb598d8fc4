"""Values changed while a run is paused: applied at the next batch, reported once, kept by checkpoints and runs."""

from __future__ import annotations

import json
import math
import threading

import pytest
import torch

from fmnist_gui.checkpoint import CheckpointError, _payload, load_checkpoint, save_checkpoint
from fmnist_gui.config import ConfigError
from fmnist_gui.engine import Callback, FinishReason, Trainer
from fmnist_gui.engine.events import HyperparameterChange, short_number
from fmnist_gui.engine.optim import continuation_config
from fmnist_gui.runs import RunFollower, RunRecorder, read_changes
from fmnist_gui.runs.layout import CHANGES_JSONL, RUN_JSON, last_checkpoint
from fmnist_gui.runs.reader import load_run_json
from fmnist_gui.runs.tables import RunDamaged
from tests.engine.recorder import Recorder


class ChangeWhilePaused(Callback):
    """Pauses the run after `at_step`, asks for `values` while it waits, then resumes it; keeps what was reported."""

    def __init__(self, at_step: int, **values: float) -> None:
        self.at_step, self.values = at_step, values
        self.trainer: Trainer | None = None
        self.changes: list[HyperparameterChange] = []
        self.lr_while_paused: list[float] = []

    def setup(self, control) -> None:
        self.control = control

    def on_batch_end(self, record) -> None:
        if record.step == self.at_step:
            self.control.pause()

    def on_pause(self) -> None:
        self.trainer.change_hyperparameters(**self.values)
        self.control.resume()  # the loop waits after this hook returns, and finds itself resumed

    def on_hyperparameters_changed(self, change) -> None:
        self.changes.append(change)


def fit_with_change(config, data, at_step, resume_from=None, run_recorder=None, **values):
    changer, recorder = ChangeWhilePaused(at_step, **values), Recorder()
    extra = [run_recorder] if run_recorder is not None else []
    trainer = Trainer(config, data, [recorder, changer, *extra], resume_from=resume_from, report_interval=0.0)
    changer.trainer = trainer
    result = trainer.fit()
    assert result.reason is FinishReason.COMPLETED, result.message
    return trainer, recorder, changer


def group_values(checkpoint, key):
    return [group[key] for group in checkpoint.optimizer_state["param_groups"]]


def test_a_change_asked_from_another_thread_while_paused_applies_from_the_next_batch(synthetic_data, fast_config):
    class PauseAtThree(Callback):
        def __init__(self):
            self.waiting, self.changes = threading.Event(), []

        def setup(self, control):
            self.control = control

        def on_batch_end(self, record):
            if record.step == 3:
                self.control.pause()

        def on_pause(self):
            self.waiting.set()

        def on_hyperparameters_changed(self, change):
            self.changes.append(change)

    actor, recorder = PauseAtThree(), Recorder()
    trainer = Trainer(fast_config, synthetic_data, [recorder, actor], report_interval=0.0)
    training = threading.Thread(target=trainer.fit)
    training.start()
    assert actor.waiting.wait(30), "the loop never paused"
    trainer.change_hyperparameters(lr=3e-4, weight_decay=1e-3)
    assert actor.changes == [] and trainer.config.lr == 1e-3  # nothing changes until the loop goes on
    trainer.resume()
    training.join(60)
    assert not training.is_alive()
    assert [(c.step, c.epoch, c.batch, c.field, c.old, c.new) for c in actor.changes] == [
        (3, 1, 3, "lr", 1e-3, 3e-4), (3, 1, 3, "weight_decay", 0.0, 1e-3)]
    assert [b.lr for b in recorder.batches[:4]] == [1e-3, 1e-3, 1e-3, 3e-4]
    saved = trainer.checkpoint()
    assert group_values(saved, "lr") == [3e-4] and group_values(saved, "weight_decay") == [1e-3]
    assert saved.config.lr == 3e-4 and saved.config.weight_decay == 1e-3 and saved.changes == tuple(actor.changes)


def test_one_cycle_scales_its_whole_schedule_to_the_new_peak(synthetic_data, fast_config):
    config = fast_config.replace(schedule="one-cycle", lr=0.01)
    baseline = Recorder()
    Trainer(config, synthetic_data, [baseline], report_interval=0.0).fit()
    trainer, recorder, changer = fit_with_change(config, synthetic_data, at_step=5, lr=0.004)
    assert [c.label for c in changer.changes] == ["lr 0.01→4e-3"]
    before, after = recorder.batches[:5], recorder.batches[5:]
    assert [b.lr for b in before] == [b.lr for b in baseline.batches[:5]]
    assert all(b.lr == pytest.approx(0.4 * a.lr) for a, b in zip(baseline.batches[5:], after))
    assert group_values(trainer.checkpoint(), "max_lr") == [pytest.approx(0.004)]


def test_cosine_scales_its_base_rate(synthetic_data, fast_config):
    config = fast_config.replace(schedule="cosine", lr=0.01)
    baseline = Recorder()
    Trainer(config, synthetic_data, [baseline], report_interval=0.0).fit()
    trainer, recorder, _ = fit_with_change(config, synthetic_data, at_step=7, lr=0.02)
    assert all(b.lr == pytest.approx(2 * a.lr) for a, b in zip(baseline.batches[7:], recorder.batches[7:]))
    assert trainer.checkpoint().scheduler_state["base_lrs"] == [pytest.approx(0.02)]


def test_sgd_momentum_changes_and_one_cycle_stops_cycling_it(synthetic_data, fast_config):
    config = fast_config.replace(optimizer="sgd", schedule="one-cycle", lr=0.05, momentum=0.9)
    trainer, _, changer = fit_with_change(config, synthetic_data, at_step=2, momentum=0.5)
    assert [(c.field, c.old, c.new) for c in changer.changes] == [("momentum", 0.9, 0.5)]
    assert group_values(trainer.checkpoint(), "momentum") == [0.5]  # one-cycle left it alone to the end


def test_the_same_value_again_is_no_change(synthetic_data, fast_config):
    _, _, changer = fit_with_change(fast_config, synthetic_data, at_step=2, lr=fast_config.lr)
    assert changer.changes == []


@pytest.mark.parametrize("values, words", [
    ({"lr": 0.0}, "learning rate must be above 0"),
    ({"lr": math.nan}, "learning rate"),
    ({"lr": 11.0}, "at most 10"),
    ({"weight_decay": -1e-3}, "Weight decay"),
    ({"momentum": 0.9}, "adam has no momentum"),
    ({"batch_size": 32}, "batch_size cannot be changed"),
])
def test_a_value_training_cannot_use_is_refused_with_the_config_rule(synthetic_data, fast_config, values, words):
    trainer = Trainer(fast_config, synthetic_data, [])
    with pytest.raises(ConfigError, match=words):
        trainer.change_hyperparameters(**values)
    assert trainer._requested == {}


def test_sgd_momentum_outside_its_range_is_refused(synthetic_data, fast_config):
    trainer = Trainer(fast_config.replace(optimizer="sgd"), synthetic_data, [])
    with pytest.raises(ConfigError, match="Momentum must be at least 0 and below 1"):
        trainer.change_hyperparameters(momentum=1.0)


def test_changes_survive_save_and_load_and_a_continued_run_keeps_them_and_their_values(synthetic_data, fast_config, tmp_path):
    config = fast_config.replace(schedule="one-cycle", lr=0.01)
    trainer, _, changer = fit_with_change(config, synthetic_data, at_step=14, lr=0.005)
    path = save_checkpoint(trainer.checkpoint(), tmp_path / "model.pt")
    loaded = load_checkpoint(path)
    assert loaded.changes == tuple(changer.changes) and loaded.config.lr == 0.005
    # Continue with the form as the file filled it: the finished one-cycle cools down from a tenth of the edited peak.
    continued_config = continuation_config(loaded.config, loaded.epoch, loaded.history[-1].lr, loaded.config.replace(epochs=1))
    assert continued_config.lr == pytest.approx(0.0005) and continued_config.epochs == 3
    later, recorder, _ = fit_with_change(continued_config, synthetic_data, at_step=30, resume_from=loaded, weight_decay=0.01)
    fields = [(c.field, c.step) for c in later.checkpoint().changes]
    assert fields == [("lr", 14), ("weight_decay", 30)]
    assert max(b.lr for b in recorder.batches) <= 0.0005 + 1e-12


def test_a_run_stopped_mid_epoch_resumes_with_the_changed_values(synthetic_data, fast_config):
    class StopAtEight(Callback):
        def setup(self, control):
            self.control = control

        def on_batch_end(self, record):
            if record.step == 8:
                self.control.stop()

    changer = ChangeWhilePaused(3, lr=5e-4)
    trainer = Trainer(fast_config, synthetic_data, [changer, StopAtEight()], report_interval=0.0)
    changer.trainer = trainer
    assert trainer.fit().reason is FinishReason.STOPPED
    stopped = trainer.checkpoint()
    assert stopped.step == 8 and stopped.config.lr == 5e-4 and len(stopped.changes) == 1
    recorder = Recorder()
    resumed = Trainer(stopped.config, synthetic_data, [recorder], resume_from=stopped, report_interval=0.0)
    assert resumed.fit().reason is FinishReason.COMPLETED
    assert {b.lr for b in recorder.batches} == {5e-4} and resumed.checkpoint().changes == stopped.changes


def test_an_old_checkpoint_without_changes_loads(synthetic_data, fast_config, tmp_path):
    trainer = Trainer(fast_config.replace(epochs=1), synthetic_data, [])
    trainer.fit()
    payload = _payload(trainer.checkpoint())
    del payload["changes"]
    torch.save(payload, tmp_path / "old.pt")
    assert load_checkpoint(tmp_path / "old.pt").changes == ()


@pytest.mark.parametrize("change, words", [
    ({"step": 1, "epoch": 1, "batch": 1, "field": "seed", "old": 0, "new": 1}, "field is 'seed'"),
    ({"step": 1, "epoch": 1, "batch": 1, "field": "lr", "old": 1e-3, "new": -1.0}, "learning rate must be above 0"),
    ({"step": 1, "epoch": 1, "batch": 1, "field": "lr", "old": 1e-3}, "lacks its new"),
    ({"step": 10**6, "epoch": 1, "batch": 1, "field": "lr", "old": 1e-3, "new": 1e-4}, "after the checkpoint's step"),
    ("lr 1e-3", "must be a dict"),
])
def test_a_damaged_change_in_a_checkpoint_is_named(synthetic_data, fast_config, tmp_path, change, words):
    trainer = Trainer(fast_config.replace(epochs=1), synthetic_data, [])
    trainer.fit()
    payload = _payload(trainer.checkpoint())
    payload["changes"] = [change]
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match=f"damaged fmnist-gui checkpoint: its change 1 .*{words}"):
        load_checkpoint(tmp_path / "bad.pt")


def test_the_recorder_writes_changes_the_reader_and_a_follower_read_them(synthetic_data, fast_config, tmp_path):
    runs = tmp_path / "runs"
    recorder = RunRecorder(runs)
    _, _, changer = fit_with_change(fast_config, synthetic_data, at_step=5, run_recorder=recorder, lr=2e-4)
    folder = recorder.folder
    assert read_changes(folder) == changer.changes
    assert load_run_json(folder)["config"]["lr"] == 2e-4  # the runs table shows the rate the run ends with
    assert RunFollower(folder).poll().changes == changer.changes
    # A continued run rewrites the file up to where it starts, then appends its own.
    start = load_checkpoint(last_checkpoint(folder))
    assert start.changes == tuple(changer.changes)
    again = RunRecorder(runs, resume=folder)
    fit_with_change(start.config.replace(epochs=3), synthetic_data, at_step=30, resume_from=start, run_recorder=again,
                    weight_decay=0.02)
    assert again.folder == folder
    assert [(c.field, c.step) for c in read_changes(folder)] == [("lr", 5), ("weight_decay", 30)]


def test_a_damaged_changes_file_is_named(tmp_path):
    (tmp_path / RUN_JSON).write_text("{}")
    (tmp_path / CHANGES_JSONL).write_text(json.dumps({"step": 1}) + "\n")
    with pytest.raises(RunDamaged, match="changes.jsonl line 1: a change lacks its epoch"):
        read_changes(tmp_path)
    (tmp_path / CHANGES_JSONL).write_text("not json\n")
    with pytest.raises(RunDamaged, match="changes.jsonl line 1: it is not JSON"):
        read_changes(tmp_path)


def test_labels_write_rates_as_people_do():
    assert [short_number(v) for v in (1e-3, 3e-4, 0.01, 0.9, 0.0, 5e-4, 0.0314)] == ["1e-3", "3e-4", "0.01", "0.9", "0", "5e-4", "0.0314"]
    assert HyperparameterChange(3, 1, 3, "weight_decay", 5e-4, 1e-3).label == "weight decay 5e-4→1e-3"

"""A run stopped in the middle of an epoch goes on with the next batch, exactly as if it never stopped."""

from __future__ import annotations

import pytest
import torch

from fmnist_gui.checkpoint import load_checkpoint, save_checkpoint
from fmnist_gui.engine import BatchRecord, Callback, FinishReason, Trainer
from tests.engine.recorder import Recorder

STOP_AT = 5  # the batch of epoch 2 after which the run is stopped


class StopAt(Callback):
    """Stops the run right after batch `batch` of epoch `epoch`."""

    def __init__(self, epoch: int, batch: int) -> None:
        self.epoch, self.batch = epoch, batch

    def setup(self, control) -> None:
        self.control = control

    def on_batch_end(self, record: BatchRecord) -> None:
        if (record.epoch, record.batch) == (self.epoch, self.batch):
            self.control.stop()


@pytest.fixture(params=["mlp", "cnn-augmented"])
def config(request, fast_config):
    """Constant-rate runs of 3 epochs; the CNN has dropout and augmentation, both random per batch."""
    config = fast_config.replace(epochs=3)
    return config if request.param == "mlp" else config.replace(model="small-cnn", augment=True)


def test_a_run_stopped_mid_epoch_resumes_at_the_next_batch_and_ends_as_a_straight_run(config, synthetic_data, tmp_path):
    straight = Trainer(config, synthetic_data, report_interval=0.0)
    assert straight.fit().reason is FinishReason.COMPLETED

    first = Trainer(config, synthetic_data, [StopAt(2, STOP_AT)], report_interval=0.0)
    assert first.fit().reason is FinishReason.STOPPED
    save_checkpoint(first.checkpoint(), tmp_path / "stopped.pt")
    stopped = load_checkpoint(tmp_path / "stopped.pt")
    assert (stopped.epoch, stopped.extra_batches) == (1, STOP_AT)

    recorder = Recorder()
    resumed = Trainer(config, synthetic_data, [recorder], resume_from=stopped, report_interval=0.0)
    assert resumed.fit().reason is FinishReason.COMPLETED
    batches = straight.checkpoint().history[0].step
    first_report = recorder.batches[0]
    assert (first_report.epoch, first_report.batch, first_report.step) == (2, STOP_AT + 1, batches + STOP_AT + 1)
    assert [e.step for e in resumed.history] == [e.step for e in straight.history] == [batches, 2 * batches, 3 * batches]
    for name, weights in straight.checkpoint().model_state.items():
        assert torch.equal(weights, resumed.checkpoint().model_state[name]), name


def test_another_batch_size_starts_the_unfinished_epoch_over(fast_config, synthetic_data):
    first = Trainer(fast_config, synthetic_data, [StopAt(2, STOP_AT)], report_interval=0.0)
    first.fit()
    recorder = Recorder()
    resumed = Trainer(fast_config.replace(batch_size=60), synthetic_data, [recorder], resume_from=first.checkpoint(),
                      report_interval=0.0)
    assert resumed.fit().reason is FinishReason.COMPLETED
    assert (recorder.batches[0].epoch, recorder.batches[0].batch) == (2, 1)

"""Continue training: an interrupted run goes on exactly; a finished schedule is never re-warmed unasked."""

from __future__ import annotations

import pytest

from fmnist_gui.config import TrainConfig
from fmnist_gui.engine import FinishReason, Trainer
from fmnist_gui.config import Continuation
from fmnist_gui.engine.optim import continuation_config, schedule_finished
from tests.engine.recorder import Recorder

ONE_CYCLE = TrainConfig(model="quickstart-mlp", optimizer="adamw", lr=0.01, batch_size=50, epochs=2, schedule="one-cycle")


def test_an_interrupted_run_asked_with_its_own_values_finishes_its_own_epochs():
    assert continuation_config(ONE_CYCLE, 1, 0.008, ONE_CYCLE) == ONE_CYCLE


def test_other_values_train_the_asked_number_of_epochs_more():
    config = continuation_config(ONE_CYCLE, 1, 0.008, ONE_CYCLE.replace(epochs=3, lr=0.02))
    assert config.epochs == 4 and config.lr == 0.02 and config.schedule == "one-cycle"  # not finished: as asked


@pytest.mark.parametrize(("policy", "schedule", "lr"), [
    (Continuation.COOLDOWN, "cosine", 0.001),
    (Continuation.CONSTANT, "constant", 4e-7),
    (Continuation.RESTART, "one-cycle", 0.01),
])
def test_a_finished_schedule_continues_as_the_user_chose(policy, schedule, lr):
    config = continuation_config(ONE_CYCLE, 2, 4e-7, ONE_CYCLE.replace(model="small-cnn", epochs=2), policy)
    assert (config.model, config.epochs, config.schedule, config.lr) == ("quickstart-mlp", 4, schedule, pytest.approx(lr))


def test_only_annealing_schedules_finish():
    assert schedule_finished(ONE_CYCLE, 2) and not schedule_finished(ONE_CYCLE, 1)
    assert not schedule_finished(ONE_CYCLE.replace(schedule="constant"), 2)


def test_continuing_a_finished_one_cycle_run_never_warms_back_up(synthetic_data):
    first = Trainer(ONE_CYCLE, synthetic_data, report_interval=0.0)
    assert first.fit().reason is FinishReason.COMPLETED
    saved = first.checkpoint()
    config = continuation_config(saved.config, saved.epoch, saved.history[-1].lr, ONE_CYCLE.replace(epochs=2))
    recorder = Recorder()
    second = Trainer(config, synthetic_data, [recorder], resume_from=saved, report_interval=0.0)
    assert second.fit().reason is FinishReason.COMPLETED
    rates = [batch.lr for batch in recorder.batches]
    assert max(rates) <= ONE_CYCLE.lr / 10 + 1e-12  # a restart would climb back to 0.01
    assert rates == sorted(rates, reverse=True)  # and it only cools down
    assert second.checkpoint().epoch == 4

from __future__ import annotations

import threading

import numpy as np
import pytest
import torch

from fmnist_gui.config import ConfigError, TrainConfig, preset
from fmnist_gui.engine import Callback, FinishReason, Trainer
from fmnist_gui.errors import UserFacingError
from tests.engine.recorder import Recorder


def _fit(config, data, *callbacks, **kwargs):
    recorder = Recorder()
    trainer = Trainer(config, data, [recorder, *callbacks], **kwargs)
    result = trainer.fit()
    return trainer, recorder, result


def test_a_run_reports_start_batches_epochs_and_a_reason(synthetic_data, fast_config):
    trainer, rec, result = _fit(fast_config, synthetic_data, report_interval=0.0)
    assert result.reason is FinishReason.COMPLETED and result.epochs_completed == 2
    assert len(rec.started) == 1 and len(rec.finished) == 1 and rec.finished[0] is result
    assert rec.started[0].batches_per_epoch == 12 and rec.started[0].train_size == 600
    assert [b.step for b in rec.batches] == list(range(1, 25))  # every batch with no throttle
    assert rec.batches[-1].progress == pytest.approx(1.0)
    last = rec.epochs[-1]
    assert last.test_accuracy > 60  # the synthetic classes are easy
    assert last.confusion.sum() == 200 and last.confusion.shape == (10, 10)
    assert last.test_probabilities.shape == (200, 10)
    assert np.allclose(last.test_probabilities.sum(axis=1), 1, atol=1e-4)
    assert len(last.sample_indices) == 16 and last.sample_predictions.shape == (16,)
    assert len(trainer.history) == 2 and trainer.checkpoint().epoch == 2


def test_batch_reports_are_throttled(synthetic_data, fast_config):
    _, rec, _ = _fit(fast_config.replace(batch_size=10, epochs=1), synthetic_data, report_interval=10.0)
    # 60 batches, but with a 10 s interval only the first and the epoch's last are reported
    assert [b.batch for b in rec.batches] == [1, 60]


def test_same_seed_same_losses(synthetic_data):
    config = preset("default").replace(epochs=1, batch_size=64, augment=True)
    _, first, _ = _fit(config, synthetic_data, report_interval=0.0)
    _, second, _ = _fit(config, synthetic_data, report_interval=0.0)
    assert [b.loss for b in first.batches] == [b.loss for b in second.batches]
    _, other, _ = _fit(config.replace(seed=1), synthetic_data, report_interval=0.0)
    assert [b.loss for b in first.batches] != [b.loss for b in other.batches]


class _PauseAtFirstBatch(Callback):
    """Asks for a pause at the first batch through the run's control, and notes when the loop really waits."""

    def __init__(self) -> None:
        self.events: list[str] = []
        self.waiting = threading.Event()

    def setup(self, control) -> None:
        self.control = control

    def on_batch_end(self, record) -> None:
        if record.step == 1:
            self.control.pause()

    def on_pause(self) -> None:
        self.events.append("paused")
        self.waiting.set()

    def on_resume(self) -> None:
        self.events.append("resumed")


@pytest.mark.parametrize("action", ["resume", "stop"])
def test_pause_holds_the_run_until_resumed_or_stopped_from_another_thread(synthetic_data, fast_config, action):
    actor, recorder = _PauseAtFirstBatch(), Recorder()
    trainer = Trainer(fast_config, synthetic_data, [recorder, actor], report_interval=0.0)
    results = []
    training = threading.Thread(target=lambda: results.append(trainer.fit()))
    training.start()
    assert actor.waiting.wait(30), "the loop never reported that it paused"
    # Asserted here, in the test thread: the loop waits and has trained exactly one batch.
    assert trainer.control.paused and len(recorder.batches) == 1 and actor.events == ["paused"]
    getattr(trainer, action)()
    training.join(60)
    assert not training.is_alive()
    (result,) = results
    if action == "resume":
        assert result.reason is FinishReason.COMPLETED and len(recorder.batches) == 24
        assert actor.events == ["paused", "resumed"]
    else:  # a stop wakes the paused run, which ends at once with its weights, and is no resume
        assert result.reason is FinishReason.STOPPED and len(recorder.batches) == 1
        assert trainer.checkpoint().step == 1 and trainer.checkpoint().epoch == 0
        assert actor.events == ["paused"]


def test_a_callback_can_stop_the_run_and_the_weights_trained_so_far_are_kept(synthetic_data, fast_config):
    class StopAtFive(Callback):
        def setup(self, control):
            self.control = control

        def on_batch_end(self, record):
            if record.step == 5:
                self.control.stop()

    trainer = Trainer(fast_config, synthetic_data, [StopAtFive()], report_interval=0.0)
    result = trainer.fit()
    assert result.reason is FinishReason.STOPPED and "during epoch 1" in result.message
    saved = trainer.checkpoint()
    assert saved.step == 5  # the stop is seen before the next batch starts
    live = trainer.model.state_dict()
    assert all(torch.equal(live[k].cpu(), saved.model_state[k]) for k in live)


def test_a_nan_loss_ends_as_diverged_and_keeps_the_last_good_weights(synthetic_data, fast_config):
    class Poison(Callback):
        def on_epoch_end(self, record):
            self.good = {k: v.clone() for k, v in trainer.model.state_dict().items()}
            with torch.no_grad():
                trainer.model.linear_relu_stack[0].weight.fill_(float("nan"))

    poison = Poison()
    trainer = Trainer(fast_config, synthetic_data, [poison], report_interval=0.0)
    result = trainer.fit()
    assert result.reason is FinishReason.DIVERGED
    assert "lower learning rate" in result.message and "epoch 1 were kept" in result.message
    assert result.epochs_completed == 1
    restored = trainer.model.state_dict()
    assert all(torch.equal(restored[k], poison.good[k]) for k in restored)


def test_a_huge_learning_rate_diverges_cleanly(synthetic_data):
    config = TrainConfig(model="quickstart-mlp", optimizer="sgd", lr=10.0, momentum=0.99, batch_size=50, epochs=3, schedule="constant")
    _, rec, result = _fit(config, synthetic_data, report_interval=0.0)
    assert result.reason is FinishReason.DIVERGED
    assert len(rec.finished) == 1


def test_an_exception_in_training_ends_the_run_as_failed_with_the_error(synthetic_data, fast_config, monkeypatch):
    import fmnist_gui.engine.trainer as trainer_module

    def broken_evaluate(*args, **kwargs):
        raise ValueError("evaluation exploded")

    monkeypatch.setattr(trainer_module, "evaluate", broken_evaluate)
    _, rec, result = _fit(fast_config, synthetic_data)
    assert result.reason is FinishReason.FAILED
    assert "ValueError: evaluation exploded" in result.message and "Traceback" in result.error_details
    assert len(rec.finished) == 1


def test_a_failing_observer_is_dropped_and_training_goes_on(synthetic_data, fast_config):
    """Watching a run must never fail it: `train --json | head -1` once did, through a closed pipe."""

    class Broken(Callback):
        def on_epoch_end(self, record):
            raise BrokenPipeError("the reader left")

    broken = Broken()
    trainer, rec, result = _fit(fast_config, synthetic_data, broken)
    assert result.reason is FinishReason.COMPLETED and len(rec.epochs) == 2 and len(rec.finished) == 1
    assert [(callback, type(error)) for callback, error in trainer.callbacks.failures] == [(broken, BrokenPipeError)]


def test_an_absent_device_fails_the_run_with_a_clear_message(synthetic_data, fast_config):
    if torch.cuda.device_count() > 7:
        pytest.skip("this machine has a cuda:7")
    _, _, result = _fit(fast_config.replace(device="cuda:7"), synthetic_data)
    assert result.reason is FinishReason.FAILED and "cuda:7 is not available here" in result.message


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"lr": -0.1}, "learning rate"),
        ({"lr": float("nan")}, "learning rate"),
        ({"batch_size": 0}, "batch size"),
        ({"epochs": 0}, "Epochs"),
        ({"device": "gpu"}, "not a device name"),
        ({"model": "resnet"}, "Unknown model"),
        ({"optimizer": "lbfgs"}, "Unknown optimizer"),
        ({"schedule": "step"}, "Unknown LR schedule"),
        ({"weight_decay": -1.0}, "Weight decay"),
    ],
)
def test_config_validation_messages(changes, message):
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**changes)


def test_the_quickstart_preset_is_the_tutorial():
    config = preset("quickstart")
    assert (config.model, config.optimizer, config.lr, config.batch_size, config.epochs, config.momentum) == (
        "quickstart-mlp", "sgd", 1e-3, 64, 5, 0.0
    )
    assert config.schedule == "constant" and config.weight_decay == 0.0


def test_resuming_needs_more_epochs_than_reached(synthetic_data, fast_config):
    trainer, _, _ = _fit(fast_config, synthetic_data)
    with pytest.raises(UserFacingError, match="already reached epoch 2"):
        Trainer(fast_config, synthetic_data, resume_from=trainer.checkpoint())


@pytest.mark.realdata
def test_default_preset_one_epoch_on_real_data(real_data_dir):
    from fmnist_gui.data import load_fashion_mnist

    data = load_fashion_mnist(real_data_dir)
    _, rec, result = _fit(preset("default").replace(epochs=1), data)
    assert result.reason is FinishReason.COMPLETED
    assert rec.epochs[0].test_accuracy > 85.0


def test_saliency_has_the_image_shape_is_not_constant_and_matches_evaluation(synthetic_data, fast_config):
    from fmnist_gui.engine.evaluation import predict_probabilities
    from fmnist_gui.engine.saliency import explain

    trainer = Trainer(fast_config.replace(model="small-cnn", epochs=1), synthetic_data)
    trainer.fit()
    checkpoint = trainer.checkpoint()
    model = checkpoint.build_model()
    image = synthetic_data.test_images[3].numpy()
    explanation = explain(model, image, checkpoint.spec.mean, checkpoint.spec.std)
    assert explanation.saliency.shape == (28, 28) and explanation.saliency.std() > 0
    assert explanation.saliency.max() == pytest.approx(1.0) and explanation.saliency.min() >= 0
    assert explanation.probabilities.sum() == pytest.approx(1.0, abs=1e-5)
    independent = predict_probabilities(model, synthetic_data.test_images[3:4], checkpoint.spec.mean, checkpoint.spec.std)[0]
    assert np.allclose(explanation.probabilities, independent.numpy(), atol=1e-5)
    assert explanation.predicted == int(independent.argmax())
    assert all(p.grad is None for p in model.parameters())  # only the input's gradient was taken


def test_the_inference_copy_folds_batch_norm_without_changing_the_answer(synthetic_data, fast_config):
    from fmnist_gui.engine.evaluation import inference_copy, to_input

    trainer = Trainer(fast_config.replace(model="small-cnn", epochs=1), synthetic_data)
    trainer.fit()
    model = trainer.checkpoint().build_model().eval()
    fused = inference_copy(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())  # the original is untouched
    x = to_input(synthetic_data.test_images[:64], 0.2860, 0.3530, channels_last=True)
    with torch.no_grad():
        assert torch.allclose(fused(x), model(x), atol=1e-4)


def test_the_best_epoch_is_kept_beside_the_last(synthetic_data, fast_config, monkeypatch):
    import fmnist_gui.engine.trainer as trainer_module

    accuracies = iter([70.0, 90.0, 60.0])
    real_evaluate = trainer_module.evaluate

    def scripted(*args, **kwargs):
        result = real_evaluate(*args, **kwargs)
        return type(result)(result.loss, next(accuracies), result.per_class_accuracy, result.confusion, result.probabilities)

    monkeypatch.setattr(trainer_module, "evaluate", scripted)
    trainer, _, result = _fit(fast_config.replace(epochs=3), synthetic_data)
    assert result.reason is FinishReason.COMPLETED
    best = trainer.best_checkpoint()
    assert best.epoch == 2 and best.history[-1].test_accuracy == 90.0 and trainer.checkpoint().epoch == 3
    assert not all(torch.equal(best.model_state[k], trainer.checkpoint().model_state[k]) for k in best.model_state)


def test_a_trainer_runs_once_and_says_so_when_asked_again(synthetic_data, fast_config):
    trainer = Trainer(fast_config.replace(epochs=1), synthetic_data, report_interval=0.0)
    assert trainer.fit().reason is FinishReason.COMPLETED
    with pytest.raises(RuntimeError, match="already run; make a new Trainer"):
        trainer.fit()


def test_observers_get_what_they_may_read_of_the_run_and_may_not_wait_in_its_place(synthetic_data, fast_config):
    class Reader(Callback):
        def setup(self, run):
            self.run = run

        def on_epoch_end(self, record):
            self.snapshot_epoch = self.run.checkpoint().epoch

    reader = Reader()
    trainer = Trainer(fast_config.replace(epochs=1), synthetic_data, [reader], report_interval=0.0)
    trainer.fit()
    run = reader.run
    assert run.data is synthetic_data and run.resume_from is None and run.config == trainer.config
    assert reader.snapshot_epoch == 1 and run.best_checkpoint() is trainer.best_checkpoint()
    assert not hasattr(run, "wait_while_paused")  # the loop's own business

"""The single-image classifier under a burst of requests: one worker thread after another."""

from __future__ import annotations

import numpy as np

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.models import get_model_spec
from fmnist_gui.qt.classifier import Classifier


def test_hundreds_of_requests_are_answered_newest_first_without_a_crash(qtbot):
    """Each request runs in a short-lived thread; deleting one before it had really ended crashed."""
    checkpoint = Checkpoint(config=TrainConfig(), model_state=get_model_spec("small-cnn").build().state_dict())
    classifier = Classifier()
    classifier.set_checkpoint(checkpoint)
    answers: list[tuple[str, object]] = []
    classifier.explained.connect(lambda key, tag, explanation: answers.append((key, tag)))
    rng = np.random.default_rng(0)
    for burst in range(60):
        for key in ("own_image", "draw", "inspector"):
            classifier.request(key, burst, rng.integers(0, 255, (28, 28), dtype=np.uint8))
        qtbot.wait(2)
    qtbot.waitUntil(lambda: not classifier.busy, timeout=60000)
    classifier.shutdown()
    assert answers and answers[-1][1] == 59  # the last request is always served
    assert len(answers) <= 180  # waiting requests were replaced, not queued

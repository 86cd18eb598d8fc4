from __future__ import annotations

from fmnist_gui.config import TrainConfig

QUICK = TrainConfig(model="quickstart-mlp", optimizer="adam", lr=1e-3, batch_size=50, epochs=2, schedule="constant", weight_decay=0.0)


def train(qtbot, window, config: TrainConfig = QUICK, timeout: int = 60000, click: str = "train_button"):
    """Fill the form, click a run button, and wait until the run and the follow-up work are over."""
    window.controls.set_config(config)
    with qtbot.waitSignal(window.session.run_finished, timeout=timeout) as finished:
        getattr(window.controls, click).click()
    qtbot.waitUntil(lambda: not window.busy, timeout=10000)
    return finished.args[0]

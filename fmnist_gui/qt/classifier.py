"""Single images through the current model, one at a time, in a worker thread."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from torch import nn

from fmnist_gui.checkpoint import Checkpoint
from fmnist_gui.engine.saliency import Explanation, explain
from fmnist_gui.qt.worker import Task


class Classifier(QObject):
    """Answers "what is this image, and why?" for the inspector, your own image and drawings.

    Requests are served one at a time; while one runs, only the newest waiting request per
    key is kept, so a drawing classified as it is drawn never builds a queue.
    """

    explained = Signal(str, object, object)  # key, request tag, Explanation
    failed = Signal(str, str)  # key, message

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._checkpoint: Checkpoint | None = None
        self._model: tuple[Checkpoint, nn.Module] | None = None  # touched only by the one running task
        self._waiting: dict[str, tuple[Any, np.ndarray]] = {}
        self._task: Task | None = None

    @property
    def ready(self) -> bool:
        return self._checkpoint is not None

    @property
    def busy(self) -> bool:
        return self._task is not None or bool(self._waiting)

    def set_checkpoint(self, checkpoint: Checkpoint | None) -> None:
        self._checkpoint = checkpoint

    def request(self, key: str, tag: Any, image: np.ndarray) -> bool:
        """Queue a (28, 28) uint8 image; False when there is no model to ask."""
        if self._checkpoint is None:
            return False
        self._waiting[key] = (tag, np.array(image, dtype=np.uint8, copy=True))
        if self._task is None:
            self._start_next()
        return True

    def shutdown(self) -> None:
        self._waiting.clear()
        if self._task is not None:
            self._task.wait()

    def _start_next(self) -> None:
        if not self._waiting or self._checkpoint is None:
            return
        key = next(iter(self._waiting))
        tag, image = self._waiting.pop(key)
        checkpoint = self._checkpoint

        def work() -> Explanation:
            model = self._model_for(checkpoint)
            return explain(model, image, checkpoint.spec.mean, checkpoint.spec.std)

        self._task = Task(work, lambda result: self._on_explained(key, tag, result), lambda message, _: self._on_failed(key, message), self)
        self._task.ended.connect(self._on_task_ended)

    def _model_for(self, checkpoint: Checkpoint) -> nn.Module:
        if self._model is None or self._model[0] is not checkpoint:
            self._model = (checkpoint, checkpoint.build_model("cpu").eval())
        return self._model[1]

    def _on_explained(self, key: str, tag: Any, explanation: Explanation) -> None:
        self.explained.emit(key, tag, explanation)

    def _on_failed(self, key: str, message: str) -> None:
        self.failed.emit(key, message)

    def _on_task_ended(self) -> None:
        if self._task is not None:
            self._task.deleteLater()
        self._task = None
        self._start_next()

"""The workspace's top line: which sweep, how far it is, its best trial, and the workers this window runs."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from fmnist_gui.safe_text import printable
from fmnist_gui.sweeps import SweepSnapshot
from fmnist_gui.sweeps.frame import format_value


class SweepSummary(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLabel("<b>No sweep open</b>: Sweep → New sweep… or Open sweep…")
        self.progress = QProgressBar()
        self.progress.setFixedWidth(self.progress.fontMetrics().horizontalAdvance("10000 of 10000 trials") + 24)
        self.progress.setFormat("%v of %m trials")
        self.progress.hide()
        self.counts = QLabel()
        self.best = QLabel()
        self.best.setWordWrap(False)
        self.workers = QLabel()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.name)
        layout.addWidget(self.progress)
        layout.addWidget(self.counts)
        layout.addWidget(self.best, 1)
        layout.addWidget(self.workers)

    def set_snapshot(self, snapshot: SweepSnapshot | None) -> None:
        if snapshot is None:
            self.name.setText("<b>No sweep open</b>: Sweep → New sweep… or Open sweep…")
            self.progress.hide()
            self.counts.clear()
            self.best.clear()
            return
        definition, tally = snapshot.definition, snapshot.tally
        self.name.setText(f"<b>{printable(snapshot.name)}</b>")
        self.name.setToolTip(f"{snapshot.where}\n{definition.sampler} sampler, {definition.pruner} pruner, "
                             f"{definition.epochs} epochs per trial, {definition.preset} preset\n"
                             + "\n".join(spec.describe() for spec in definition.space))
        self.progress.show()
        self.progress.setRange(0, tally.budget)
        self.progress.setValue(min(tally.counted, tally.budget))
        parts = [f"{tally.running} running"] if tally.running else []
        if tally.failed:
            parts.append(f"{tally.failed} failed (not counted)")
        if snapshot.finished:
            parts.append("finished")
        self.counts.setText(" · ".join(parts))
        best = snapshot.best
        if best is None:
            self.best.setText("")
        else:
            params = " ".join(f"{name}={format_value(value)}" for name, value in best.params.items())
            self.best.setText(f"Best: <b>{best.value:.2f}%</b>, trial {best.number} ({printable(params)})")

    def set_workers(self, running: int, started_here: bool) -> None:
        """How many worker processes this window runs (a sweep may also be worked from elsewhere)."""
        if running:
            self.workers.setText(f"{running} worker{'s' if running != 1 else ''} here")
        else:
            self.workers.setText("no workers here" if started_here else "")

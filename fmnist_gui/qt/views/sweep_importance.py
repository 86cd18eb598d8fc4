"""Which hyperparameters mattered: one bar per varied parameter, its share of the value's variation.

The numbers are Optuna's parameter importances (fmnist_gui.sweeps.importance); the caption says which
evaluator computed them and from how many complete trials, since the two evaluators can disagree.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFontMetrics, QPainter
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from fmnist_gui.sweeps.importance import Importances

BAR_COLOUR = QColor(33, 113, 181)
ROW = 30
EVALUATORS = {"fANOVA": "fANOVA (a random forest's variance decomposition, scikit-learn installed)",
              "PED-ANOVA": "PED-ANOVA (Optuna's default; how much the best trials' values are concentrated)"}


class _Bars(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.shares: dict[str, float] = {}
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(ROW * 2)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(480, ROW * max(2, len(self.shares)) + 10)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt's name, ANN001
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().base())
        if not self.shares:
            return
        metrics = QFontMetrics(self.font())
        names = max(metrics.horizontalAdvance(name) for name in self.shares) + 12
        numbers = metrics.horizontalAdvance("100.0%") + 12
        width = max(10, self.width() - names - numbers - 10)
        row = min(ROW, max(18, (self.height() - 10) // len(self.shares)))
        top = 5
        largest = max(self.shares.values()) or 1.0
        text = self.palette().text().color()
        for index, (name, share) in enumerate(self.shares.items()):
            y = top + index * row
            painter.setPen(text)
            painter.drawText(QRectF(0, y, names - 8, row), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, name)
            painter.fillRect(QRectF(names, y + row * 0.2, width * share / largest, row * 0.6), BAR_COLOUR)
            painter.drawText(QRectF(names + width * share / largest + 6, y, numbers, row), Qt.AlignmentFlag.AlignVCenter,
                             f"{100 * share:.1f}%")


class ImportanceBars(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("<b>Hyperparameter importance</b>")
        self.bars = _Bars()
        self.caption = QLabel("Computed once a few trials are complete.")
        self.caption.setWordWrap(True)
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.bars, 1)
        layout.addWidget(self.caption)

    def set_importances(self, importances: Importances | None, computing: bool = False) -> None:
        self.bars.shares = dict(importances.shares) if importances is not None else {}
        self.bars.updateGeometry()
        self.bars.update()
        if importances is None:
            self.caption.setText("Computing…" if computing else "Computed once a few trials are complete.")
        elif importances.message:
            self.caption.setText(importances.message)
        else:
            evaluator = EVALUATORS.get(importances.evaluator, importances.evaluator)
            source = (f"a sample of {importances.trials:,} of the {importances.sampled_from:,} complete trials"
                      if importances.sampled_from else f"{importances.trials:,} complete trials")
            self.caption.setText(f"By {evaluator}, from {source}; computed again when more trials complete."
                                 + (" Computing…" if computing else ""))

"""The runs comparison room: the chosen runs' curves large, for any one metric, over a table of the runs.

Each run keeps one colour in the plot and in the table's first column. The table can show only the
hyperparameters in which the runs differ (what a comparison is about); two selected runs can be
opened in the main window's two-model comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.formats import format_duration
from fmnist_gui.runs.side_by_side import CONFIG_FIELDS, Metric
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.runs import RunInfo

# Ten colours that stay apart (Tableau's), cycled past ten runs.
COLOURS = ((31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189), (140, 86, 75),
           (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207))
SUMMARY_COLUMNS = ("Run", "Status", "Best test", "Epochs", "Duration")
ROWS_SHOWN = 8  # the table grows to this many rows before it scrolls


def colour(index: int) -> tuple[int, int, int]:
    return COLOURS[index % len(COLOURS)]


class RunsRoomView(QWidget):
    metric_chosen = Signal(str)  # a Metric's key
    compare_requested = Signal(Path, Path)  # two runs' folders: the first opens, the second is compared with it
    open_requested = Signal(Path)

    def __init__(self, metrics: Sequence[Metric], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.metrics = {metric.key: metric for metric in metrics}
        self.metric_choice = QComboBox()
        for metric in metrics:
            self.metric_choice.addItem(metric.label, metric.key)
        self.metric_choice.setToolTip("What the curves show: per epoch from metrics.csv, per batch from batches.csv")
        self.caption = QLabel()
        self.caption.setStyleSheet("color: palette(placeholder-text);")
        pg.setConfigOptions(background="w", foreground="k")  # as the main window's plots
        self.plot_view = pg.PlotWidget()
        self.plot = self.plot_view.getPlotItem()
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setGrid(45)
            axis.setStyle(maxTickLevel=0)
            axis.enableAutoSIPrefix(False)
        self.plot.setLabel("bottom", "epoch")
        self.legend = self.plot.addLegend(offset=(-10, 10))
        self._items: list[pg.PlotDataItem] = []
        self.table = QTableWidget()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setToolTip("Double-click a run to open its last model in the main window")
        self.differing_only = QCheckBox("Only the hyperparameters that differ")
        self.differing_only.setChecked(True)
        self.compare_button = QPushButton("Compare the two selected models")
        self.compare_button.setToolTip("Open the first run's model in the main window and compare the second's with it")
        self.open_button = QPushButton("Open run")
        top = QHBoxLayout()
        top.addWidget(QLabel("Metric"))
        top.addWidget(self.metric_choice)
        top.addWidget(self.caption, 1)
        below = QHBoxLayout()
        below.addWidget(self.differing_only)
        below.addStretch(1)
        below.addWidget(self.open_button)
        below.addWidget(self.compare_button)
        table_box = QWidget()
        table_layout = QVBoxLayout(table_box)
        table_layout.setContentsMargins(0, 0, 0, 0)
        table_layout.addWidget(self.table, 1)
        table_layout.addLayout(below)
        self.split = QSplitter(Qt.Orientation.Vertical)
        self.split.addWidget(self.plot_view)
        self.split.addWidget(table_box)
        self.split.setStretchFactor(0, 1)
        self.split.setStretchFactor(1, 0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.split, 1)
        self._folders: list[Path] = []
        self._differing: list[str] = []

        self.metric_choice.currentIndexChanged.connect(lambda: self.metric_chosen.emit(self.metric_choice.currentData()))
        self.differing_only.toggled.connect(self._show_columns)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.cellDoubleClicked.connect(lambda row, column: self.open_requested.emit(self._folders[row]))
        self.open_button.clicked.connect(self._on_open_clicked)
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self._update_buttons()

    @property
    def chosen_metric(self) -> Metric:
        return self.metrics[self.metric_choice.currentData()]

    def choose_metric(self, key: str) -> None:
        self.metric_choice.setCurrentIndex(self.metric_choice.findData(key))

    def set_runs(self, runs: Sequence[RunInfo], differing: Sequence[str]) -> None:
        """The runs, one row each in the plot's colours; `differing`: the config fields whose values differ."""
        self._folders = [run.folder for run in runs]
        self._differing = list(differing)
        headers = [*SUMMARY_COLUMNS, *CONFIG_FIELDS]
        self.table.setColumnCount(len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setRowCount(len(runs))
        for row, run in enumerate(runs):
            values = run.config.to_dict() if run.config is not None else {}
            best = "" if run.best_accuracy is None else f"{run.best_accuracy:.2f}% (ep. {run.best_epoch})"
            cells = [printable(run.name), run.status, best, f"{run.epochs_done}/{run.epochs_asked}",
                     format_duration(run.duration), *(_text(values.get(name)) for name in CONFIG_FIELDS)]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(printable(run.folder) if column == 0 else text)
                if column == 0:
                    item.setIcon(_swatch(colour(row)))
                self.table.setItem(row, column, item)
        self._show_columns()
        self._update_buttons()
        self._fit_table(len(runs))

    def _fit_table(self, rows: int) -> None:
        """Room for every run's row (up to ROWS_SHOWN, then the table scrolls); the plot takes the rest."""
        header = self.table.horizontalHeader().sizeHint().height()
        row = self.table.verticalHeader().defaultSectionSize()
        wanted = header + row * min(max(rows, 2), ROWS_SHOWN) + self.compare_button.sizeHint().height() + 16
        total = sum(self.split.sizes()) or self.height()
        self.split.setSizes([max(200, total - wanted), wanted])

    def show_series(self, metric: Metric, series: Sequence[tuple[str, np.ndarray, np.ndarray]], note: str = "") -> None:
        """One curve per run, in the table's order and colours: (name, x in epochs, y)."""
        for item in self._items:
            self.plot.removeItem(item)
        self._items.clear()
        self.legend.clear()
        self.plot.setLogMode(y=metric.log)
        epochs = max((float(x[-1]) for _, x, _ in series if len(x)), default=1.0)
        step = max(1, int(epochs) // 10)
        self.plot.getAxis("bottom").setTickSpacing(step, step)  # whole epochs
        self.plot.setLabel("left", metric.unit)
        self.plot.setTitle(metric.label)
        for index, (name, x, y) in enumerate(series):
            finite = np.isfinite(y) & (y > 0 if metric.log else True)
            symbol = {} if metric.per_batch else {"symbol": "o", "symbolSize": 6, "symbolBrush": colour(index),
                                                  "symbolPen": None}
            item = self.plot.plot(x[finite], y[finite], pen=pg.mkPen(colour(index), width=1.5 if metric.per_batch else 2.5),
                                  name=printable(name), **symbol)
            if metric.per_batch:
                item.setDownsampling(auto=True, method="peak")
                item.setClipToView(True)
            self._items.append(item)
        self.plot.enableAutoRange()
        self.caption.setText(note)

    def curve_data(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The (x, y) each curve draws, in the runs' order."""
        return [item.getOriginalDataset() for item in self._items]

    def visible_columns(self) -> list[str]:
        headers = [self.table.horizontalHeaderItem(column) for column in range(self.table.columnCount())]
        return [header.text() for column, header in enumerate(headers)
                if header is not None and not self.table.isColumnHidden(column)]

    def selected(self) -> list[Path]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self._folders[row] for row in rows]

    def _show_columns(self) -> None:
        only = self.differing_only.isChecked()
        for offset, name in enumerate(CONFIG_FIELDS):
            self.table.setColumnHidden(len(SUMMARY_COLUMNS) + offset, only and name not in self._differing)

    def _update_buttons(self) -> None:
        count = len(self.selected())
        self.compare_button.setEnabled(count == 2)
        self.open_button.setEnabled(count == 1)

    def _on_open_clicked(self) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            self.open_requested.emit(chosen[0])

    def _on_compare_clicked(self) -> None:
        chosen = self.selected()
        if len(chosen) == 2:
            self.compare_requested.emit(chosen[0], chosen[1])


def _swatch(rgb: tuple[int, int, int]) -> QIcon:
    pixmap = QPixmap(12, 12)
    pixmap.fill(QColor(*rgb))
    return QIcon(pixmap)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "on" if value else "off"
    return f"{value:.3g}" if isinstance(value, float) else str(value)

"""The Sweeps workspace's trials table: one row per trial, sortable, filtered by state and by the best k%.

The model holds the rows shown, as indexes into the frame, and sorts them itself with numpy (a proxy's
sort asks for two keys per comparison: slow past a few thousand rows). The selection is kept by trial
number across the live updates, and so is the scroll position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.formats import format_duration
from fmnist_gui.sweeps import SweepSnapshot
from fmnist_gui.sweeps.frame import STATES, TrialsFrame

FIXED = ("Trial", "State", "Value", "Epochs", "Time")
TAIL = ("Run", "Message")
STATE_NAMES = {"COMPLETE": "Complete", "PRUNED": "Pruned", "RUNNING": "Running", "FAIL": "Failed", "WAITING": "Waiting"}
STATE_COLOURS = {"PRUNED": QColor(120, 120, 120), "FAIL": QColor(198, 40, 40), "RUNNING": QColor(21, 101, 192)}
STATE_BRUSHES = {state: QBrush(colour) for state, colour in STATE_COLOURS.items()}
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
HANDLED_ROLES = frozenset({Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ForegroundRole, Qt.ItemDataRole.TextAlignmentRole,
                           Qt.ItemDataRole.ToolTipRole})


class TrialsModel(QAbstractTableModel):
    """Rows are frame rows (`rows`), in the order of the column last sorted by."""

    def __init__(self) -> None:
        super().__init__()
        self.frame: TrialsFrame | None = None
        self.snapshot: SweepSnapshot | None = None
        self.rows = np.zeros(0, dtype=np.int64)
        self._texts: dict[int, list[str]] = {}  # frame row -> its cells' texts, made when first shown
        self._columns: tuple[str, ...] = FIXED + TAIL
        self._order: tuple[int, Qt.SortOrder] = (0, Qt.SortOrder.AscendingOrder)

    def set_trials(self, snapshot: SweepSnapshot | None, frame: TrialsFrame | None, shown: np.ndarray) -> None:
        self.beginResetModel()
        if snapshot is not self.snapshot:
            self._texts = {}
        self.snapshot, self.frame = snapshot, frame
        params = tuple(column.name for column in frame.params) if frame is not None else ()
        self._columns = FIXED + params + TAIL
        self.rows = self._sorted(np.flatnonzero(shown)) if frame is not None else np.zeros(0, dtype=np.int64)
        self.endResetModel()

    def number(self, row: int) -> int:
        assert self.frame is not None
        return int(self.frame.numbers[self.rows[row]])

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        before = self.persistentIndexList()
        old = [int(self.rows[index.row()]) for index in before]
        self.rows = self._sorted(self.rows)
        position = {int(frame_row): row for row, frame_row in enumerate(self.rows)}
        self.changePersistentIndexList(before, [self.index(position[o], index.column()) for o, index in zip(old, before)])
        self.layoutChanged.emit()

    def _sorted(self, rows: np.ndarray) -> np.ndarray:
        column, order = self._order
        if self.frame is None or column >= len(self._columns):
            return rows
        keys = self._keys(column, rows)
        ordered = rows[np.argsort(keys, kind="stable")]
        if order == Qt.SortOrder.DescendingOrder:
            ordered = ordered[::-1]
        return ordered

    def _keys(self, column: int, rows: np.ndarray) -> np.ndarray:
        """Each row's sort key for `column`; a missing number sorts below every other."""
        frame, snapshot = self.frame, self.snapshot
        assert frame is not None and snapshot is not None
        name = self._columns[column]
        if name == "Trial":
            return frame.numbers[rows]
        if name == "State":
            return np.array([STATES.index(state) for state in frame.states[rows]])
        if name == "Value":
            return np.nan_to_num(frame.values[rows], nan=-np.inf)
        if name == "Epochs":
            return np.isfinite(frame.curves[rows]).sum(axis=1)
        if name == "Time":
            return np.array([snapshot.trials[row].duration or 0.0 for row in rows])
        if name in TAIL:
            return np.array([_tail_text(snapshot, row, name).lower() for row in rows], dtype=str).reshape(len(rows))
        values = frame.params[column - len(FIXED)].values[rows]
        return np.nan_to_num(values, nan=-np.inf)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._columns[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Each row's texts are made once per update and kept: a repaint asks every visible cell for eight roles."""
        if role not in HANDLED_ROLES or not index.isValid() or self.frame is None or self.snapshot is None:
            return None
        row = int(self.rows[index.row()])
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            texts = self._texts.get(row)
            if texts is None:
                texts = self._texts[row] = [self._text(row, c, name) for c, name in enumerate(self._columns)]
            return texts[column]
        name = self._columns[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return None if name in ("State", "Run", "Message") else RIGHT
        state = str(self.frame.states[row])
        if role == Qt.ItemDataRole.ForegroundRole:
            return STATE_BRUSHES[state] if state in STATE_BRUSHES and name in ("State", "Value", "Message") else None
        trial = self.snapshot.trials[row]  # the tooltip
        return "\n".join(line for line in (trial.run_folder or "", trial.message) if line) or None

    def _text(self, row: int, column: int, name: str) -> str:
        frame, snapshot = self.frame, self.snapshot
        assert frame is not None and snapshot is not None
        trial = snapshot.trials[row]
        if name == "Trial":
            return str(trial.number)
        if name == "State":
            return STATE_NAMES.get(trial.state, trial.state)
        if name == "Value":
            return "" if trial.value is None else f"{trial.value:.2f}%"
        if name == "Epochs":
            return f"{trial.epochs_done}/{snapshot.definition.epochs}"
        if name == "Time":
            duration = trial.duration
            return "" if duration is None else format_duration(duration)
        if name in TAIL:
            return _tail_text(snapshot, row, name)
        return frame.params[column - len(FIXED)].text(row)


def _tail_text(snapshot: SweepSnapshot, row: int, name: str) -> str:
    trial = snapshot.trials[row]
    if name == "Run":
        return (trial.run_folder or "").replace("\\", "/").rsplit("/", 1)[-1]
    return trial.message


class TrialsTable(QWidget):
    """The table and its filters; says what was chosen, selected, opened or asked to train."""

    states_chosen = Signal(object)  # frozenset[str] of the states to list, or None for all
    top_chosen = Signal(float)  # percent of the complete trials to list, best first; 100: all
    selection_changed = Signal(list)  # list[int]: the selected trials' numbers
    open_requested = Signal(int)  # a trial's number: open its run
    train_requested = Signal(int)  # a trial's number: its values into the training form
    clear_brushes_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = TrialsModel()
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        # Sized to the contents when the trials change, not at each brush: measuring every cell of a table
        # reset by a brush was most of the brush's time.
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(100)  # measure the rows in view and 100 more, not 10,000
        header.setStretchLastSection(True)
        self._sized_for: tuple[int, int] = (-1, -1)  # (trials, columns) the widths were measured for
        self.table.setToolTip("Double-click a trial to open its run; select several to pick out their curves")
        self.state_boxes = {state: QCheckBox(STATE_NAMES[state]) for state in STATES if state != "WAITING"}
        for state, box in self.state_boxes.items():
            box.setChecked(True)
            box.setToolTip(f"List the {STATE_NAMES[state].lower()} trials")
            box.toggled.connect(self._on_states_toggled)
        self.top = QSpinBox(minimum=1, maximum=100, value=100, suffix="%")
        self.top.setPrefix("best ")
        self.top.setToolTip("List only the best k% of the complete trials by value (100%: every trial). Below 100%, "
                            "pruned trials are left out: an unfinished run's value does not compare.")
        self.top.valueChanged.connect(lambda value: self.top_chosen.emit(float(value)))
        self.caption = QLabel()
        # its text changes at every brush: a label sized to its text would lay the window out again each time
        self.caption.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.clear_brushes = QPushButton("Clear brushes")
        self.clear_brushes.setToolTip("Keep every trial on the parallel coordinates' axes again")
        self.clear_brushes.clicked.connect(self.clear_brushes_requested)
        self.open_button = QPushButton("Open run")
        self.open_button.setToolTip("Open the trial's last model in the main window (follow it while it trains)")
        self.train_button = QPushButton("Train this")
        self.train_button.setToolTip("Put the trial's hyperparameters into the main window's training form")
        filters = QHBoxLayout()
        for box in self.state_boxes.values():
            filters.addWidget(box)
        filters.addSpacing(8)
        filters.addWidget(self.top)
        filters.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.caption, 1)
        for button in (self.clear_brushes, self.open_button, self.train_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(lambda index: self.open_requested.emit(self.model.number(index.row())))
        self.table.customContextMenuRequested.connect(self._on_context_menu)
        self.open_button.clicked.connect(lambda: self._emit_one(self.open_requested))
        self.train_button.clicked.connect(lambda: self._emit_one(self.train_requested))
        self._update_buttons()

    def set_trials(self, snapshot: SweepSnapshot | None, frame: TrialsFrame | None, shown: np.ndarray,
                   brushed: bool = False) -> None:
        """Show the trials `shown` masks; the selection and the scroll position survive."""
        selected = set(self.selected())
        scroll = self.table.verticalScrollBar().value()
        self.table.selectionModel().blockSignals(True)
        self.model.set_trials(snapshot, frame, shown)
        if selected:
            selection = self.table.selectionModel()
            for row, frame_row in enumerate(self.model.rows):
                if frame is not None and int(frame.numbers[frame_row]) in selected:
                    selection.select(self.model.index(row, 0), selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        self.table.selectionModel().blockSignals(False)
        self.table.verticalScrollBar().setValue(scroll)
        total = 0 if frame is None else len(frame)
        if (total, self.model.columnCount()) != self._sized_for:
            self._sized_for = (total, self.model.columnCount())
            self.table.resizeColumnsToContents()
        counts = {} if frame is None else {state: int((frame.states == state).sum()) for state in self.state_boxes}
        for state, box in self.state_boxes.items():
            box.setText(f"{STATE_NAMES[state]} ({counts.get(state, 0)})")
        self.caption.setText(f"{len(self.model.rows)} of {total} trials" + (" · brushed" if brushed else ""))
        self.clear_brushes.setEnabled(brushed)
        self._update_buttons()
        if set(self.selected()) != selected:
            self.selection_changed.emit(self.selected())

    def selected(self) -> list[int]:
        rows = sorted(index.row() for index in self.table.selectionModel().selectedRows())
        return [self.model.number(row) for row in rows]

    def visible_numbers(self) -> list[int]:
        """The trial numbers in the table, top to bottom."""
        return [self.model.number(row) for row in range(len(self.model.rows))]

    def select(self, number: int) -> None:
        """Select the row of trial `number` and scroll to it (a curve or a point was clicked)."""
        for row in range(len(self.model.rows)):
            if self.model.number(row) == number:
                self.table.selectRow(row)
                self.table.scrollTo(self.model.index(row, 0))
                return

    def _emit_one(self, signal: Any) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            signal.emit(chosen[0])

    def _on_states_toggled(self) -> None:
        chosen = frozenset(state for state, box in self.state_boxes.items() if box.isChecked())
        self.states_chosen.emit(None if len(chosen) == len(self.state_boxes) else chosen)

    def _on_selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.selected())

    def _on_context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        number = self.model.number(index.row())
        menu = QMenu(self)
        menu.addAction(f"Open the run of trial {number}", lambda: self.open_requested.emit(number))
        menu.addAction(f"Train trial {number}'s values", lambda: self.train_requested.emit(number))
        menu.exec(self.table.viewport().mapToGlobal(position))

    def _update_buttons(self) -> None:
        one = len(self.table.selectionModel().selectedRows()) == 1
        self.open_button.setEnabled(one)
        self.train_button.setEnabled(one)

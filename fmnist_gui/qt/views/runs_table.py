"""The Runs dock: every recorded run as a sortable, filterable table; several can be selected to overlay."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QSortFilterProxyModel,
    Qt,
    Signal,
    SignalInstance,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from fmnist_gui.formats import counted, format_duration
from fmnist_gui.safe_text import printable

if TYPE_CHECKING:
    from fmnist_gui.runs import RunInfo

# What tells runs apart comes first; every column but the name can be hidden (right-click the header).
COLUMNS = ("Name", "Created", "Model", "Optimizer", "LR", "Batch", "Schedule", "Weight decay", "Augment", "Epochs",
           "Best test", "Status", "Duration")
STATUS_COLUMN = COLUMNS.index("Status")
STATUS_COLORS = {"running": QColor(21, 101, 192), "failed": QColor(198, 40, 40), "diverged": QColor(198, 40, 40),
                 "damaged": QColor(198, 40, 40), "interrupted": QColor(230, 81, 0), "stopped": QColor(120, 120, 120),
                 "pruned": QColor(120, 120, 120)}


class RunsTableModel(QAbstractTableModel):
    """Rows are RunInfo records; display text and sort keys per column.

    It sorts itself, with each row's key worked out once: a proxy's sort asks for two keys per comparison,
    which for 10,000 runs held the GUI thread for a second at every refresh.
    """

    def __init__(self) -> None:
        super().__init__()
        self.runs: list[RunInfo] = []
        self._order: tuple[int, Qt.SortOrder] = (1, Qt.SortOrder.DescendingOrder)  # newest first

    def set_runs(self, runs: Sequence[RunInfo]) -> None:
        self.beginResetModel()
        self.runs = [runs[row] for row in self._sorted_rows(runs)]
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Qt's sort: the rows in the new order, and the selection (persistent indexes) moved with them."""
        self._order = (column, order)
        self.layoutAboutToBeChanged.emit()
        rows = self._sorted_rows(self.runs)  # the old row numbers in their new order
        position = {old: new for new, old in enumerate(rows)}
        before = self.persistentIndexList()
        self.runs = [self.runs[row] for row in rows]
        self.changePersistentIndexList(before, [self.index(position[index.row()], index.column()) for index in before])
        self.layoutChanged.emit()

    def _sorted_rows(self, runs: Sequence[RunInfo]) -> list[int]:
        column, order = self._order
        return sorted(range(len(runs)), key=lambda row: _sort_key(runs[row], column),
                      reverse=order == Qt.SortOrder.DescendingOrder)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self.runs)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        run = self.runs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _cell_text(run, column)
        if role == Qt.ItemDataRole.ForegroundRole and column == STATUS_COLUMN and run.status in STATUS_COLORS:
            return QBrush(STATUS_COLORS[run.status])
        if role == Qt.ItemDataRole.ToolTipRole:
            return _tooltip(run)
        if role == Qt.ItemDataRole.UserRole:
            return run.folder
        return None


def _cell_text(run: RunInfo, column: int) -> str:
    best = "" if run.best_accuracy is None else f"{run.best_accuracy:.2f}% (ep. {run.best_epoch})"
    config = run.config
    values = (run.name, run.created.replace("T", " ")[:16], run.model, run.optimizer, f"{run.lr:g}" if run.lr else "",
              str(config.batch_size) if config else "", config.schedule if config else "",
              f"{config.weight_decay:g}" if config else "", ("flips, shifts" if config.augment else "none") if config else "",
              f"{run.epochs_done}/{run.epochs_asked}", best, run.status, format_duration(run.duration))
    return values[column]


def _sort_key(run: RunInfo, column: int) -> Any:
    config = run.config
    numeric = {"LR": run.lr, "Batch": config.batch_size if config else 0,
               "Weight decay": config.weight_decay if config else -1.0, "Epochs": run.epochs_done,
               "Best test": run.best_accuracy if run.best_accuracy is not None else -1.0, "Duration": run.duration}
    return numeric.get(COLUMNS[column], _cell_text(run, column).lower())


def _tooltip(run: RunInfo) -> str:
    """The run's settings, each on its line, then where it lives and what happened to it."""
    config = run.config
    settings = [] if config is None else [
        f"model {config.model}, {config.optimizer} at learning rate {config.lr:g}"
        + (f", momentum {config.momentum:g}" if config.optimizer == "sgd" else ""),
        f"batch size {config.batch_size}, {counted(config.epochs, 'epoch')}, "
        f"{config.schedule} schedule",
        f"weight decay {config.weight_decay:g}, augmentation {'random flips and shifts' if config.augment else 'none'}",
        f"seed {config.seed}, device {run.device or config.device}" + (f", preset {config.preset}" if config.preset else ""),
    ]
    lines = [*settings, str(run.folder), run.message, run.damage or "", f"note: {run.note}" if run.note else ""]
    return "\n".join(printable(line) for line in lines if line)


class _FilteringProxy(QSortFilterProxyModel):
    """Filters the rows; sorting is handed to the table model, which does it once per row, not per comparison."""

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sourceModel().sort(column, order)


class RunsView(QWidget):
    """Shows the runs it is given; says what the user selected, opened, renamed, noted or deleted."""

    selection_changed = Signal(list)  # list[Path] of the selected runs' folders
    open_requested = Signal(Path)
    rename_requested = Signal(Path)
    note_requested = Signal(Path)
    trash_requested = Signal(list)  # list[Path]
    compare_requested = Signal(Path, Path)  # two runs' folders: the first opens, the second is compared with it
    room_requested = Signal(list)  # list[Path]: the selected runs, side by side in the comparison room
    undo_requested = Signal()
    grouping_changed = Signal(bool)
    shown_changed = Signal(bool)  # the dock became visible or hidden
    hidden_columns_changed = Signal(list)  # list[str]: the columns' titles the user hid

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = RunsTableModel()
        self.proxy = _FilteringProxy(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterKeyColumn(-1)  # every column
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(1, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # Columns fit the rows in view and 100 more: measuring 10,000 runs' cells took 0.4 s of each refresh.
        self.table.horizontalHeader().setResizeContentsPrecision(100)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.horizontalHeader().customContextMenuRequested.connect(self._offer_columns)
        self.table.horizontalHeader().setToolTip("Right-click to choose the columns")
        self.table.setToolTip("Select several runs (Ctrl or Shift) to overlay their curves; double-click opens one")
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: name, model, optimizer, status…")
        self.filter.setClearButtonEnabled(True)
        self.group = QCheckBox("Group by config")
        self.group.setToolTip("Runs that differ only in their seed are drawn as one mean curve with a band")
        self.caption = QLabel()
        self.open_button = QPushButton("Open")
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Open the first of two selected runs and compare the second's model with it")
        self.room_button = QPushButton("Compare runs…")
        self.room_button.setToolTip("The selected runs side by side in a window of their own: any metric's curves, "
                                    "and the hyperparameters they differ in")
        self.rename_button = QPushButton("Rename…")
        self.note_button = QPushButton("Note…")
        self.trash_button = QPushButton("Move to trash")
        self.undo_button = QPushButton("Undo")
        self.undo_button.hide()
        # One row of controls above the table: in a short bottom dock the table keeps the height.
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.group)
        for button in (self.open_button, self.compare_button, self.room_button, self.rename_button, self.note_button, self.trash_button,
                       self.undo_button):
            top.addWidget(button)
        top.addWidget(self.caption)
        self._layout = layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.table.setMinimumHeight(40)

        self.filter.textChanged.connect(self.proxy.setFilterFixedString)
        self.group.toggled.connect(self.grouping_changed)
        self.table.selectionModel().selectionChanged.connect(self._on_selection_changed)
        self.table.doubleClicked.connect(lambda index: self.open_requested.emit(self._folder(index)))
        self.open_button.clicked.connect(lambda: self._emit_one(self.open_requested))
        self.compare_button.clicked.connect(self._on_compare_clicked)
        self.room_button.clicked.connect(lambda: self.room_requested.emit(self.selected()))
        self.rename_button.clicked.connect(lambda: self._emit_one(self.rename_requested))
        self.note_button.clicked.connect(lambda: self._emit_one(self.note_requested))
        self.trash_button.clicked.connect(self._on_trash_clicked)
        self.undo_button.clicked.connect(self.undo_requested)
        self._update_buttons()

    def set_runs(self, runs: Sequence[RunInfo], folder: Path | None = None) -> None:
        """The runs in `folder`; the selection survives a refresh."""
        selected = set(self.selected())
        self.table.selectionModel().blockSignals(True)
        self.model.set_runs(runs)
        selection = self.table.selectionModel()
        for row in range(self.proxy.rowCount()) if selected else ():
            index = self.proxy.index(row, 0)
            if self._folder(index) in selected:
                selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
        self.table.selectionModel().blockSignals(False)
        where = f" in {printable(folder)}" if folder else ""
        self.caption.setText(f"{counted(len(runs), 'run')}" if runs else "No runs yet")
        self.caption.setToolTip(f"Runs{where}; every training run records itself here.")
        self._update_buttons()
        if set(self.selected()) != selected:
            self.selection_changed.emit(self.selected())

    def set_shown(self, shown: bool) -> None:
        self.shown_changed.emit(shown)

    def hidden_columns(self) -> list[str]:
        return [title for column, title in enumerate(COLUMNS) if self.table.isColumnHidden(column)]

    def set_hidden_columns(self, titles: Sequence[str]) -> None:
        """Hide the columns called `titles` (unknown ones are ignored, the name is always shown); show the others."""
        for column, title in enumerate(COLUMNS):
            self.table.setColumnHidden(column, column > 0 and title in titles)

    def height_for_rows(self, rows: int) -> int:
        """How tall this view must be to show `rows` runs under its controls and the column titles."""
        margins = self._layout.contentsMargins()
        table = self.table
        return (margins.top() + margins.bottom() + self._layout.spacing() + self.filter.sizeHint().height()
                + table.horizontalHeader().sizeHint().height() + rows * table.verticalHeader().defaultSectionSize()
                + 2 * table.frameWidth() + table.horizontalScrollBar().sizeHint().height())

    def columns_menu(self) -> QMenu:
        """A tick for each column but the name: what right-clicking the column titles offers."""
        menu = QMenu(self)
        for column, title in enumerate(COLUMNS[1:], start=1):
            action = menu.addAction(title)
            action.setCheckable(True)
            action.setChecked(not self.table.isColumnHidden(column))
            action.toggled.connect(lambda shown, column=column: self._show_column(column, shown))
        return menu

    def _offer_columns(self, at: QPoint) -> None:
        menu = self.columns_menu()
        menu.exec(self.table.horizontalHeader().mapToGlobal(at))
        menu.deleteLater()

    def _show_column(self, column: int, shown: bool) -> None:
        self.table.setColumnHidden(column, not shown)
        self.hidden_columns_changed.emit(self.hidden_columns())

    def selected(self) -> list[Path]:
        rows = self.table.selectionModel().selectedRows()
        return [self._folder(index) for index in sorted(rows, key=lambda index: index.row())]

    def offer_undo(self, text: str | None) -> None:
        self.undo_button.setText(text or "Undo")
        self.undo_button.setVisible(bool(text))

    def _folder(self, index: QModelIndex) -> Path:
        return self.proxy.data(self.proxy.index(index.row(), 0), Qt.ItemDataRole.UserRole)

    def _emit_one(self, signal: SignalInstance) -> None:
        chosen = self.selected()
        if len(chosen) == 1:
            signal.emit(chosen[0])

    def _on_compare_clicked(self) -> None:
        chosen = self.selected()
        if len(chosen) == 2:
            self.compare_requested.emit(chosen[0], chosen[1])

    def _on_trash_clicked(self) -> None:
        chosen = self.selected()
        if chosen:
            self.trash_requested.emit(chosen)

    def _on_selection_changed(self) -> None:
        self._update_buttons()
        self.selection_changed.emit(self.selected())

    def _update_buttons(self) -> None:
        count = len(self.selected())
        for button in (self.open_button, self.rename_button, self.note_button):
            button.setEnabled(count == 1)
        self.trash_button.setEnabled(count > 0)
        self.compare_button.setEnabled(count == 2)
        self.room_button.setEnabled(count >= 1)

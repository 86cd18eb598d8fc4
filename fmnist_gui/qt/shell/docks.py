"""Every dock of the window in one table, read by the main window and by the View menu."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QChildEvent, QEvent, QObject, Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QTabBar, QWidget

LAYOUT_VERSION = 9  # bump when docks are added or removed: an older saved layout is then ignored
CONTROLS_WIDTH = 320
Area = Qt.DockWidgetArea
DEFAULT_BOTTOM_ROWS = 5  # rows of runs under the plots at first, where the window has room
BOTTOM_SHARE = 0.26


@dataclass(frozen=True)
class DockInfo:
    key: str  # also the object name's stem, which saveState needs
    title: str
    area: Qt.DockWidgetArea
    tab_with: str | None = None  # a dock placed earlier: this one becomes a tab behind it
    right_of: str | None = None  # a dock placed earlier: this one goes beside it


DOCKS: tuple[DockInfo, ...] = (
    DockInfo("controls", "Training", Area.LeftDockWidgetArea),
    DockInfo("curves", "Curves", Area.RightDockWidgetArea),
    DockInfo("samples", "Samples", Area.RightDockWidgetArea, right_of="curves"),
    DockInfo("log", "Log", Area.BottomDockWidgetArea),
    DockInfo("runs", "Runs", Area.BottomDockWidgetArea, tab_with="log"),
    DockInfo("timeline", "Epochs", Area.BottomDockWidgetArea, tab_with="log"),
    # The views that need room are tabs behind the curves; the ones about one image behind the samples.
    DockInfo("confusion", "Confusion", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("per_class", "Per class", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("mistakes", "Mistakes", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("browser", "Browse", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("data_map", "Data map", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("suspects", "Suspects", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("forgetting", "Forgetting", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("projector", "Projector", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("compare", "Compare", Area.RightDockWidgetArea, tab_with="curves"),
    DockInfo("inspector", "Inspect", Area.RightDockWidgetArea, tab_with="samples"),
    DockInfo("own_image", "Your image", Area.RightDockWidgetArea, tab_with="samples"),
    DockInfo("draw", "Draw", Area.RightDockWidgetArea, tab_with="samples"),
    DockInfo("layers", "Layers", Area.RightDockWidgetArea, tab_with="samples"),
    DockInfo("pinned", "Pinned", Area.RightDockWidgetArea, tab_with="samples"),
)


def build_docks(window: QMainWindow, widgets: dict[str, QWidget]) -> dict[str, QDockWidget]:
    """One dock per table row around its widget, placed as the table says; the tabs' first pages in front."""
    docks: dict[str, QDockWidget] = {}
    # The form keeps the whole height on the left: the Train button stays in view when the Runs table
    # below the plots shows a few rows on a laptop screen.
    window.setCorner(Qt.Corner.BottomLeftCorner, Area.LeftDockWidgetArea)
    for info in DOCKS:
        dock = QDockWidget(info.title, window)
        dock.setObjectName(f"{info.key}_dock")
        widget = widgets[info.key]
        dock.setWidget(widget)
        if hasattr(widget, "set_shown"):  # a view that skips its work while its tab is hidden
            dock.visibilityChanged.connect(widget.set_shown)
        window.addDockWidget(info.area, dock)
        if info.right_of:
            window.splitDockWidget(docks[info.right_of], dock, Qt.Orientation.Horizontal)
        if info.tab_with:
            window.tabifyDockWidget(docks[info.tab_with], dock)
        docks[info.key] = dock
    for info in DOCKS:
        if info.tab_with:
            docks[info.tab_with].raise_()
    window.installEventFilter(_WholeTabTitles(window))
    for bar in window.findChildren(QTabBar):
        _keep_titles_whole(bar)
    return docks


class _WholeTabTitles(QObject):
    """Applies to every dock tab bar the window makes, now or after a layout change."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.ChildPolished and isinstance(event, QChildEvent):
            child = event.child()
            if isinstance(child, QTabBar):
                _keep_titles_whole(child)
        return False


def _keep_titles_whole(bar: QTabBar) -> None:
    """A group of nine docks on a laptop screen scrolls its tabs rather than cutting every title to "Cu…"."""
    bar.setElideMode(Qt.TextElideMode.ElideNone)
    bar.setUsesScrollButtons(True)


def raise_dock(docks: dict[str, QDockWidget], key: str) -> None:
    dock = docks[key]
    dock.show()
    dock.raise_()


def apply_default_sizes(window: QMainWindow, docks: dict[str, QDockWidget], bottom_height: Callable[[int], int]) -> None:
    """The plots take what the form and the samples leave; the bottom docks show a few runs.

    `bottom_height(rows)` is how tall the bottom docks' contents must be to show `rows` rows of runs.
    """
    width = window.width()
    side = min(470, width // 3)
    window.resizeDocks([docks["controls"], docks["curves"], docks["samples"]],
                       [CONTROLS_WIDTH, max(400, width - CONTROLS_WIDTH - side), side], Qt.Orientation.Horizontal)
    bottom = docks["log"]
    title_bar = max(0, bottom.height() - bottom.widget().height()) if bottom.widget() else 0
    # Five rows where the bottom takes about a quarter of the window (at 1500x920 and up); on a laptop
    # screen the form and plots come first, but never fewer than three rows.
    rows = next((rows for rows in range(DEFAULT_BOTTOM_ROWS, 3, -1)
                 if title_bar + bottom_height(rows) <= window.height() * BOTTOM_SHARE), 3)
    _give_height(window, docks["curves"], bottom, title_bar + bottom_height(rows))


def _give_height(window: QMainWindow, above: QDockWidget, dock: QDockWidget, height: int) -> None:
    """Give `dock` this height, taken from or given to the dock `above` it.

    Without a central widget, resizeDocks on one dock shares the change with the docks above (the Runs
    table asked for 170 pixels got 124: 1.5 rows at 1920x1080); given both, it is exact but for an
    offset of its own (the tab bar's), which one more try takes away.
    """
    asked = height
    for _ in range(2):
        total = above.height() + dock.height()
        window.resizeDocks([above, dock], [total - asked, asked], Qt.Orientation.Vertical)
        layout = window.layout()
        if layout is not None:
            layout.activate()  # placed now: the heights are read back at once
        if dock.height() == height:
            return
        asked -= dock.height() - height

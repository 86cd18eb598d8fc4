"""What is on screen while torch loads: the icon and a line saying the app is starting."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

from fmnist_gui.qt.common.icons import app_icon

SIDE = 320
TITLE = "Fashion-MNIST trainer: starting"  # also what packaging/startup.py looks for


def show_splash(app: QApplication) -> QSplashScreen:
    """Show the splash and paint it now, before the event loop runs (the import that follows blocks it)."""
    pixmap = QPixmap(SIDE, SIDE * 3 // 4)
    pixmap.fill(QColor("#202124"))
    painter = QPainter(pixmap)
    icon = app_icon().pixmap(128, 128)
    painter.drawPixmap((pixmap.width() - icon.width()) // 2, 40, icon)
    painter.end()
    splash = QSplashScreen(pixmap)
    splash.setWindowTitle(TITLE)
    splash.showMessage("Starting…", Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, QColor("white"))
    splash.show()
    for _ in range(3):  # map, expose, paint
        app.processEvents()
    return splash

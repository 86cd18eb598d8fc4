"""What is on screen while the window is built: the icon and a line saying the app is starting.

A plain frameless window, not QSplashScreen: its show() waits for the window system to report the
window exposed, up to a second where no window manager answers (measured: 1.0 s under Xvfb, against
4 ms for this one).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from fmnist_gui.qt.common.icons import app_icon

SIDE = 320
TITLE = "Fashion-MNIST trainer: starting"  # also what packaging/startup.py looks for


class Splash(QLabel):
    def finish(self, window: QWidget) -> None:
        """Close once `window` is up (it is shown before this is called)."""
        self.close()


def show_splash(app: QApplication) -> Splash:
    """Show the splash and paint it now, before the event loop runs (building the window blocks it)."""
    pixmap = QPixmap(SIDE, SIDE * 3 // 4)
    pixmap.fill(QColor("#202124"))
    painter = QPainter(pixmap)
    icon = app_icon().pixmap(128, 128)
    painter.drawPixmap((pixmap.width() - icon.width()) // 2, 40, icon)
    painter.setPen(QColor("white"))
    painter.drawText(pixmap.rect().adjusted(0, 0, 0, -16), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom,
                     "Starting…")
    painter.end()
    splash = Splash()
    splash.setPixmap(pixmap)
    splash.setWindowFlags(Qt.WindowType.SplashScreen | Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint)
    splash.setWindowTitle(TITLE)
    screen = app.primaryScreen().availableGeometry()
    splash.move(screen.center() - pixmap.rect().center())
    splash.show()
    for _ in range(3):  # map, expose, paint
        app.processEvents()
    return splash

"""One window per user: a second `fmnist-gui FILE` hands FILE to the running app and leaves.

The running app listens on a local socket named after the user's id and display (so two users
on one machine never see each other's window) that only that user may open. A second launch
connects, sends one JSON line {"open": "/absolute/path" or null} and waits for "ok"; the first
raises its window and opens the path. Nothing here imports torch, so handing over is quick.
"""

from __future__ import annotations

import getpass
import json
import os
import re
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500  # a live server accepts at once (the kernel queues it even while the app is busy)
ACK_MS = 30_000  # a first instance still importing torch answers only once its event loop runs
MAX_REQUEST = 64 * 1024
ACK = b"ok\n"


def server_name() -> str:
    """The socket's name: one per user and display, e.g. fmnist-gui-1000-0 (in the temporary folder on Unix).

    The display keeps a window on a virtual screen (xvfb-run) from receiving files meant for the desktop.
    """
    user = os.getuid() if hasattr(os, "getuid") else getpass.getuser()
    display = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or ""
    name = f"fmnist-gui-{user}" + (f"-{display}" if display else "")
    return re.sub(r"[^A-Za-z0-9_.-]", "_", name.replace(":", ""))


def hand_over(path: str | None, name: str | None = None) -> bool:
    """Ask a running app to raise its window and open `path`; True when one said it would.

    No running app (or a stale socket left by a crashed one) gives False: start normally.
    """
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(CONNECT_MS):
        return False
    target = str(Path(path).expanduser().absolute()) if path else None  # the other app has another working folder
    socket.write(json.dumps({"open": target}).encode("utf-8") + b"\n")
    socket.flush()
    answer = b""
    while not answer.endswith(b"\n"):
        ready = socket.bytesAvailable() > 0 or socket.waitForReadyRead(ACK_MS)
        answer += bytes(socket.readAll().data())  # also what came with a disconnection
        if not ready:
            break
    socket.disconnectFromServer()
    return answer == ACK


class InstanceServer(QObject):
    """Listens for later launches of the app and reports what each asks to open."""

    open_requested = Signal(object)  # str | None: an absolute file or folder path, or None to only raise the window

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; a socket left by a crashed app is removed first. False if another app listens.

        The check comes first because with UserAccessOption Qt binds elsewhere and renames the
        socket into place, which would silently take the name from a live app.
        """
        probe = QLocalSocket()
        probe.connectToServer(self.name)
        if probe.waitForConnected(CONNECT_MS):  # a live app started at about the same moment: leave it be
            probe.abort()
            return False
        QLocalServer.removeServer(self.name)
        return self._server.listen(self.name)

    def close(self) -> None:
        self._server.close()

    def _on_new_connection(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            self._buffers[socket] = b""
            socket.readyRead.connect(lambda s=socket: self._on_ready_read(s))
            socket.disconnected.connect(lambda s=socket: self._forget(s))
            self._on_ready_read(socket)  # the request may have arrived with the connection

    def _on_ready_read(self, socket: QLocalSocket) -> None:
        data = self._buffers.get(socket, b"") + bytes(socket.readAll().data())
        if b"\n" not in data:
            if len(data) > MAX_REQUEST:
                socket.abort()
            else:
                self._buffers[socket] = data
            return
        line = data.split(b"\n", 1)[0]
        try:
            target = json.loads(line.decode("utf-8"))["open"]
        except (ValueError, KeyError, TypeError):  # not our client: say nothing, do nothing
            socket.abort()
            return
        if target is not None and not isinstance(target, str):
            socket.abort()
            return
        socket.write(ACK)
        socket.flush()
        socket.disconnectFromServer()
        self.open_requested.emit(target)

    def _forget(self, socket: QLocalSocket) -> None:
        self._buffers.pop(socket, None)
        socket.deleteLater()

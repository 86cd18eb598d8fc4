"""One window per user: a second `fmnist-gui FILE` hands FILE to the running app and leaves.

The running app listens on a local socket, one per display, in a folder only this user can
enter: `$XDG_RUNTIME_DIR/fmnist-gui/` (the user's own, 0700, as systemd makes it), else a
0700 folder `fmnist-gui-UID` in the temporary folder. The folder and the socket are checked to
be this user's before anything connects or listens there: another local user who made the name
first never receives a path, and the app then simply opens a window of its own. A second
launch connects, sends one JSON line {"open": "/absolute/path" or null} and waits for "ok"; the
first raises its window and opens the path. Nothing here imports torch, so handing over is quick.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import stat
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_MS = 500  # a live server accepts at once (the kernel queues it even while the app is busy)
ACK_MS = 30_000  # a first instance still importing torch answers only once its event loop runs
MAX_REQUEST = 64 * 1024
ACK = b"ok\n"


def server_name() -> str | None:
    """The socket for this user and display: an absolute path in a private folder on Unix (None when no
    folder there can be trusted), a per-user pipe name elsewhere.

    The display keeps a window on a virtual screen (xvfb-run) from receiving files meant for the desktop.
    """
    display = os.environ.get("WAYLAND_DISPLAY") or os.environ.get("DISPLAY") or ""
    if not hasattr(os, "getuid"):  # Windows: local pipes are the session's own
        return re.sub(r"[^A-Za-z0-9_.-]", "_", f"fmnist-gui-{getpass.getuser()}-{display}".replace(":", ""))
    folder = private_folder()
    if folder is None:
        return None
    return str(folder / (re.sub(r"[^A-Za-z0-9_.-]", "_", display.replace(":", "")) or "default"))


def private_folder() -> Path | None:
    """A folder for the socket that this user owns and nobody else may enter; made when missing."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    candidates = ([Path(runtime) / "fmnist-gui"] if runtime and Path(runtime).is_absolute() else [])
    candidates.append(Path(tempfile.gettempdir()) / f"fmnist-gui-{os.getuid()}")
    for folder in candidates:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError:
            continue
        if _owned_and_private(folder, stat.S_ISDIR):
            return folder
    return None


def _owned_and_private(path: Path, kind) -> bool:  # noqa: ANN001 - a stat.S_IS* test
    """Whether `path` itself (not a link's target) is of `kind`, this user's, and closed to others."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return kind(info.st_mode) and info.st_uid == os.getuid() and (info.st_mode & 0o077 == 0 or kind is stat.S_ISSOCK)


def _trusted_socket(name: str) -> bool:
    """A server to hand a path to: a socket this user owns in a private folder (pipe names elsewhere)."""
    if not hasattr(os, "getuid") or not os.path.isabs(name):
        return True
    return _owned_and_private(Path(name).parent, stat.S_ISDIR) and _owned_and_private(Path(name), stat.S_ISSOCK)


def hand_over(path: str | None, name: str | None = None) -> bool:
    """Ask a running app to raise its window and open `path`; True when one said it would.

    No running app (or a stale socket left by a crashed one, or a socket that is not this user's
    own) gives False: start normally.
    """
    name = name or server_name()
    if name is None or not _trusted_socket(name):
        return False
    socket = QLocalSocket()
    socket.connectToServer(name)
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
        self.name = name or server_name()  # None: no private place for it; the window works without
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._on_new_connection)
        self._buffers: dict[QLocalSocket, bytes] = {}

    def listen(self) -> bool:
        """Start listening; a socket left by a crashed app is removed first. False if another app listens.

        The check comes first because with UserAccessOption Qt binds elsewhere and renames the
        socket into place, which would silently take the name from a live app.
        """
        if self.name is None or (os.path.isabs(self.name) and not _owned_and_private(Path(self.name).parent, stat.S_ISDIR)):
            return False
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

"""One instance: a later launch hands its file to the running app over a local socket and leaves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket

from fmnist_gui.qt.shell.single_instance import InstanceServer, hand_over, server_name

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(qtbot, tmp_path):
    """A listening server on a socket of its own (an absolute path, so no real app can share it)."""
    instance = InstanceServer(str(tmp_path / "instance"))
    assert instance.listen()
    yield instance
    instance.close()


def _hand_over_in_thread(qtbot, path: str | None, name: str) -> bool:
    """Run the blocking client in another process, as a second launch would, while this event loop serves it.

    (A client thread in this process never sees the server's answer, though a client process always does.)
    """
    code = "import sys; from fmnist_gui.qt.shell.single_instance import hand_over; sys.exit(0 if hand_over(*sys.argv[1:]) else 3)"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    client = subprocess.Popen([sys.executable, "-c", code, path or "", name], env=env)
    qtbot.waitUntil(lambda: client.poll() is not None, timeout=30_000)
    return client.returncode == 0


def test_a_later_launch_hands_its_file_to_the_running_app(qtbot, server, tmp_path):
    with qtbot.waitSignal(server.open_requested, timeout=10_000) as received:
        assert _hand_over_in_thread(qtbot, str(tmp_path / "model.pt"), server.name)
    assert received.args == [str(tmp_path / "model.pt")]


def test_a_launch_without_a_file_only_raises_the_window(qtbot, server):
    with qtbot.waitSignal(server.open_requested, timeout=10_000) as received:
        assert _hand_over_in_thread(qtbot, None, server.name)
    assert received.args == [None]


def test_with_no_running_app_the_launch_starts_normally(tmp_path):
    assert hand_over(str(tmp_path / "model.pt"), str(tmp_path / "nobody")) is False


def test_a_socket_left_by_a_crashed_app_is_replaced(qtbot, tmp_path):
    stale = tmp_path / "instance"
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(stale))  # bound, never listening, then closed: what a killed app leaves behind
    dead.close()
    assert stale.exists() and hand_over(None, str(stale)) is False

    instance = InstanceServer(str(stale))
    assert instance.listen()
    with qtbot.waitSignal(instance.open_requested, timeout=10_000):
        assert _hand_over_in_thread(qtbot, "/x.pt", str(stale))
    instance.close()


def test_a_live_app_is_not_displaced_by_one_started_beside_it(qtbot, server):
    assert not InstanceServer(server.name).listen()
    with qtbot.waitSignal(server.open_requested, timeout=10_000):
        assert _hand_over_in_thread(qtbot, "/x.pt", server.name)


def test_a_stranger_on_the_socket_is_dropped_and_the_server_keeps_serving(qtbot, server):
    stranger = QLocalSocket()
    stranger.connectToServer(server.name)
    assert stranger.waitForConnected(1000)
    with qtbot.assertNotEmitted(server.open_requested):
        stranger.write(b'["not", "a", "request"]\n')
        qtbot.waitUntil(lambda: stranger.state() == QLocalSocket.LocalSocketState.UnconnectedState, timeout=10_000)
    with qtbot.waitSignal(server.open_requested, timeout=10_000):
        assert _hand_over_in_thread(qtbot, "/x.pt", server.name)


def test_the_socket_is_per_display_in_a_folder_only_this_user_may_enter(monkeypatch, tmp_path):
    runtime = tmp_path / "run-user"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", ":1")
    on_one = server_name()
    monkeypatch.setenv("DISPLAY", ":2")
    assert on_one != server_name()
    folder = Path(on_one).parent
    assert folder == runtime / "fmnist-gui" and folder.stat().st_mode & 0o777 == 0o700


@pytest.mark.skipif(os.getuid() != 0, reason="making a folder another user's takes root")
def test_a_socket_folder_another_user_made_first_is_never_used(monkeypatch, tmp_path):
    """User nobody made the name first: the app neither hands its path over nor listens there."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    taken = tmp_path / f"fmnist-gui-{os.getuid()}"
    taken.mkdir(mode=0o700)
    os.chown(taken, 65534, 65534)
    assert server_name() is None
    assert hand_over(str(tmp_path / "secret.pt")) is False
    assert InstanceServer().listen() is False


def test_a_socket_in_an_open_folder_or_of_another_owner_is_not_trusted(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(shared / "instance"))
    listener.listen()
    try:
        assert hand_over(str(tmp_path / "secret.pt"), str(shared / "instance")) is False  # never connected
        if os.getuid() == 0:
            shared.chmod(0o700)
            os.chown(shared / "instance", 65534, 65534)
            assert hand_over(str(tmp_path / "secret.pt"), str(shared / "instance")) is False
    finally:
        listener.close()


def test_a_second_app_hands_over_an_absolute_path_and_exits_without_torch(qtbot, monkeypatch, tmp_path):
    """The real run_app in another process, with this test's server standing in for the first window."""
    display = f":test-{uuid.uuid4().hex[:8]}"  # a display name of our own gives a socket name of our own
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv("DISPLAY", display)
    first = InstanceServer()
    assert first.listen()
    (tmp_path / "model.pt").write_bytes(b"")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    code = ("import sys; from fmnist_gui.qt.shell.app import run_app; code = run_app('model.pt'); "
            "print('torch' in sys.modules); sys.exit(code)")
    with qtbot.waitSignal(first.open_requested, timeout=30_000) as received:
        second = subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True)
    qtbot.waitUntil(lambda: second.poll() is not None, timeout=30_000)
    first.close()

    assert received.args == [str(tmp_path / "model.pt")]
    assert second.returncode == 0
    assert second.stdout.read().strip() == "False"  # torch was never imported: no window was built

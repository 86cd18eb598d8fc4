"""The camera, through Qt Multimedia: frames as QImages in the GUI thread, and one sentence when it cannot be had.

A QCamera feeds a QMediaCaptureSession whose QVideoSink hands over each frame; Qt Multimedia runs
the camera in threads of its own. No camera, one that is busy or refused, or one unplugged in the
middle of a demo becomes a `failed` sentence, never an exception: the presenter's other inputs
go on. Qt Multimedia comes with the optional `camera` extra (PySide6-Addons); without it
`open_camera` returns None and the presenter says how to get it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

if TYPE_CHECKING:
    from fmnist_gui.qt.background.tasks import BackgroundWork

NO_CAMERA = "No camera was found. Plug one in and press C again; test images, Draw and Picture work meanwhile."
UNPLUGGED = "The camera was unplugged. Plug it in and press C; test images, Draw and Picture still work."


def open_camera(work: BackgroundWork | None = None) -> CameraFeed | None:
    """The app's camera, or None when Qt Multimedia is not installed (or cannot load its libraries)."""
    try:
        from PySide6 import QtMultimedia  # noqa: F401 - only to know it loads
    except ImportError:
        return None
    feed = CameraFeed(work)
    if work is not None:
        work.shut_down.connect(feed.stop)  # the camera's own threads end with the app's
    return feed


class CameraFeed(QObject):
    """One camera at a time; `start(index)` opens the index-th of `devices()`."""

    frame_arrived = Signal(QImage)  # the newest frame, in the GUI thread
    failed = Signal(str)  # one sentence for people
    devices_changed = Signal(list)  # the cameras' names, when one is plugged in or out

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtMultimedia import QMediaCaptureSession, QMediaDevices, QVideoSink

        self._media_devices = QMediaDevices(self)
        self._media_devices.videoInputsChanged.connect(self._on_inputs_changed)
        self.sink = QVideoSink(self)  # tests push QVideoFrames into it, as a camera would
        self.sink.videoFrameChanged.connect(self._on_frame)
        self._session = QMediaCaptureSession(self)
        self._session.setVideoSink(self.sink)
        self._camera: Any = None  # QCamera while one runs
        self._device_id: bytes | None = None
        self.current = 0

    @property
    def running(self) -> bool:
        return self._camera is not None

    def devices(self) -> list[str]:
        return [device.description() for device in self._inputs()]

    def start(self, index: int = 0) -> None:
        """Open the index-th camera (the first when it is gone); `failed` says why when none can be opened."""
        from PySide6.QtMultimedia import QCamera

        self.stop()
        inputs = self._inputs()
        if not inputs:
            self.failed.emit(NO_CAMERA)
            return
        self.current = index if 0 <= index < len(inputs) else 0
        device = inputs[self.current]
        camera = QCamera(device, self)
        camera.errorOccurred.connect(self._on_error)
        self._camera, self._device_id = camera, bytes(device.id().data())
        self._session.setCamera(camera)
        camera.start()

    def stop(self) -> None:
        camera, self._camera, self._device_id = self._camera, None, None
        if camera is not None:
            camera.stop()
            self._session.setCamera(None)  # type: ignore[arg-type]  # Qt takes a null camera to detach one
            camera.deleteLater()

    def _inputs(self) -> list[Any]:
        from PySide6.QtMultimedia import QMediaDevices

        return list(QMediaDevices.videoInputs())

    def _on_frame(self, frame: Any) -> None:
        if not frame.isValid():
            return
        image = frame.toImage()
        if not image.isNull():
            self.frame_arrived.emit(image)

    def _on_error(self, error: Any, text: str) -> None:
        self.stop()
        reason = text.strip().rstrip(".") or "it did not start"
        self.failed.emit(f"The camera cannot be used: {reason}. It may be busy in another program; "
                         "test images, Draw and Picture still work.")

    def _on_inputs_changed(self) -> None:
        inputs = self._inputs()
        self.devices_changed.emit([device.description() for device in inputs])
        if self._device_id is not None and all(bytes(device.id().data()) != self._device_id for device in inputs):
            self.stop()
            self.failed.emit(UNPLUGGED)

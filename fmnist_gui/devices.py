"""Which torch devices exist on this machine, named the way torch names them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import functools
import os
import re
from dataclasses import dataclass


from fmnist_gui.errors import UserFacingError
from fmnist_gui.lazy import lazy_module

if TYPE_CHECKING:
    import torch
else:
    torch = lazy_module("torch")

DEVICE_PATTERN = re.compile(r"cpu|mps|cuda(:[0-9]+)?")  # matched whole: "$" would let "cpu\n" through


class DeviceError(UserFacingError):
    """A device string that is malformed or names a device this machine lacks."""


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # as torch names it: cpu, cuda:0, mps
    description: str  # for people: the card's name, core count …

    @property
    def label(self) -> str:
        return f"{self.name} — {self.description}"


def cpu_device() -> DeviceInfo:
    """The CPU, known without torch: what the window offers until torch has loaded and found the rest."""
    return DeviceInfo("cpu", f"CPU, {os.cpu_count() or 1} cores")


@functools.cache
def _detect_devices() -> tuple[DeviceInfo, ...]:
    devices = [cpu_device()]
    if torch.cuda.is_available():
        for index in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(index)
            memory = props.total_memory / 2**30
            devices.append(DeviceInfo(f"cuda:{index}", f"{props.name}, {memory:.0f} GiB"))
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        devices.append(DeviceInfo("mps", "Apple GPU (Metal)"))
    return tuple(devices)


def available_devices() -> list[DeviceInfo]:
    """Every device torch can use here, CPU first; probed once per process (probing CUDA is slow)."""
    return list(_detect_devices())


def best_device() -> str:
    """The device a GPU preset should use: the first GPU when there is one, else the CPU."""
    names = [d.name for d in available_devices()]
    return next((n for n in names if n != "cpu"), "cpu")


def check_device_syntax(name: str) -> None:
    """Refuse anything but cpu, mps, cuda and cuda:N, exactly (no trailing newline, no Unicode digits)."""
    if not isinstance(name, str) or not DEVICE_PATTERN.fullmatch(name):
        raise DeviceError(f"{name!r} is not a device name; use cpu, cuda, cuda:N or mps.")


def resolve_device(name: str) -> torch.device:
    """The torch.device for `name`, refusing one this machine does not have."""
    check_device_syntax(name)
    present = [d.name for d in available_devices()]
    wanted = "cuda:0" if name == "cuda" else name
    if wanted not in present:
        raise DeviceError(f"Device {name} is not available here; this machine has: {', '.join(present)}.")
    return torch.device(wanted)

"""Installing the app on a freedesktop.org desktop: launcher, icon and the checkpoint file type.

Qt-free, so the command line can install without a display. Everything goes under
$XDG_DATA_HOME (default ~/.local/share), for the current user only:

    applications/fmnist-gui.desktop           Exec= the absolute path of this installation's launcher
    icons/hicolor/scalable/apps/fmnist-gui.svg
    mime/packages/fmnist-gui.xml              application/x-pytorch-checkpoint for *.pt and *.pth

then the desktop's caches are refreshed with the tools that exist here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from fmnist_gui.errors import UserFacingError

APP_ID = "fmnist-gui"
CHECKPOINT_TYPE = "application/x-pytorch-checkpoint"
_RESERVED = set(' \t\n"\'\\><~|&;$*?#()`')  # characters that make the desktop spec quote an Exec argument
_TOOL_SECONDS = 60
RESOURCES = resources.files("fmnist_gui.resources")  # the icon, desktop entry and MIME package shipped in the package


def xdg_data_home(data_home: Path | None = None) -> Path:
    """$XDG_DATA_HOME, or ~/.local/share when it is unset or not absolute (as the spec says)."""
    if data_home is not None:
        return Path(data_home).expanduser().absolute()
    value = os.environ.get("XDG_DATA_HOME", "")
    return Path(value) if os.path.isabs(value) else Path.home() / ".local" / "share"


def installed_paths(data_home_dir: Path) -> dict[str, Path]:
    """Where each installed file goes under `data_home_dir`."""
    return {
        "desktop": data_home_dir / "applications" / f"{APP_ID}.desktop",
        "icon": data_home_dir / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        "mime": data_home_dir / "mime" / "packages" / f"{APP_ID}.xml",
    }


def launcher_command(launcher: Path | None = None) -> list[str]:
    """The absolute command that starts this installation of the app.

    A frozen bundle is its own launcher; otherwise the `fmnist-gui` script beside this Python
    (a venv's bin, which need not be on PATH), then the one on PATH, then `python -m fmnist_gui`.
    """
    if launcher is not None:
        return [str(Path(launcher).expanduser().absolute())]
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).absolute())]
    beside = Path(sys.executable).absolute().parent / APP_ID  # not resolved: a venv's python is a symlink
    if beside.is_file() and os.access(beside, os.X_OK):
        return [str(beside)]
    found = shutil.which(APP_ID)
    if found:
        return [str(Path(found).absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "fmnist_gui"]


def exec_argument(argument: str) -> str:
    """One Exec= argument quoted as the Desktop Entry Specification asks, then escaped as a string value."""
    if "\n" in argument or "\r" in argument:
        raise UserFacingError(f"The launcher path {argument!r} holds a line break; a desktop entry cannot run it.")
    if _RESERVED & set(argument):
        argument = '"' + re.sub(r'(["`$\\])', r"\\\1", argument) + '"'
    return argument.replace("%", "%%").replace("\\", "\\\\")


def string_value(text: str) -> str:
    """A value of the desktop spec's string type, as TryExec takes it: never quoted (GLib would look for a
    program named with the quotes), only the spec's escapes."""
    escaped = text.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r")
    return "\\s" + escaped[1:] if escaped.startswith(" ") else escaped


def desktop_entry(command: Sequence[str]) -> str:
    """The shipped desktop entry with Exec= (and TryExec=) pointing at `command`."""
    template = (RESOURCES / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    exec_line = "Exec=" + " ".join(exec_argument(part) for part in command) + " %f"
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            lines += [f"TryExec={string_value(command[0])}", exec_line]
        elif not line.startswith("TryExec="):
            lines.append(line)
    return "\n".join(lines) + "\n"


def install_desktop(data_home: Path | None = None, launcher: Path | None = None,
                    say: Callable[[str], None] | None = None) -> list[Path]:
    """Install the launcher, icon and checkpoint type for this user; returns the files written."""
    say = say or _say
    home = xdg_data_home(data_home)
    paths = installed_paths(home)
    contents = {
        "desktop": desktop_entry(launcher_command(launcher)).encode("utf-8"),
        "icon": (RESOURCES / f"{APP_ID}.svg").read_bytes(),
        "mime": (RESOURCES / f"{APP_ID}-mime.xml").read_bytes(),
    }
    try:
        for key, path in paths.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_name(f".{path.name}.tmp")
            temporary.write_bytes(contents[key])
            os.replace(temporary, path)
    except OSError as exc:
        raise UserFacingError(f"Cannot install into {home}: {exc.strerror or exc}.") from None
    _refresh_caches(home, say)
    return list(paths.values())


def uninstall_desktop(data_home: Path | None = None, say: Callable[[str], None] | None = None) -> list[Path]:
    """Remove what install_desktop wrote; returns the files removed (none when it was not installed)."""
    say = say or _say
    home = xdg_data_home(data_home)
    removed = []
    for path in installed_paths(home).values():
        try:
            path.unlink()
            removed.append(path)
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise UserFacingError(f"Cannot remove {path}: {exc.strerror or exc}.") from None
    if removed:
        _refresh_caches(home, say)
    return removed


def _refresh_caches(home: Path, say: Callable[[str], None]) -> None:
    """Rebuild the MIME, desktop-entry and icon caches under `home` with whichever tools exist."""
    tools = [
        ("update-mime-database", [str(home / "mime")], "the checkpoint type"),
        ("update-desktop-database", ["-q", str(home / "applications")], "the file association"),
        ("gtk-update-icon-cache", ["-q", "-f", "-t", str(home / "icons" / "hicolor")], "the icon"),
    ]
    for tool, arguments, what in tools:
        program = shutil.which(tool)
        if program is None:
            say(f"{tool} is not installed, so {what} is known only after the desktop next rebuilds its cache.")
            continue
        try:
            result = subprocess.run([program, *arguments], capture_output=True, text=True, timeout=_TOOL_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            say(f"{tool} could not run ({exc}); {what} may be unknown until the desktop rebuilds its cache.")
            continue
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            say(f"{tool} failed ({detail[-1] if detail else f'exit {result.returncode}'}); "
                f"{what} may be unknown until the desktop rebuilds its cache.")


def _say(message: str) -> None:
    print(f"fmnist-gui: note: {message}", file=sys.stderr)

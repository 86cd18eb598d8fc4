"""install-desktop / uninstall-desktop: the entry, the icon and the checkpoint type, in a scratch XDG_DATA_HOME."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import fmnist_gui.desktop as desktop

# Qt caches the MIME database per process, so each question is asked in a fresh one.
MIME_OF = """
import sys
from PySide6.QtCore import QMimeDatabase
print(" ".join(QMimeDatabase().mimeTypeForFile(path).name() for path in sys.argv[1:]))
"""


@pytest.fixture
def checkpoints(tmp_path) -> list[Path]:
    """A .pt that is a zip archive, as torch.save writes it, and a .pth of old-style bytes."""
    zipped = tmp_path / "model.pt"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("model/data.pkl", b"\x80\x02}q\x00.")
    old = tmp_path / "model.pth"
    old.write_bytes(b"\x80\x02\x8a\nl\xfc\x9cF\xf9 j\xa8P\x19.")
    return [zipped, old]


def _mime_types(home: Path, files: list[Path]) -> list[str]:
    env = dict(os.environ, XDG_DATA_HOME=str(home), XDG_DATA_DIRS=os.environ.get("XDG_DATA_DIRS", "/usr/local/share:/usr/share"))
    result = subprocess.run([sys.executable, "-c", MIME_OF, *map(str, files)], env=env, capture_output=True, text=True,
                            timeout=60, check=True)
    return result.stdout.split()


def _entry(home: Path) -> dict[str, str]:
    lines = (home / "applications" / "fmnist-gui.desktop").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line)


def test_install_writes_the_entry_icon_and_type_with_an_absolute_launcher(tmp_path):
    launcher = tmp_path / "bin" / "fmnist-gui"
    written = desktop.install_desktop(tmp_path / "share", launcher=launcher, say=lambda _: None)

    assert sorted(p.relative_to(tmp_path / "share").as_posix() for p in written) == [
        "applications/fmnist-gui.desktop", "icons/hicolor/scalable/apps/fmnist-gui.svg", "mime/packages/fmnist-gui.xml"]
    entry = _entry(tmp_path / "share")
    assert entry["Exec"] == f"{launcher} %f"
    assert entry["TryExec"] == str(launcher)
    assert entry["MimeType"] == "application/x-pytorch-checkpoint;"


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="desktop-file-validate is not installed")
def test_the_installed_entry_is_valid_even_for_a_launcher_path_with_spaces(tmp_path):
    desktop.install_desktop(tmp_path, launcher=tmp_path / "my apps" / "fmnist-gui", say=lambda _: None)
    result = subprocess.run(["desktop-file-validate", str(tmp_path / "applications" / "fmnist-gui.desktop")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def test_try_exec_names_the_launcher_itself_even_with_a_space_in_its_path(tmp_path):
    """TryExec is a string, not an Exec argument: GLib looks for a program of exactly that name, so quotes
    would hide the app from every menu (desktop-file-validate does not notice)."""
    launcher = tmp_path / "my apps" / "fmnist-gui"
    launcher.parent.mkdir()
    launcher.write_text("#!/bin/sh\n")
    launcher.chmod(0o755)
    desktop.install_desktop(tmp_path, launcher=launcher, say=lambda _: None)
    entry = (tmp_path / "applications" / "fmnist-gui.desktop").read_text(encoding="utf-8")
    (value,) = [line.split("=", 1)[1] for line in entry.splitlines() if line.startswith("TryExec=")]
    unescaped = re.sub(r"\\([snrt\\])", lambda m: {"s": " ", "n": "\n", "r": "\r", "t": "\t", "\\": "\\"}[m.group(1)], value)
    assert unescaped == str(launcher) and os.access(unescaped, os.X_OK)
    assert f'Exec="{launcher}" %f' in entry  # Exec= keeps its quoting


@pytest.mark.parametrize(("argument", "written"), [
    ("/usr/bin/fmnist-gui", "/usr/bin/fmnist-gui"),
    ("/home/a b/fmnist-gui", '"/home/a b/fmnist-gui"'),
    ('/x/"$`\\/app', '"/x/\\\\"\\\\$\\\\`\\\\\\\\/app"'),  # quoted, each escape's backslash doubled as a string value
    ("/opt/100%/app", "/opt/100%%/app"),
])
def test_exec_arguments_are_quoted_as_the_desktop_spec_asks(argument, written):
    assert desktop.exec_argument(argument) == written


def test_without_an_installed_script_the_entry_runs_this_python(monkeypatch, tmp_path):
    monkeypatch.setattr(desktop.sys, "executable", str(tmp_path / "python"))
    monkeypatch.setattr(desktop.shutil, "which", lambda _: None)
    assert desktop.launcher_command() == [str(tmp_path / "python"), "-m", "fmnist_gui"]


def test_missing_cache_tools_are_reported_and_do_not_fail(monkeypatch, tmp_path):
    monkeypatch.setattr(desktop.shutil, "which", lambda _: None)
    notes: list[str] = []
    written = desktop.install_desktop(tmp_path, launcher=tmp_path / "fmnist-gui", say=notes.append)
    assert all(path.is_file() for path in written)
    assert [note.split()[0] for note in notes] == ["update-mime-database", "update-desktop-database", "gtk-update-icon-cache"]


@pytest.mark.skipif(shutil.which("update-mime-database") is None, reason="update-mime-database is not installed")
def test_both_suffixes_are_checkpoints_after_install_and_not_after_uninstall(tmp_path, checkpoints):
    home = tmp_path / "share"
    assert _mime_types(home, checkpoints) != ["application/x-pytorch-checkpoint"] * 2

    desktop.install_desktop(home, launcher=tmp_path / "fmnist-gui", say=lambda _: None)
    assert _mime_types(home, checkpoints) == ["application/x-pytorch-checkpoint"] * 2

    removed = desktop.uninstall_desktop(home, say=lambda _: None)
    assert len(removed) == 3 and not any(path.exists() for path in removed)
    assert "application/x-pytorch-checkpoint" not in _mime_types(home, checkpoints)
    assert desktop.uninstall_desktop(home, say=lambda _: None) == []  # a second uninstall has nothing to do


@pytest.mark.skipif(shutil.which("xdg-mime") is None or shutil.which("update-desktop-database") is None,
                    reason="xdg-utils or desktop-file-utils is not installed")
def test_xdg_mime_names_the_app_as_the_checkpoint_handler(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith(("XDG_CURRENT", "KDE", "GNOME"))}
    env["XDG_DATA_HOME"] = str(tmp_path)
    query = ["xdg-mime", "query", "default", "application/x-pytorch-checkpoint"]

    desktop.install_desktop(tmp_path, launcher=tmp_path / "fmnist-gui", say=lambda _: None)
    assert subprocess.run(query, env=env, capture_output=True, text=True, timeout=60).stdout.strip() == "fmnist-gui.desktop"
    desktop.uninstall_desktop(tmp_path, say=lambda _: None)
    assert subprocess.run(query, env=env, capture_output=True, text=True, timeout=60).stdout.strip() == ""


def test_the_command_line_installs_and_removes_the_desktop_entry(tmp_path, capsys):
    from tests.engine.test_cli import run

    assert run("install-desktop", "--data-home", tmp_path) == 0
    assert (tmp_path / "applications" / "fmnist-gui.desktop").is_file()
    assert (tmp_path / "mime" / "packages" / "fmnist-gui.xml").is_file()
    assert run("uninstall-desktop", "--data-home", tmp_path) == 0
    assert not (tmp_path / "applications" / "fmnist-gui.desktop").exists()
    assert "Removed" in capsys.readouterr().out

"""Saving a checkpoint: any failure is one CheckpointError line, and the file that was there survives."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from fmnist_gui import atomic
from fmnist_gui.checkpoint import Checkpoint, CheckpointError, check_save_target, load_checkpoint, save_checkpoint
from fmnist_gui.config import TrainConfig
from fmnist_gui.architectures import QuickstartMLP


@pytest.fixture
def checkpoint() -> Checkpoint:
    torch.manual_seed(0)
    return Checkpoint(TrainConfig(model="quickstart-mlp"), QuickstartMLP().state_dict())


@pytest.fixture
def existing(tmp_path, checkpoint) -> Path:
    """A saved checkpoint whose bytes every failed save must leave as they are."""
    return save_checkpoint(checkpoint, tmp_path / "keep.pt")


def assert_untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)), "No space left on device"),
        (RuntimeError("[enforce fail at inline_container.cc:626] . unexpected pos 64 vs 0\nmore detail"), "unexpected pos 64 vs 0"),
        (OSError(errno.EIO, os.strerror(errno.EIO)), "Input/output error"),
        (ValueError("odd"), "odd"),
    ],
)
def test_a_failing_torch_save_is_one_line_and_keeps_the_old_file(existing, checkpoint, monkeypatch, failure, reason):
    before = existing.read_bytes()

    def failing_save(obj, stream, *args, **kwargs):
        stream.write(b"half a checkpoint")
        raise failure

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(CheckpointError) as caught:
        save_checkpoint(checkpoint, existing)
    assert str(caught.value) == f"Cannot save to {existing}: {reason}."
    assert_untouched(existing, before)


def test_a_full_disk_found_at_fsync_keeps_the_old_file(existing, checkpoint, monkeypatch):
    before = existing.read_bytes()

    def full(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(CheckpointError, match="No space left on device"):
        save_checkpoint(checkpoint, existing)
    assert_untouched(existing, before)


def test_an_interrupted_save_removes_its_temporary_file_and_goes_on_interrupting(existing, checkpoint, monkeypatch):
    before = existing.read_bytes()
    monkeypatch.setattr(torch, "save", lambda *a, **k: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(checkpoint, existing)
    assert_untouched(existing, before)


def test_temporary_files_of_a_killed_save_are_removed_and_only_those(tmp_path, checkpoint):
    host = atomic._host_tag()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    stale = [tmp_path / ".m.pt.ab_12xyz.tmp", tmp_path / ".m.pt.00000000.tmp",
             tmp_path / f".m.pt.{ended.pid}-{host}.ab_12xyz.tmp"]
    others = [tmp_path / ".other.pt.ab_12xyz.tmp", tmp_path / ".m.pt.notes", tmp_path / "m.pt.ab_12xyz.tmp",
              tmp_path / f".m.pt.{alive.pid}-{host}.ab_12xyz.tmp",  # another process is writing it now
              tmp_path / f".m.pt.{os.getpid()}-{host}.cd_34xyz.tmp",  # so is another thread of this one
              tmp_path / f".m.pt.{ended.pid}-0a0b0c0d.ab_12xyz.tmp"]  # another host's, and recent
    for path in stale + others:
        path.write_bytes(b"left over")
    try:
        save_checkpoint(checkpoint, tmp_path / "m.pt")
    finally:
        alive.kill()
        alive.wait()
    assert [p.name for p in stale if p.exists()] == []
    assert [p.name for p in others if not p.exists()] == []
    load_checkpoint(tmp_path / "m.pt")


def test_a_fifo_or_folder_is_never_written(tmp_path, checkpoint):
    fifo = tmp_path / "pipe.pt"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"pipe.pt: it is not a regular file\.$"):
        save_checkpoint(checkpoint, fifo)  # opening it to write would block
    with pytest.raises(CheckpointError, match="it is a folder"):
        save_checkpoint(checkpoint, tmp_path)
    with pytest.raises(CheckpointError, match="not a regular file"):
        check_save_target("/dev/null")
    assert fifo.is_fifo() and sorted(p.name for p in tmp_path.iterdir()) == ["pipe.pt"]


def test_saving_through_a_symlink_replaces_its_target_and_keeps_the_link(tmp_path, checkpoint, existing):
    links = tmp_path / "links"
    links.mkdir()
    link = links / "current.pt"
    link.symlink_to(existing)
    assert check_save_target(link) == existing
    changed = Checkpoint(checkpoint.config, checkpoint.model_state, epoch=7)
    assert save_checkpoint(changed, link) == link
    assert link.is_symlink() and link.resolve() == existing
    assert load_checkpoint(existing).epoch == 7
    assert [p.name for p in links.iterdir()] == ["current.pt"]  # the temporary file was made beside the target


def test_a_symlink_loop_or_missing_folder_is_refused_before_anything_is_written(tmp_path, checkpoint):
    loop = tmp_path / "a.pt"
    loop.symlink_to(tmp_path / "b.pt")
    (tmp_path / "b.pt").symlink_to(loop)
    with pytest.raises(CheckpointError, match="Too many levels of symbolic links"):
        save_checkpoint(checkpoint, loop)
    with pytest.raises(CheckpointError, match=r"the folder .*no does not exist"):
        check_save_target(tmp_path / "no" / "m.pt")


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write into any folder")
def test_a_read_only_folder_is_refused(tmp_path, checkpoint):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(CheckpointError, match="is not writable"):
            check_save_target(folder / "m.pt")
    finally:
        folder.chmod(0o700)


def test_a_read_only_folder_is_refused_even_as_root(tmp_path, monkeypatch):
    monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)
    with pytest.raises(CheckpointError, match=r"Cannot save to .*m.pt: the folder .* is not writable\.$"):
        check_save_target(tmp_path / "m.pt")

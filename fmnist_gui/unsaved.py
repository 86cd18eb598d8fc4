"""Where a trained model goes when the place meant for it cannot take it: the user's cache folder.

`train --out` on a full disk, a run folder that could not keep its last snapshot, the window told
to quit by the desktop mid-run: the model is saved here rather than lost, and the caller says where.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from fmnist_gui import checkpoint as checkpoints
from fmnist_gui.checkpoint import Checkpoint


def unsaved_folder() -> Path:
    """$XDG_CACHE_HOME/fmnist-gui/unsaved (~/.cache/…), else the temporary folder when that cannot be made."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "fmnist-gui" / "unsaved"
    try:
        cache.mkdir(parents=True, exist_ok=True)
        if os.access(cache, os.W_OK | os.X_OK):
            return cache
    except OSError:
        pass
    return Path(tempfile.gettempdir())


def unsaved_path(stem: str = "model") -> Path:
    """A new file name in the unsaved folder, unique to this process and second."""
    return unsaved_folder() / f"{stem or 'model'}-unsaved-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.pt"


def keep_unsaved(checkpoint: Checkpoint, stem: str = "model") -> Path:
    """Save `checkpoint` in the unsaved folder and return where; CheckpointError when even that fails."""
    return checkpoints.save_checkpoint(checkpoint, unsaved_path(stem))

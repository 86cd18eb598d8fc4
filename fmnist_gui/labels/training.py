"""Training with a fix set: the data a run trains on, with the fixes applied in memory (the files stay as they are)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fmnist_gui.data import FashionMNIST
from fmnist_gui.labels.fileformat import LabelsError
from fmnist_gui.labels.fixset import FixSet
from fmnist_gui.labels.place import fix_set_path, locate
from fmnist_gui.lazy import lazy_module
from fmnist_gui.names import FIX_SET_IDENTITY

if TYPE_CHECKING:
    import torch
else:
    torch = lazy_module("torch")  # the window names this module before torch has loaded


def training_fix_set(text: str, labels_dir: Path, data: FashionMNIST) -> FixSet:
    """The training fix set `text` names (NAME in `labels_dir`, or a file), checked against `data`'s labels."""
    return FixSet.open(locate(text, labels_dir, "train"), "train", data.train_labels.cpu().numpy(), must_exist=True)


def with_fixes(data: FashionMNIST, fix_set: FixSet) -> FashionMNIST:
    """`data` with the training labels `fix_set` gives and its set-aside images left out of every batch.
    The test set is the data's own: a fix set never changes what a run is measured on."""
    if data.label_fixes:
        raise ValueError(f"the data has {data.label_fixes} applied already")
    labels, keep_mask = fix_set.apply_fixes(data.train_labels.cpu().numpy())
    if not keep_mask.any():
        raise LabelsError(f"The fix set {fix_set.name} sets every training image aside; nothing would be trained.")
    device = data.train_labels.device
    kept = None if keep_mask.all() else torch.from_numpy(np.flatnonzero(keep_mask)).to(device)
    return replace(data, train_labels=torch.from_numpy(labels.astype(np.int64)).to(device), train_kept=kept,
                   label_fixes=fix_set.identity)


def data_for_run(identity: str, data: FashionMNIST, labels_dir: Path) -> FashionMNIST:
    """The data a run recorded as training with `identity` (NAME@HASH, or "" for none) trains on again, as when
    it is resumed: LabelsError when the fix set is gone or its content is no longer what the run trained with."""
    if not identity:
        return data
    match = FIX_SET_IDENTITY.fullmatch(identity)
    if match is None:
        raise LabelsError(f"{identity!r} does not name a fix set as NAME@HASH.")
    name, recorded = match.groups()
    path = fix_set_path(labels_dir, name)
    if not path.exists():
        raise LabelsError(f"The run trained with the fix set {name}, which is not in {labels_dir}; give its file with --labels FILE.")
    fix_set = FixSet.open(path, "train", data.train_labels.cpu().numpy(), must_exist=True)
    if fix_set.content_hash != recorded:
        raise LabelsError(f"The fix set {name} has changed since the run trained with it (content {recorded}, now "
                          f"{fix_set.content_hash}); name it again (--labels {name}) to go on with it as it is now.")
    return with_fixes(data, fix_set)

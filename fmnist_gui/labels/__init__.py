"""Label fixes: a named, reversible set of decisions about training images, kept as a small CSV file (Qt-free).

fixes.py holds the plain records (a Fix, the counts, the content hash, applying fixes to labels),
fileformat.py the file (bounded, checked reading; one-line errors), place.py where fix sets live,
fixset.py the FixSet a review screen or a script drives (edits, undo and redo, merging saves),
suggestions.py the mislabel finder's suspects accepted in bulk, training.py the data a run trains on.
"""

from __future__ import annotations

from fmnist_gui.labels.fileformat import HEADER, LabelsError, read_fix_file
from fmnist_gui.labels.fixes import Action, Fix, FixCounts, apply_fixes, content_hash
from fmnist_gui.labels.fixset import FixSet
from fmnist_gui.labels.place import LABELS_ENV, FixSetFile, default_labels_dir, fix_set_path, list_fix_sets, locate
from fmnist_gui.labels.suggestions import Accepted, Suggestion, accept, suggestions_from

__all__ = [
    "HEADER",
    "LABELS_ENV",
    "Accepted",
    "Action",
    "Fix",
    "FixCounts",
    "FixSet",
    "FixSetFile",
    "LabelsError",
    "Suggestion",
    "accept",
    "apply_fixes",
    "content_hash",
    "default_labels_dir",
    "fix_set_path",
    "list_fix_sets",
    "locate",
    "read_fix_file",
    "suggestions_from",
]

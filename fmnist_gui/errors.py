"""The one exception family whose message is meant for the user, as it is."""

from __future__ import annotations

from fmnist_gui.safe_text import printable


class UserFacingError(Exception):
    """An error whose message is one plain sentence a user can act on (no traceback needed)."""

    def __init__(self, message: str) -> None:
        # Messages quote file names, class names and values from files: keep them one printable line.
        super().__init__(printable(message))

"""The one exception family whose message is meant for the user, as it is."""

from __future__ import annotations


class UserFacingError(Exception):
    """An error whose message is one plain sentence a user can act on (no traceback needed)."""

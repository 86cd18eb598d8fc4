"""Views that redraw only while on screen: a hidden tab remembers it is stale and redraws when shown."""

from __future__ import annotations


class RedrawWhenShown:
    """Mix into a view: `refresh()` redraws through `_redraw()` now if shown, else once it is shown again.

    An epoch's end then costs a hidden tab nothing, when the GUI thread must stay free.
    """

    _shown = True
    _stale = False

    def refresh(self) -> None:
        if not self._shown:
            self._stale = True
            return
        self._stale = False
        self._redraw()

    def set_shown(self, shown: bool) -> None:
        """Told by the dock: a tab that is not the current one reports False."""
        self._shown = shown
        if shown and self._stale:
            self.refresh()

    def _redraw(self) -> None:
        raise NotImplementedError

"""How a long computation hears that it is no longer wanted and says how far it is: plain callables.

Torch-free, so the modules that take them (features, projection) can be named by the window before
torch has loaded.
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[float], None]  # fraction done, 0 to 1
Cancelled = Callable[[], bool]  # True once the answer is no longer wanted


class Cancel(Exception):
    """Raised inside a computation whose `cancelled` check said stop; callers catch it."""

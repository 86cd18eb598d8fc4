"""torch imported where it is first used, not where a module that may need it is imported.

The window imports the checkpoint, data and model modules to build its views, and shows itself
before torch (over a second) has loaded; the background-work layer imports torch meanwhile. A
module writes

    if TYPE_CHECKING:
        import torch
    else:
        torch = lazy_module("torch")

and uses `torch.…` as before: the first attribute read imports it (in whichever thread reads first;
Python's import lock makes any other thread wait for that one import).
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any


class LazyModule(ModuleType):
    """Stands for the module `name` until an attribute is read; then it is the module's attribute."""

    def __getattr__(self, attribute: str) -> Any:
        return getattr(sys.modules.get(self.__name__) or importlib.import_module(self.__name__), attribute)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


def lazy_module(name: str) -> Any:
    """The module `name` if it is imported already, else a stand-in that imports it on first use."""
    return sys.modules.get(name) or LazyModule(name)

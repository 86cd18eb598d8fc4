"""`python -m fmnist_gui` runs the same entry point as the `fmnist-gui` command."""

from __future__ import annotations

import sys

from fmnist_gui.cli import main

if __name__ == "__main__":
    sys.exit(main())

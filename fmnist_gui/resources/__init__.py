"""Files shipped with the app: the icon and the desktop entry (installed as fmnist_gui.resources)."""

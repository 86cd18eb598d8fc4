"""The window's top floor: the application, the main window that assembles, menus, docks, splash, one instance."""

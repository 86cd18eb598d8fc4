"""The docks' widgets: each receives its data and never starts threads, imports torch or the session."""

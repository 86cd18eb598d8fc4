"""One controller per feature: wires views to state and background work; owns no thread."""

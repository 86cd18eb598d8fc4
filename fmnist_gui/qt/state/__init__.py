"""What is on screen: the model document, predictions, dynamics, run state, settings."""

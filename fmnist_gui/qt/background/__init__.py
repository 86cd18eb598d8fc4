"""The one task layer and what runs on it: lanes, the training session, inference."""

"""What controllers and views share below them: dialogs, the error reporter, icons."""

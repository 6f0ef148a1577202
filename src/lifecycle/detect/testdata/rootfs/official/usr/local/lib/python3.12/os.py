"""OS routines for NT or Posix depending on what system we're on."""

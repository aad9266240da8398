"""pytest fixtures of the Graph emulator (filled in by the emulator work)."""

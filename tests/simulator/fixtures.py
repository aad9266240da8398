"""pytest fixtures of the simulated UCServer hosts (filled in by the simulator work)."""

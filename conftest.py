"""pytest root: fixtures of the two stand-ins (Graph emulator, simulated UCServer hosts)."""

pytest_plugins = ["tests.emulator.fixtures", "tests.simulator.fixtures"]

"""pytest root: fixtures of the two stand-ins (Graph emulator, simulated UCServer hosts)."""

pytest_plugins = ["tests.emulator.fixtures", "tests.simulator.fixtures"]


def pytest_collection_modifyitems(config, items):
    """The end-to-end playbook runs (marker ``slow``) first, everything else after, each group in
    its collected order: with ``-n 2 --dist load --maxschedchunk 1`` (the Makefile) the workers
    take the longest tests first and the short ones fill the gaps at the end, so neither worker
    finishes minutes before the other. The tests themselves pass in any order."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)

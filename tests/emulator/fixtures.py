"""pytest fixtures of the Graph emulator (docs/dev/contracts.md "Graph emulator").

``graph_emulator_server`` runs one HTTPS emulator per test session (per xdist worker) in a
thread; ``graph_emulator`` resets its state for each test and returns the ``EmulatorHandle``.

The world is ``realistic`` by default (replication lag, token propagation delay, a share of 429s,
small pages, short tokens: tests/emulator/README.md "Worlds"). A test that needs the ideal world
says so, with its reason::

    @pytest.mark.graph_world("ideal", reason="counts every request exactly")
"""

from __future__ import annotations

import pytest

from .client import EmulatorClient
from .server import EmulatorServer
from .state import PROFILES


def pytest_configure(config):
    config.addinivalue_line("markers", "graph_world(profile, reason=...): the Graph emulator world of this test, 'realistic' (default) or 'ideal'")


def world_of(request) -> str:
    marker = request.node.get_closest_marker("graph_world")
    if marker is None:
        return "realistic"
    profile = marker.args[0] if marker.args else marker.kwargs.get("profile", "realistic")
    if profile not in PROFILES:
        raise pytest.UsageError(f"graph_world: unknown profile {profile!r} (one of {', '.join(PROFILES)})")
    if profile != "realistic" and not marker.kwargs.get("reason"):
        raise pytest.UsageError("graph_world: say why the test needs a world other than the realistic one (reason=...)")
    return profile


@pytest.fixture(scope="session")
def graph_emulator_server(tmp_path_factory):
    server = EmulatorServer(workdir=tmp_path_factory.mktemp("graph-emulator")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def graph_emulator(graph_emulator_server, tmp_path, request):
    handle = EmulatorClient(graph_emulator_server.url, graph_emulator_server.ca_path, workdir=tmp_path, profile=world_of(request))
    handle.reset()
    yield handle
    handle.reset()


@pytest.fixture
def graph_emulator_ideal(graph_emulator):
    """The same handle in the ideal world (no lag, no throttling, one page, 1 h tokens)."""
    graph_emulator.reset("ideal")
    return graph_emulator

"""pytest fixtures of the Graph emulator (docs/dev/contracts.md "Graph emulator").

``graph_emulator_server`` runs one HTTPS emulator per test session (per xdist worker) in a
thread; ``graph_emulator`` resets its state for each test and returns the ``EmulatorHandle``.
"""

from __future__ import annotations

import pytest

from .client import EmulatorClient
from .server import EmulatorServer


@pytest.fixture(scope="session")
def graph_emulator_server(tmp_path_factory):
    server = EmulatorServer(workdir=tmp_path_factory.mktemp("graph-emulator")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def graph_emulator(graph_emulator_server, tmp_path):
    handle = EmulatorClient(graph_emulator_server.url, graph_emulator_server.ca_path, workdir=tmp_path)
    handle.reset()
    yield handle
    handle.reset()

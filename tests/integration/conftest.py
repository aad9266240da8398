"""Integration tests: a module run in this process waits on the Graph emulator's clock.

The realistic world (tests/emulator/README.md "Worlds") times its lag, credential propagation and
token lifetimes on the emulated clock. A module's every wait goes through one ``RetryBudget``
(throttling, 5xx, replication, a new secret's verification: ``_graph_transport``), so a module run
in this process (``graph_play.run_module``) waits on that clock: its budget moves the emulator's
clock by the seconds it would sleep, and sleeps no real time. The world is unchanged, and so is
what the module has to do: a lag passes only through the module's own waits, every wait is
charged to ``max_retry_wait`` as before, and a module that stopped waiting fails as it would
against a real tenant. ansible-playbook runs (their modules are other processes) wait in real time.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def module_waits_on_the_emulated_clock(request, monkeypatch):
    if "graph_emulator" not in request.fixturenames:
        return None
    emulator = request.getfixturevalue("graph_emulator")
    from ansible_collections.procall.msteams.plugins.module_utils import _graph_client

    waits = []

    def emulated_sleep(seconds):
        waits.append(seconds)
        emulator.clock.advance(seconds=seconds)

    real_init = _graph_client.GraphClient.__init__

    def init(self, params, sleep=None, session=None):
        real_init(self, params, sleep=emulated_sleep if sleep is None else sleep, session=session)

    monkeypatch.setattr(_graph_client.GraphClient, "__init__", init)
    return waits

"""pytest fixtures of the simulated UCServer hosts (see ``fleet.py`` for the plain API)."""

from __future__ import annotations

import itertools

import pytest

from tests.simulator.fleet import Fleet, build_fleet


@pytest.fixture
def ucserver_fleet(tmp_path):
    """Factory: ``fleet = ucserver_fleet(hosts=[...], tenant_of={...})`` -> ``Fleet``.

    Hosts live under the test's ``tmp_path``; inventory at ``fleet.inventory``; run playbooks
    with ``fleet.run(playbook, workdir=...)`` (stand-in ``ansible.windows`` first on the path).
    """
    counter = itertools.count()

    def make(hosts, tenant_of=None, host_vars=None) -> Fleet:
        return build_fleet(tmp_path / f"fleet{next(counter)}", hosts, tenant_of=tenant_of, host_vars=host_vars)

    return make

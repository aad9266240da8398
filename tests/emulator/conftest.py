"""Helpers for the emulator's own tests."""

from __future__ import annotations

import pathlib

import pytest

from .client import EmulatorClient

MANAGE = ("Application.ReadWrite.All", "AppRoleAssignment.ReadWrite.All", "DelegatedPermissionGrant.ReadWrite.All", "Directory.Read.All")


class World:
    """A tenant with an identity holding ``roles`` and a token for it."""

    def __init__(self, emulator: EmulatorClient, roles=MANAGE, name="contoso"):
        self.emulator = emulator
        self.tenant_id = emulator.add_tenant(name)
        self.identity = emulator.add_automation_identity(self.tenant_id, roles=roles)
        self.token = self.new_token(self.identity)

    def new_token(self, identity=None) -> str:
        identity = identity or self.identity
        response = self.emulator.token(self.tenant_id, identity["client_id"], identity["client_secret"])
        assert response.status_code == 200, response.text
        return response.json()["access_token"]

    def call(self, method: str, path: str, token: str | None = None, **kwargs):
        return self.emulator.graph(method, path, token or self.token, **kwargs)

    def graph_sp(self) -> dict:
        response = self.call("GET", "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')")
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
def world(graph_emulator):
    return World(graph_emulator)


def pytest_collection_modifyitems(config, items):
    """The emulator's own tests assert single rules, so they run in the ideal world unless they
    ask for another one (test_worlds.py asserts the realistic world itself)."""
    here = pathlib.Path(__file__).parent
    for item in items:
        if here in pathlib.Path(str(item.fspath)).parents and item.get_closest_marker("graph_world") is None:
            item.add_marker(pytest.mark.graph_world("ideal", reason="the emulator's own rule tests: one rule at a time, no background faults"))

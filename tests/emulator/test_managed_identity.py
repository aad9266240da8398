"""Managed identity through the Azure App Service protocol, with the real msal ManagedIdentityClient."""

from __future__ import annotations

import jwt
import msal

from .client import CAHttpClient


def _client(emulator, identity, monkeypatch, managed_identity):
    monkeypatch.setenv("IDENTITY_ENDPOINT", identity["identity_endpoint"])
    monkeypatch.setenv("IDENTITY_HEADER", identity["identity_header"])
    for name in ("IDENTITY_SERVER_THUMBPRINT", "MSI_ENDPOINT", "IMDS_ENDPOINT", "MSI_SECRET"):
        monkeypatch.delenv(name, raising=False)
    return msal.ManagedIdentityClient(managed_identity, http_client=CAHttpClient(emulator.ca_path))


def test_system_assigned_identity_gets_a_token_with_its_roles(graph_emulator, monkeypatch):
    tenant = graph_emulator.add_tenant()
    identity = graph_emulator.add_managed_identity(tenant, roles=["Application.Read.All"])
    client = _client(graph_emulator, identity, monkeypatch, msal.SystemAssignedManagedIdentity())
    result = client.acquire_token_for_client(resource=graph_emulator.url)
    assert "access_token" in result, result
    claims = jwt.decode(result["access_token"], options={"verify_signature": False})
    assert claims["appid"] == identity["client_id"] and claims["oid"] == identity["service_principal_id"]
    assert claims["roles"] == ["Application.Read.All"]
    assert graph_emulator.graph("GET", "/applications", result["access_token"]).status_code == 200
    sp = [s for s in graph_emulator.state(tenant)["servicePrincipals"] if s["id"] == identity["service_principal_id"]][0]
    assert sp["servicePrincipalType"] == "ManagedIdentity"


def test_user_assigned_identity_is_chosen_by_client_id(graph_emulator, monkeypatch):
    tenant = graph_emulator.add_tenant()
    identity = graph_emulator.add_managed_identity(tenant, roles=["Directory.Read.All"], user_assigned=True)
    client = _client(graph_emulator, identity, monkeypatch, msal.UserAssignedManagedIdentity(client_id=identity["client_id"]))
    result = client.acquire_token_for_client(resource="https://graph.microsoft.com")
    assert "access_token" in result, result
    assert jwt.decode(result["access_token"], options={"verify_signature": False})["appid"] == identity["client_id"]
    other = _client(graph_emulator, identity, monkeypatch, msal.UserAssignedManagedIdentity(client_id="11111111-2222-3333-4444-555555555555"))
    assert "access_token" not in other.acquire_token_for_client(resource="https://graph.microsoft.com")


def test_wrong_identity_header_is_refused(graph_emulator, monkeypatch):
    tenant = graph_emulator.add_tenant()
    identity = dict(graph_emulator.add_managed_identity(tenant), identity_header="wrong")
    client = _client(graph_emulator, identity, monkeypatch, msal.SystemAssignedManagedIdentity())
    assert "access_token" not in client.acquire_token_for_client(resource=graph_emulator.url)
    assert graph_emulator.requests()[-1]["status"] == 401
